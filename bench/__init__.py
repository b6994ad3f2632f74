"""Benchmarks: `python -m bench.digest_bench`."""
