"""Data migrations keep what they move, both ways."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = ("catalog", "0022_link_indexes_in_composites")
AFTER = ("catalog", "0023_sync_base_body_apart")


def _migrate(target=None):
    """Migrate the test database to ``target`` (the latest migration when None); the models
    as they are there."""
    executor = MigrationExecutor(connection)
    target = target or executor.loader.graph.leaf_nodes("catalog")[0]
    executor.migrate([target])
    executor.loader.build_graph()
    return executor.loader.project_state([target]).apps


@pytest.mark.django_db(transaction=True)
def test_a_sync_base_body_moves_apart_and_back():
    guides = _migrate(BEFORE).get_model("catalog", "Guide").objects
    base = {"slug": "g", "title": "G", "created": "2024-01-01", "body": "The body.\n"}
    rest = {key: value for key, value in base.items() if key != "body"}
    guides.create(slug="g", title="G", created_on="2024-01-01", body="Edited.\n", synced=base)
    guides.create(slug="never", title="N", created_on="2024-01-01", synced=None)
    try:
        guides = _migrate(AFTER).get_model("catalog", "Guide").objects
        moved = guides.get(slug="g")
        assert (moved.synced, moved.synced_body) == (rest, "The body.\n")
        assert guides.get(slug="never").synced is None
        guides = _migrate(BEFORE).get_model("catalog", "Guide").objects
        assert guides.get(slug="g").synced == base
        assert guides.get(slug="never").synced is None
    finally:
        _migrate()
