"""The write side: every content change (one step for all paths), the sync mapping between a
record and its file form, the listings' ranks and counts, and the content version."""
