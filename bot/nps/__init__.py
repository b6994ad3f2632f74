"""Relational NPS rounds: when a round starts, whom it asks and when, and its report."""
