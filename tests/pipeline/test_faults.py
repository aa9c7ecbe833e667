"""Faults: processes killed mid-way, readers during an import, a database that goes away.

Everything here runs real processes (manage.py, SIGKILL) against real databases: an SQLite
file always, and the PostgreSQL test database where the suite runs on PostgreSQL.
"""

import contextlib
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from bench.servers import Gunicorn
from tests.served import collected_static

ROOT = Path(__file__).resolve().parents[2]
BASE_ENV = {"DEBUG": "0", "SECRET_KEY": "faults", "ALLOWED_HOSTS": "testserver,127.0.0.1"}


def manage(*args, env, timeout=300):
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**os.environ, **BASE_ENV, **env},
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def start(*args, env):
    return subprocess.Popen(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**os.environ, **BASE_ENV, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def make_corpus(root, n, *, title_prefix):
    subprocess.run(
        [sys.executable, str(ROOT / "bench" / "make_corpus.py"), str(n), str(root)], check=True
    )
    for path in (root / "guides").iterdir():
        text = path.read_text()
        path.write_text(text.replace('title: "', f'title: "{title_prefix} ', 1))


def write_locked(db):
    """Whether some connection holds SQLite's write lock, i.e. is inside a write transaction."""
    conn = sqlite3.connect(db, timeout=0, isolation_level=None)
    try:
        conn.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError:
        return True
    else:
        conn.execute("ROLLBACK")
        return False
    finally:
        conn.close()


def wait_for(condition, process, timeout=120):
    deadline = time.monotonic() + timeout
    while not condition():
        assert process.poll() is None, "the process ended before the moment to kill it"
        assert time.monotonic() < deadline, "timed out waiting for the moment to kill"
        time.sleep(0.001)
    return time.monotonic()


def imported_sqlite(tmp_path, folder, n, *, title_prefix):
    """A migrated SQLite file with a synthetic corpus of ``n`` guides imported; (db, env)."""
    db = tmp_path / "db.sqlite3"
    env = {"DATABASE_URL": f"sqlite:///{db}"}
    assert manage("migrate", "-v", "0", env=env).returncode == 0
    make_corpus(folder, n, title_prefix=title_prefix)
    result = manage("import_guides", "--data-dir", str(folder), "-v", "0", env=env)
    assert result.returncode == 0, result.stderr[-2000:]
    return db, env


def kill(process, *, still=None):
    """SIGKILL; with `still`, first freeze the process and assert it has not got past the point.

    Freezing (SIGSTOP) makes the check exact: between it and the kill the process does nothing.
    """
    assert killed_before(process, still), (
        "the process got past the point to kill it at: the test proved nothing"
    )


def killed_before(process, still):
    """Freeze the process, tell whether it has not got past the point (``still()``), kill it."""
    process.send_signal(signal.SIGSTOP)
    in_time = still() if still is not None else True
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    return in_time
    assert process.returncode == -signal.SIGKILL


def sqlite_state(db):
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        return (
            conn.execute("SELECT slug, title FROM catalog_guide ORDER BY slug").fetchall(),
            conn.execute("SELECT count(*) FROM catalog_taggedguide").fetchone(),
            conn.execute("SELECT version FROM catalog_sitestate").fetchall(),
        )


def test_import_killed_halfway_leaves_the_previous_state(tmp_path):
    """Kill an import before its transaction opens, and at three moments inside it.

    The moments are fractions of how long a whole import of the same folder held SQLite's
    write lock on this machine, so they land inside the transaction on a fast or slow machine.
    """
    db, env = imported_sqlite(tmp_path, tmp_path / "old", 300, title_prefix="Old")
    before = sqlite_state(db)
    make_corpus(tmp_path / "new", 800, title_prefix="New")
    args = ("import_guides", "--data-dir", str(tmp_path / "new"), "--prune", "-v", "0")

    def copy_db(source, target):
        with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
            src.backup(dst)

    copy_db(db, tmp_path / "backup.sqlite3")
    started = time.monotonic()
    process = start(*args, env=env)
    locked_at = wait_for(lambda: write_locked(db), process)
    while process.poll() is None and write_locked(db):
        time.sleep(0.001)
    held = time.monotonic() - locked_at
    assert process.wait(timeout=60) == 0
    assert sqlite_state(db) != before

    moments = [(None, (locked_at - started) / 2)]  # before the transaction
    moments += [(fraction, fraction * held) for fraction in (0, 0.3, 0.6)]
    for fraction, delay in moments:
        for _ in range(3):  # a run faster than the measured one (a busy machine got quiet)
            copy_db(tmp_path / "backup.sqlite3", db)  # may pass the moment: aim earlier
            assert sqlite_state(db) == before
            process = start(*args, env=env)
            if fraction is None:
                time.sleep(delay)
                # No lock held is also the state after the commit (a run much faster than
                # the first, whose start was cold): the content must still be the old one.
                still = lambda: not write_locked(db) and sqlite_state(db) == before  # noqa: E731
            else:
                wait_for(lambda: write_locked(db), process)
                time.sleep(delay)
                still = lambda: write_locked(db)  # noqa: E731
            if killed_before(process, still):
                break
            delay /= 2
        else:
            pytest.fail(f"three runs got past the moment {fraction}: the test proved nothing")
        assert sqlite_state(db) == before


@pytest.fixture
def postgres_env():
    from django.conf import settings
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("needs the suite on PostgreSQL (DATABASE_URL=postgres://…)")
    db = settings.DATABASES["default"]
    return {
        "DATABASE_URL": f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST']}:"
        f"{db['PORT']}/{db['NAME']}"
    }


@pytest.mark.django_db(transaction=True)
def test_postgres_readers_see_the_old_or_the_new_state_never_a_mixture(postgres_env, tmp_path):
    import psycopg

    make_corpus(tmp_path / "old", 400, title_prefix="Old")
    assert (
        manage(
            "import_guides", "--data-dir", str(tmp_path / "old"), "-v", "0", env=postgres_env
        ).returncode
        == 0
    )
    make_corpus(tmp_path / "new", 400, title_prefix="New")
    seen, stop = set(), threading.Event()

    def read():
        with psycopg.connect(postgres_env["DATABASE_URL"], autocommit=True) as conn:
            while not stop.is_set():
                seen.add(
                    conn.execute(
                        "SELECT count(*) FILTER (WHERE title LIKE 'New %%'), "
                        "count(*) FILTER (WHERE title LIKE 'Old %%') FROM catalog_guide"
                    ).fetchone()
                )

    reader = threading.Thread(target=read)
    reader.start()
    try:
        result = manage(
            "import_guides", "--data-dir", str(tmp_path / "new"), "-v", "0", env=postgres_env
        )
    finally:
        stop.set()
        reader.join(timeout=30)
    assert result.returncode == 0, result.stderr
    assert seen <= {(0, 400), (400, 0)} and (400, 0) in seen and len(seen) >= 1


@pytest.mark.parametrize("at", ["first file", "half the files"])
def test_export_guides_killed_halfway_leaves_only_whole_files(tmp_path, at):
    folder = tmp_path / "data"
    db, env = imported_sqlite(tmp_path, folder, 1500, title_prefix="Old")
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE catalog_guide SET title = 'Changed ' || title")
    paths = sorted((folder / "guides").glob("*.md"))  # exports write in slug order
    inodes = {path: path.stat().st_ino for path in paths}
    target = paths[0] if at == "first file" else paths[len(paths) // 2]

    def replaced(path):
        return path.stat().st_ino != inodes[path]  # a rename replaces the file and its inode

    process = start("export_guides", "--data-dir", str(folder), "-v", "0", env=env)
    wait_for(lambda: replaced(target), process)
    kill(process, still=lambda: not replaced(paths[-1]))
    files = sorted((folder / "guides").glob("*.md"))
    assert len(files) == 1500
    changed = 0
    for path in files:
        text = path.read_text()
        assert text.startswith("---\ntitle: ") and text.endswith("\n"), path
        changed += 'title: "Changed ' in text
    assert 0 < changed < 1500, "the kill should land halfway"
    result = manage("import_guides", "--check", "--data-dir", str(folder), env=env)
    assert result.returncode == 0, result.stderr[-2000:]


def test_export_readme_killed_at_any_moment_leaves_the_old_or_the_new_readme(tmp_path):
    _, env = imported_sqlite(tmp_path, tmp_path / "data", 3000, title_prefix="T")
    readme = tmp_path / "README.md"
    old = "# Guides\n\n<!-- TOC -->\n<!-- /TOC -->\nThe end.\n"
    complete = None
    for delay in (0.05, 0.2, 0.35, 0.5, 0.65, 0.8, 1.0, 1.3):
        readme.write_text(old)
        process = start("export_readme", "--readme", str(readme), "-v", "0", env=env)
        time.sleep(delay)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
        text = readme.read_text()
        if text != old:
            complete = (
                complete
                or manage("export_readme", "--readme", str(readme), "--stdout", env=env).stdout
            )
            assert text == complete
    # A killed writer's temporary file is removed by the next write.
    assert manage("export_readme", "--readme", str(readme), "-v", "0", env=env).returncode == 0
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".README")) == []


