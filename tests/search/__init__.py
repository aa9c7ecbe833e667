"""Tests of search documents, excerpts and the per-process index (catalog.search)."""
