"""surveybot's core: settings, surveys, scoring, digests, rendering and the CLI."""
