"""Item pipelines: validate, (normalize, dedupe,) export/archive."""
