"""Storage: the only place that speaks SQL (tables, engine, queries, migrations)."""
