"""Tests of sync_content through git, Sync now, and the content repository as untrusted input
(catalog.repository)."""
