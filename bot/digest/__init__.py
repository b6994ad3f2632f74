"""The weekly digests: figures, composition, the job and its schedule, charts."""
