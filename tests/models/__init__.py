"""Tests of the schema (catalog.models) and its migrations."""
