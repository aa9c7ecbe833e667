"""Real gunicorn servers over the suite's database, for tests of what happens in serving.

``served`` (a fixture in tests/conftest.py) imports a small site with an editor into the
suite's database (a new SQLite file, or the PostgreSQL test database) and returns the
environment to start servers with; ``fetch`` makes one request and never raises for a status.
"""

import atexit
import json
import shutil
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request
from pathlib import Path

from django.conf import settings
from django.db import connection

from bench.servers import collectstatic, server_env

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "a-long-editor-password-1"
ORIGIN = "https://guides.example.org"


def database_url(tmp_path):
    """The suite's database for a server: the PostgreSQL test database, or a new SQLite file."""
    if connection.vendor == "postgresql":
        db = settings.DATABASES["default"]
        credentials = f"{db['USER']}:{db['PASSWORD'] or ''}"
        return f"postgres://{credentials}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    return f"sqlite:///{tmp_path / 'served.sqlite3'}"


def manage(env, *args, stdin=None):
    return _python(env, ["manage.py", *args], stdin)


EACH = """
import json, os, sys
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "guides_site.settings")
import django
django.setup()
from django.core.management import call_command
for command in json.loads(sys.argv[1]):
    call_command(*command)
"""


def manage_each(env, *commands):
    """Several management commands (each a tuple of its arguments) in one process, in
    order, with the servers' environment: one Django start-up instead of one each."""
    return _python(env, ["-c", EACH, json.dumps(commands)])


def _python(env, args, stdin=None):
    """Python in the project's folder with ``env``; fails the test if it fails."""
    result = subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        input=stdin,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result


_collected = []


def collected_static():
    """Static files collected once per test process (as a deployment collects them: production
    settings need the manifest), for every server the tests start."""
    if not _collected:
        root = Path(tempfile.mkdtemp(prefix="guides-static-"))
        atexit.register(shutil.rmtree, root, ignore_errors=True)
        collectstatic(server_env("sqlite:///:memory:", root, STATIC_ROOT=root))
        _collected.append(root)
    return _collected[0]


def served_site(content, tmp_path):
    """A content folder with an imported site and an editor, and the env to serve it with."""
    content.category("c", title="Cat")
    content.guide("g", title="First", categories=("c",), image="/images/ok.png")
    content.public_image("images/ok.png")
    env = server_env(
        database_url(tmp_path),
        tmp_path,
        ALLOWED_HOSTS="guides.example.org,127.0.0.1",
        GUIDES_BASE_URL=f"{ORIGIN}/guides",
        GUIDES_DATA_DIR=content.root,
        EDITOR_PW=PASSWORD,
        STATIC_ROOT=collected_static(),
    )
    manage_each(
        env,
        ("migrate", "-v", "0"),
        ("import_guides", "-v", "0"),
        ("create_editor", "editor", "--password-env", "EDITOR_PW", "-v", "0"),
    )
    return content, env


def fetch(url, *, host=None, headers=None, data=None, opener=None):
    """(status, headers, body) of one request; never raises for an HTTP status."""
    request = urllib.request.Request(url, data=data, headers=dict(headers or {}))
    if host:
        request.add_header("Host", host)
    try:
        with (opener or urllib.request.build_opener(NoRedirect)).open(request, timeout=30) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers, exc.read()


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None
