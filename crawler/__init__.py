"""An archival crawler for Chinese regional news."""