class _Proxy:
    """A TCP forwarder the test can cut: the database 'goes away' and 'comes back'."""

    def __init__(self, target):
        self.target = target
        self.server = socket.socket()
        self.server.bind(("127.0.0.1", 0))
        self.server.listen(64)
        self.port = self.server.getsockname()[1]
        self.up = threading.Event()
        self.up.set()
        self.connections = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                client, _ = self.server.accept()
            except OSError:
                return
            if not self.up.is_set():
                client.close()
                continue
            upstream = socket.create_connection(self.target)
            self.connections += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(source, sink):
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)

    def cut(self):
        self.up.clear()
        for sock in self.connections:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        self.connections = []

    def restore(self):
        self.up.set()


@pytest.mark.django_db(transaction=True)
def test_database_outage_gives_503_and_the_app_recovers_by_itself(postgres_env, content, tmp_path):
    """gunicorn, as in production: Django's test client never closes a broken connection."""
    import urllib.error
    import urllib.request

    from django.conf import settings

    content.category("c")
    content.guide("g", categories=("c",))
    content.import_()
    db = settings.DATABASES["default"]
    proxy = _Proxy((db["HOST"], int(db["PORT"])))
    env = {
        **os.environ,
        **BASE_ENV,
        "CONN_MAX_AGE": "60",
        "STATIC_ROOT": str(collected_static()),
        "DATABASE_URL": postgres_env["DATABASE_URL"].replace(f":{db['PORT']}/", f":{proxy.port}/"),
    }

    def status(path):
        try:
            with urllib.request.urlopen(f"{server.url}{path}", timeout=10) as r:
                return r.status
        except urllib.error.HTTPError as exc:
            return exc.code

    def ask():
        return [status("/healthz"), status("/guides/c?fresh=" + str(time.monotonic_ns()))]

    def outage_seen():
        """The answers once the server has seen the outage: until its version watch's own
        connection notices the cut (a moment), a cached page is still served, as it should
        be while the database is away."""
        deadline = time.monotonic() + 10
        while (answers := ask()) != [503, 503] and time.monotonic() < deadline:
            time.sleep(0.05)
        return answers

    with Gunicorn(env) as server:
        assert ask() == [200, 200]
        proxy.cut()
        assert outage_seen() == [503, 503]
        assert ask() == [503, 503]
        proxy.restore()
        assert ask() == [200, 200]
        proxy.cut()  # a restart while the kept connection is idle: the next request
        proxy.restore()  # reconnects instead of failing
        assert ask() == [200, 200]


