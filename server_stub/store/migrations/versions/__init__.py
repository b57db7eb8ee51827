"""One module per schema revision, a single linear history (see docs/deploy.md)."""
