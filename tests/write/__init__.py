"""Tests of the write side: content changes, listings, tags, versions, scheduling
(catalog.write)."""
