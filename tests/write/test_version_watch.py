"""The content version kept in memory (catalog.write.versionwatch): on PostgreSQL pushed by the
server, so cached pages read no database, every change is taken within moments, and a lost
connection falls back to reading the version per request until the watch is back; on SQLite
kept while the file's ``data_version`` stands still, so a cached page reads no table, and a
change committed on any connection is taken by the next request."""

import time

import pytest
from django.core.cache import caches
from django.db import connection
from django.test.utils import CaptureQueriesContext

from bench.servers import Gunicorn
from catalog.infra.db import postgresql
from catalog.models import Guide, SiteState
from catalog.write import versions, versionwatch
from catalog.write.changes import save_guide
from tests.served import fetch, manage

pytestmark = pytest.mark.django_db(transaction=True)


def _watched_site(settings, content, vendor, why):
    """A one-guide site with the watch on, on ``vendor`` only (skipped elsewhere, ``why``)."""
    if connection.vendor != vendor:
        pytest.skip(why)
    settings.GUIDES_VERSION_WATCH = True
    content.category("c", title="Cat")
    content.guide("g", title="First title", categories=("c",))
    content.import_()


@pytest.fixture
def watching(settings, content):
    _watched_site(settings, content, "postgresql", "the version watch is PostgreSQL's")
    versionwatch.restart()  # a new watch for this test
    yield
    versionwatch.restart()
    _terminate_watch()


SQLITE_ONLY = "SQLite's counterpart of the version watch (PRAGMA data_version)"


@pytest.fixture
def watching_file(settings, content):
    _watched_site(settings, content, "sqlite", SQLITE_ONLY)
    versionwatch.restart()
    yield
    versionwatch.restart()


# A content change committed elsewhere: the version moves on (either database's SQL).
BUMP_ELSEWHERE = (
    "UPDATE catalog_sitestate SET version = version + 1, changed_at = CURRENT_TIMESTAMP "
    "WHERE id = 1"
)


def _other_connection_commits(*statements):
    """Run ``statements`` on a connection of their own (another process, a shell)."""
    from django.db import connections

    other = connections.create_connection("default")
    with other.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)
    other.close()


def _terminate_watch():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = %s",
            [postgresql.APPLICATION_NAME],
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
    _other_connection_commits(BUMP_ELSEWHERE, f"NOTIFY {postgresql.CHANNEL}")
    assert _until(lambda: _announced_version() == version + 1)


def test_a_lost_watch_falls_back_to_the_database_then_comes_back(watching, client):
    assert _until(lambda: _announced_version() is not None)
    _terminate_watch()
    assert _until(lambda: versionwatch.current() is None)
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/guides/c").status_code == 200
    assert any("catalog_sitestate" in q["sql"] for q in queries)  # read per request meanwhile
    assert _until(lambda: _announced_version() == SiteState.current().version)


def test_sqlite_a_cached_page_reads_no_table(watching_file, client):
    assert "First title" in client.get("/guides/c").content.decode()
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/guides/c")
    assert response.status_code == 200 and "First title" in response.content.decode()
    assert len(queries) == 0, [q["sql"] for q in queries]
    assert _announced_version() == SiteState.current().version


def test_sqlite_changes_on_this_connection_and_others_are_taken(watching_file, client):
    client.get("/guides/c")
    kept = _announced_version()
    guide = Guide.objects.with_page().get(slug="g")
    guide.title = "Edited here"
    save_guide(guide)  # this connection's own commit: data_version does not move for it
    assert _announced_version() == SiteState.current().version == kept + 1
    assert "Edited here" in client.get("/guides/c").content.decode()

    # Another connection (another process, a shell) commits: the next request takes it.
    _other_connection_commits(BUMP_ELSEWHERE)
    assert _announced_version() == kept + 2
    _other_connection_commits("UPDATE catalog_guide SET title = 'Edited there' WHERE slug = 'g'")
    _other_connection_commits(BUMP_ELSEWHERE)
    assert "Edited there" in client.get("/guides/c").content.decode()


def test_sqlite_a_page_rendered_after_a_change_reads_the_version_once(watching_file, client):
    client.get("/guides/c")
    _other_connection_commits(BUMP_ELSEWHERE)
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/guides/c").status_code == 200  # a new version: rendered
    assert sum("catalog_sitestate" in q["sql"] for q in queries) == 1
    caches["default"].clear()
    caches["pages-local"].clear()
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/guides/c").status_code == 200  # rendered again, nothing changed
    assert not any("catalog_sitestate" in q["sql"] for q in queries)


def test_sqlite_a_rolled_back_change_keeps_the_version(watching_file, client):
    from django.db import transaction

    client.get("/guides/c")
    kept = _announced_version()
    with pytest.raises(RuntimeError), transaction.atomic():
        versions.bump()
        raise RuntimeError("rolled back")
    assert _announced_version() == SiteState.current().version == kept


def test_sqlite_server_workers_take_a_change_another_process_commits(served):
    """Gunicorn's workers keep the version they read; an import run beside them (another
    process, as from CI or cron) moves the file's data_version, and every worker's next page
    shows the change."""
    if connection.vendor != "sqlite":
        pytest.skip(SQLITE_ONLY)
    content, env = served
    with Gunicorn(env, workers=2) as server:
        for path in ("/guides/c", "/guides/g"):
            for _ in range(6):  # both workers keep the version and the page
                status, _, body = fetch(server.url + path)
                assert status == 200 and b"First" in body
        content.guide(
            "g", title="Renamed in a pull request", categories=("c",), image="/images/ok.png"
        )
        manage(env, "import_guides", "-v", "0")
        for path in ("/guides/c", "/guides/g"):
            for _ in range(6):
                assert b"Renamed in a pull request" in fetch(server.url + path)[2]