def test_commands_on_a_database_never_migrated_or_out_of_reach_say_so_in_one_line(tmp_path):
    """A new database nobody migrated, or one that cannot be reached: the data commands
    end with one line naming what to do and exit 1, not a traceback from their first query;
    the database is left as it was."""
    readme = tmp_path / "README.md"
    readme.write_text("# x\n<!-- TOC -->\n<!-- /TOC -->\n")
    fresh = {"DATABASE_URL": f"sqlite:///{tmp_path / 'new.sqlite3'}"}
    for args in (
        ["export_readme", "--readme", str(readme)],
        ["import_guides", "-v", "0"],
        ["export_guides", "--data-dir", str(tmp_path / "out")],
        ["render_guides", "--all"],
    ):
        done = manage(*args, env=fresh)
        assert done.returncode == 1, (args, done.stderr)
        assert done.stderr.startswith("CommandError: the database is not migrated ("), done.stderr
        assert "run `manage.py migrate` first" in done.stderr and "Traceback" not in done.stderr
    with sqlite3.connect(tmp_path / "new.sqlite3") as db:
        assert db.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall() == []
    assert readme.read_text() == "# x\n<!-- TOC -->\n<!-- /TOC -->\n"

    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))  # a port nothing listens on
    port = closed.getsockname()[1]
    closed.close()
    away = {"DATABASE_URL": f"postgres://postgres@127.0.0.1:{port}/test"}
    done = manage("export_readme", "--readme", str(readme), env=away)
    assert done.returncode == 1, done.stderr
    assert done.stderr.startswith("CommandError: the database cannot be used: "), done.stderr
    assert "Traceback" not in done.stderr
