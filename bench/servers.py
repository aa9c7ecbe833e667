"""Real app servers on 127.0.0.1 for the benchmarks and the tests that need them, and the
benchmarks' shared set-up helpers.

``with Gunicorn(env) as server:`` starts gunicorn on a free port with the given environment,
waits until it answers, and stops it afterwards; ``server.url`` is its address.
"""

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# The real corpus (test and benchmark input only, never copied into the repository):
# GUIDES_CORPUS, else ../shared beside the repository.
CORPUS = Path(
    os.environ.get("GUIDES_CORPUS")
    or ROOT.parent / "shared" / "corpus" / "system-design-101" / "data"
)


def server_env(database_url, workdir, **settings):
    """The environment of a production-style site for gunicorn or a command: DEBUG off, the
    given database, static files collected under ``workdir``, a cache key prefix of its own,
    no Redis unless ``settings`` (environment names and values, added last) give one."""
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "DEBUG": "0",
        "SECRET_KEY": "a-local-test-server",
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_COOKIES": "0",
        "STATIC_ROOT": str(Path(workdir) / "static"),
        "CACHE_KEY_PREFIX": f"site-{uuid.uuid4().hex}",
    }
    env.pop("REDIS_URL", None)
    env.update({name: str(value) for name, value in settings.items()})
    return env


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def redis_up(host="127.0.0.1", port=6379):
    try:
        with socket.create_connection((host, port), timeout=1) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def collectstatic(env):
    """Collect static files as a deployment does (production settings need the manifest)."""
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"],
        cwd=ROOT,
        env=env,
        check=True,
        timeout=120,
    )


class Gunicorn:
    def __init__(self, env, *, workers=1, timeout=60, log_level="warning", port=None, logs_to=None):
        """``logs_to``: a folder for the access log (access.log) and the processes' output
        (output.log); else no access log, and output goes where this process's goes."""
        self.env, self.workers, self.timeout, self.log_level = env, workers, timeout, log_level
        self.logs_to = logs_to
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = None

    def __enter__(self):
        self._output = open(Path(self.logs_to) / "output.log", "ab") if self.logs_to else None
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "guides_site.wsgi",
                "-b",
                f"127.0.0.1:{self.port}",
                "-w",
                str(self.workers),
                "--timeout",
                str(self.timeout),
                "--log-level",
                self.log_level,
                "--logger-class",
                "guides_site.serving.RedactingLogger",
                *(
                    ["--access-logfile", str(Path(self.logs_to) / "access.log")]
                    if self.logs_to
                    else []
                ),
            ],
            cwd=ROOT,
            env=self.env,
            stdout=self._output,
            stderr=subprocess.STDOUT if self._output else None,
        )
        self.wait_until_up()
        return self

    def wait_until_up(self, seconds=30):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(self.url + "/healthz", timeout=5).read()
                return
            except urllib.error.HTTPError:
                return  # it answers, even if unhappy
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"gunicorn did not answer on {self.url}")

    def reload(self):
        """Restart the workers (whitenoise indexes static files when a worker starts)."""
        import signal

        self.process.send_signal(signal.SIGHUP)
        time.sleep(2)
        self.wait_until_up()

    def __exit__(self, *exc):
        self.process.terminate()
        self.process.wait(timeout=30)
        if self._output:
            self._output.close()


def empty_database():
    """Delete every guide, category and tag, with one content-version bump (not one per row:
    per-row bumps would make emptying 20,000 guides quadratic). Django must be set up.

    On PostgreSQL the tables are truncated, so that every round of a benchmark starts from
    an empty database as a new install has it: deleting leaves the rows dead in the tables
    until autovacuum comes, and each later round would read through more of them.
    """
    from django.db import connection

    from catalog.models import Category, Guide, SuggestionWord, Tag
    from catalog.write.versions import batch_of_changes, bump

    emptied = (Guide, Category, Tag, SuggestionWord)
    with batch_of_changes():
        if connection.vendor == "postgresql":
            tables = ", ".join(connection.ops.quote_name(model._meta.db_table) for model in emptied)
            with connection.cursor() as cursor:
                cursor.execute(f"TRUNCATE {tables} CASCADE")
        else:
            for model in emptied:
                model.objects.all().delete()
        bump()


def fresh_postgres_database(server, name):
    """``DATABASE_URL`` of a new, empty PostgreSQL database ``name`` on ``server`` (dropped
    first if it exists), or None with the reason printed when no server answers."""
    try:
        import psycopg

        with psycopg.connect(f"{server}/postgres", autocommit=True, connect_timeout=3) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
        return f"{server}/{name}"
    except Exception as exc:  # no server: the PostgreSQL figures are left out, saying why
        print(f"PostgreSQL not available ({exc}); its figures are left out.", file=sys.stderr)
        return None
