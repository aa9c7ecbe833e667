"""Tests of import, export, the README, link checks, and the sync rules between files and admin
(catalog.pipeline)."""
