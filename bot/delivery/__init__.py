"""Surveys out: closes from every source, timing, the outbox's dispatcher."""
