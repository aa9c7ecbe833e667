"""Two gunicorn app servers sharing one PostgreSQL and one Redis never serve a stale page,
nor a search from a stale index. Each stands for a host: a search index of its own
(catalog.search.index) kept by the host's own task worker, which every change reaches.

Runs where the test database is PostgreSQL and Redis answers on 127.0.0.1:6379 (CI's second
pass); elsewhere it is skipped, saying why.
"""

import os
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection

from bench.servers import Gunicorn, redis_up
from catalog.models import Guide, SiteState
from catalog.search.index import folder, indexed_version
from catalog.write.changes import publish_guides
from tests.repository.test_sync_runs import Worker
from tests.served import collected_static

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = "redis://127.0.0.1:6379/15"
pytestmark = pytest.mark.django_db(transaction=True)
FOUND = 'href="/guides/g"'  # the guide among a search's results


def _get(url):
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.read().decode()


def _shows(url, text, within=1.0):
    """Whether the page shows ``text`` within ``within`` seconds: each server learns a new
    content version from PostgreSQL's notification (catalog.write.versionwatch), milliseconds
    after the change commits."""
    deadline = time.monotonic() + within
    while True:
        if text in _get(url):
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.005)


@pytest.fixture
def servers(content, tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("needs the suite on PostgreSQL (DATABASE_URL=postgres://…)")
    if not redis_up():
        pytest.skip("needs Redis on 127.0.0.1:6379")
    db = settings.DATABASES["default"]
    database_url = (
        f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    )
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "REDIS_URL": REDIS_URL,
        "CACHE_KEY_PREFIX": f"test-{uuid.uuid4().hex}",
        "DEBUG": "0",
        "SECRET_KEY": "two-servers",
        "ALLOWED_HOSTS": "127.0.0.1",
        "GUIDES_DATA_DIR": str(content.root),
        "SECURE_COOKIES": "0",
        "STATIC_ROOT": str(collected_static()),
    }
    content.category("c", title="Cat")
    content.guide("g", title="First title", categories=("c",))
    content.guide("d", title="Hidden draft", categories=("c",), draft=True)
    call_command("import_guides", "--data-dir", str(content.root), verbosity=0)
    hosts = [
        {**env, "GUIDES_HOST_NAME": name, "GUIDES_SEARCH_INDEX_DIR": str(tmp_path / name)}
        for name in ("a", "b")
    ]
    with Gunicorn(hosts[0]) as a, Gunicorn(hosts[1]) as b, Worker(hosts[0]), Worker(hosts[1]):
        yield (a.url, b.url), env, [folder(tmp_path / name) for name in ("a", "b")]


def _indexed_everywhere(indexes, within=30.0):
    """Whether every host's index reaches the database's content version: each host's worker
    is sent the update when content changes, with no search asking for it."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        version = SiteState.current().version
        if all(indexed_version(path) == version for path in indexes):
            return True
        time.sleep(0.05)
    return False


def test_edit_publish_and_import_show_on_both_servers_at_once(servers, content):
    (a, b), env, indexes = servers
    assert _indexed_everywhere(indexes)  # each worker, as it starts
    for url in (a, b):
        assert "First title" in _get(url + "/guides/c")
        assert "First title" in _get(url + "/guides/c")  # now served from the shared cache
        assert FOUND in _get(url + "/search?q=first")  # each host's search index

    guide = Guide.objects.get(slug="g")
    guide.title = "Edited title"
    guide.save()
    assert _indexed_everywhere(indexes)  # before any search asked: the change queued both
    assert _shows(b + "/guides/c", "Edited title") and _shows(a + "/guides/c", "Edited title")
    for url in (a, b):
        assert _shows(url + "/search?q=edited", FOUND)
        assert FOUND not in _get(url + "/search?q=first")

    publish_guides(Guide.objects.filter(slug="d"))
    assert _shows(a + "/guides/c", "Hidden draft") and _shows(b + "/", "Hidden draft")

    content.guide("g", title="Imported title", categories=("c",))
    result = subprocess.run(
        # The title was edited in the admin above too: the files' version is chosen.
        [sys.executable, "manage.py", "import_guides", "-v", "0", "--on-conflict", "files"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert _shows(a + "/guides/g", "Imported title") and _shows(b + "/guides/g", "Imported title")
    for url in (a, b):
        assert _shows(url + "/search?q=imported", FOUND)
    assert _indexed_everywhere(indexes)
    for url in (a, b):
        assert FOUND in _get(url + "/search?q=imported+title")
    health = _get(a + "/healthz")
    assert '"cache": {"ok": true' in health
