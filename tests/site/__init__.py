"""Tests of the public site: pages, feeds, caching, security, serving, browsers (catalog.site)."""
