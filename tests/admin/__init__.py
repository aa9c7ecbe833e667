"""Tests of the back office: forms, roles, the editor (catalog.admin)."""
