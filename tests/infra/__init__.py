"""Tests of what the site stands on: paths (catalog.infra)."""
