"""The content version pushed by PostgreSQL (catalog.versionwatch): cached pages read no
database, every change is taken within moments, and a lost connection falls back to reading
the version per request until the watch is back."""

import time

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from catalog import versionwatch
from catalog.changes import save_guide
from catalog.models import Guide, SiteState

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def watching(settings, content):
    if connection.vendor != "postgresql":
        pytest.skip("the version watch is PostgreSQL's (LISTEN/NOTIFY)")
    settings.GUIDES_VERSION_WATCH = True
    content.category("c", title="Cat")
    content.guide("g", title="First title", categories=("c",))
    content.import_()
    versionwatch._watcher.stop()  # a new watch for this test
    yield
    versionwatch._watcher.stop()
    _terminate_watch()


def _terminate_watch():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = %s",
            [versionwatch.APPLICATION_NAME],
        )


def _until(condition, seconds=5.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.01)
    return False


def _announced_version():
    state = versionwatch.current()
    return state.version if state else None


def test_a_cached_page_reads_nothing_from_the_database(watching, client):
    assert _until(lambda: _announced_version() == SiteState.current().version)
    assert "First title" in client.get("/guides/c").content.decode()
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/guides/c")
    assert response.status_code == 200 and "First title" in response.content.decode()
    assert len(queries) == 0, [q["sql"] for q in queries]


def test_changes_from_this_process_and_others_are_taken(watching, client):
    assert _until(lambda: _announced_version() is not None)
    client.get("/guides/c")
    guide = Guide.objects.with_page().get(slug="g")
    guide.title = "Edited here"
    save_guide(guide)  # committed: this process takes the new version at commit
    assert _announced_version() == SiteState.current().version
    assert "Edited here" in client.get("/guides/c").content.decode()

    # Another process's change arrives as a notification.
    with connection.cursor() as cursor:
        cursor.execute("SELECT version FROM catalog_sitestate WHERE id = 1")
        [version] = cursor.fetchone()
    from django.db import connections

    other = connections.create_connection("default")
    with other.cursor() as cursor:
        cursor.execute(
            "UPDATE catalog_sitestate SET version = version + 1, changed_at = now() WHERE id = 1"
        )
        cursor.execute(f"NOTIFY {versionwatch.CHANNEL}")
    other.close()
    assert _until(lambda: _announced_version() == version + 1)


def test_a_lost_watch_falls_back_to_the_database_then_comes_back(watching, client):
    assert _until(lambda: _announced_version() is not None)
    _terminate_watch()
    assert _until(lambda: versionwatch.current() is None)
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/guides/c").status_code == 200
    assert any("catalog_sitestate" in q["sql"] for q in queries)  # read per request meanwhile
    assert _until(lambda: _announced_version() == SiteState.current().version)
