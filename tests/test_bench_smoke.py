"""The benchmarks run end to end on small data (no timing assertions)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from tests.databases import require_postgres

ROOT = Path(__file__).resolve().parent.parent


def run_bench(*args: str) -> str:
    """What `python -m <args>` prints, run from the repository's root."""
    result = subprocess.run(
        [sys.executable, "-m", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return result.stdout


def test_bench_prints_digest_time_bare_query_time_and_ratio() -> None:
    output = run_bench("bench.digest_bench", "--responses", "5000", "--runs", "1")
    assert re.search(r"digest \(aggregates \+ composition \+ rendering\): [\d.]+ ms", output)
    assert re.search(r"bare weekly score histogram: [\d.]+ ms", output)
    assert re.search(r"ratio digest / bare query: [\d.]+", output)


def test_ack_bench_prints_the_bots_ack_time_against_a_bare_bolt_app() -> None:
    output = run_bench("bench.ack_bench", "--smoke")
    assert re.search(r"bot ack \(signed click -> 200\): p50 [\d.]+ ms, p99 [\d.]+ ms", output)
    assert re.search(r"bare bolt AsyncApp \(ack only\): p50 [\d.]+ ms", output)
    assert re.search(r"ratio bot / bare: p50 [\d.]+, p99 [\d.]+", output)


def test_close_bench_prints_the_time_from_close_to_survey() -> None:
    output = run_bench("bench.close_bench", "--smoke")
    assert re.search(r"close to survey .*: p50 [\d.]+ ms, p95 [\d.]+ ms", output)


def test_burst_bench_reports_intake_floor_ratio_429s_losses_and_memory() -> None:
    output = run_bench("bench.burst_bench", "--smoke")
    assert re.search(r"intake: \d+ closes/s accepted", output)
    assert re.search(r"the tiers' floor [\d.]+ s; ratio [\d.]+", output)
    assert re.search(r"429s: \d+ \(", output)
    # Behaviour, not timing: nothing lost, nothing sent twice.
    assert "lost: 0, doubled: 0" in output
    assert re.search(r"bot peak RSS: \d+ MB", output)


def test_home_bench_prints_the_leads_home_and_the_drill_downs_first_page() -> None:
    output = run_bench("bench.home_bench", "--responses", "5000", "--runs", "2")
    assert re.search(r"lead Home \(.*accounts included\): p50 [\d.]+ ms", output)
    assert re.search(r"drill-down first page \(low scores this week\): p50 [\d.]+ ms", output)


def test_two_bot_processes_on_postgresql_share_one_pace_through_a_burst() -> None:
    """Two replicas, one database: each takes half the closes, Slack sees one pace."""
    require_postgres()
    output = run_bench("bench.burst_bench", "--smoke", "--postgres", "--processes", "2")
    assert "2 bot processes on PostgreSQL" in output
    assert "lost: 0, doubled: 0" in output
    limited = re.search(r"Slack calls: (\d+), 429s: (\d+)", output)
    assert limited is not None
    calls, too_many = map(int, limited.groups())
    # A pace per process would double the rate Slack sees and have about half the calls
    # refused. Smoke runs squeeze Slack's minute into 1 s on shared cores, so a few late
    # calls land in the next window: 5 % tells the two apart (the full bench holds 1 %).
    assert too_many <= calls // 20, output


def test_clicks_bench_gives_every_customer_the_form_or_tell_us_more() -> None:
    output = run_bench("bench.clicks_bench", "--smoke")
    wanted = re.search(r"clicks: (\d+) in [\d.]+ s, (\d+) of them wanting a form", output)
    shown = re.search(r"forms opened: (\d+); Tell us more shown: (\d+)", output)
    assert wanted and shown, output
    # Behaviour, not timing: nobody is left without a way to say more; everyone thanked.
    assert int(shown[1]) + int(shown[2]) == int(wanted[2])
    assert re.search(rf"every click thanked after: [\d.]+ s \({wanted[1]} of {wanted[1]}\)", output)
    assert re.search(r"calls made with an expired trigger: \d+", output)


def test_nps_bench_plans_a_round_and_reports_it() -> None:
    output = run_bench("bench.nps_bench", "--smoke")
    assert re.search(r"plan a round: [\d.]+ s; asked 1,800, skipped 200", output)
    assert re.search(r"peak memory while planning: \d+ MB", output)
    assert re.search(r"round report over 1,800 answers: \d+ ms", output)
    assert "report line: *NPS " in output


def test_nps_bench_plans_a_round_on_postgresql() -> None:
    require_postgres()
    output = run_bench("bench.nps_bench", "--smoke", "--postgres")
    assert "store: PostgreSQL" in output
    assert re.search(r"plan a round: [\d.]+ s; asked 1,800, skipped 200", output)


def test_workspaces_bench_serves_many_installed_workspaces_on_two_processes() -> None:
    """OAuth mode, each workspace installed and signing its closes with its own secret."""
    require_postgres()
    output = run_bench("bench.workspaces_bench", "--smoke")
    assert "20 x 5 closes (100 surveys)" in output
    assert "2 bot processes on PostgreSQL" in output
    # Behaviour, not timing: every workspace's surveys arrive, once each.
    assert "lost: 0, doubled: 0" in output
    assert re.search(r"delivered: 100 surveys in [\d.]+ s: [\d.]+ surveys/s in all", output)
    assert re.search(r"fairness: the slowest workspace's last survey after [\d.]+ s", output)
    assert re.search(r"one workspace's floor \(5 users.info at Tier 4\) [\d.]+ s", output)
    assert re.search(r"Slack calls: \d+, 429s: \d+ \(", output)
    assert re.search(r"peak RSS per process: \d+ MB, \d+ MB", output)


def test_digest_and_home_benches_run_on_postgresql() -> None:
    """Both seed a scratch PostgreSQL database in bulk, then measure the same paths."""
    require_postgres()
    digest = run_bench("bench.digest_bench", "--smoke", "--postgres", "--runs", "1")
    assert re.search(r"store: PostgreSQL; responses: 20,000 over 1095 days", digest)
    assert re.search(r"ratio digest / bare query: [\d.]+", digest)
    home = run_bench("bench.home_bench", "--smoke", "--postgres", "--runs", "2")
    assert re.search(r"store: PostgreSQL; responses: 20,000 .* \d+ accounts", home)
    for page in (
        r"first page \(all answers, 30 days\)",
        r"page 11 \(all answers, 30 days\)",
        r"first page \(the largest account\)",
    ):
        assert re.search(rf"drill-down {page}: p50 [\d.]+ ms, p95 [\d.]+ ms", home), home
    assert re.search(r"ratio drill-down first page \(all\) / bare: [\d.]+", home)
