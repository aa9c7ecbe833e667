"""Tests of the file format: parsing, rules, the schema, serialising, merging, rendering
(catalog.fileformat)."""
