"""App Home: the lead's and agent's figures, the drill-down, team settings."""
