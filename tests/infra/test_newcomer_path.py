"""The newcomer's path through the Makefile, run as the README writes it: `make run DATA=path`
serves another content folder from a database of its own (never the sample's), prints the
site's and the admin's addresses and how to get an account, and `make editor` makes one."""

import contextlib
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from bench.servers import free_port
from tests.factories import ContentDir

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "a-long-editor-password-1"

pytestmark = pytest.mark.skipif(not shutil.which("make"), reason="needs make")


@pytest.fixture
def folder(tmp_path):
    """A content folder of its own, and the site folder `make` gives it (removed after)."""
    content = ContentDir(tmp_path / "elsewhere" / "content")
    content.category("tools", title="Tools")
    content.guide("my-own-guide", title="My own guide", categories=("tools",))
    before = set((ROOT / "var").glob("*")) if (ROOT / "var").is_dir() else set()
    yield content
    for made in set((ROOT / "var").glob("*")) - before:
        shutil.rmtree(made, ignore_errors=True)


def _make(*args):
    """``make`` as a newcomer runs it, with the virtualenv the tests run in taken as set up
    (``make setup`` is what ``make test`` ran first; its timestamps are not this test's)."""
    venv = sys.prefix
    return [
        "make",
        "-o",
        f"{venv}/.installed",
        "-o",
        "node_modules/.installed",
        f"VENV={venv}",
        *args,
    ]


def _env():
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "DJANGO_"))}
    env.pop("SECRET_KEY", None)
    env.pop("DEBUG", None)
    return env


def _site_db(before=()):
    made = [p for p in (ROOT / "var").glob("content-*") if p not in before]
    assert len(made) == 1, made
    return made[0] / "db.sqlite3"


def test_make_run_with_data_serves_that_folder_from_its_own_database(folder):
    sample_db = ROOT / "db.sqlite3"
    sample_before = sample_db.stat().st_mtime if sample_db.exists() else None
    port = free_port()
    process = subprocess.Popen(
        _make("run", f"DATA={folder.root}", f"PORT={port}"),
        cwd=ROOT,
        env=_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    lines = []
    try:
        deadline = time.monotonic() + 180
        while not any("Quit the server" in line for line in lines):
            assert time.monotonic() < deadline and process.poll() is None, "".join(lines)
            lines.append(process.stdout.readline())
        output = "".join(lines)
        assert f"Site:  http://127.0.0.1:{port}/" in output
        assert f"Admin: http://127.0.0.1:{port}/admin/" in output
        assert f"make editor NAME=you DATA={folder.root}" in output
        assert output.count("Watching for file changes") == 1, output
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/guides/my-own-guide") as r:
            assert b"My own guide" in r.read()
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/admin/login/") as r:
            assert r.status == 200
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
        process.stdout.close()
    with sqlite3.connect(_site_db()) as db:
        assert db.execute("SELECT slug FROM catalog_guide").fetchall() == [("my-own-guide",)]
    if sample_before is not None:  # the sample site's database was not touched
        assert sample_db.stat().st_mtime == sample_before


def test_make_editor_makes_an_account_for_that_site(folder):
    result = subprocess.run(
        _make("editor", "NAME=alice", f"DATA={folder.root}"),
        cwd=ROOT,
        env=_env(),
        input=f"{PASSWORD}\n{PASSWORD}\n",
        capture_output=True,
        text=True,
        timeout=300,
        start_new_session=True,  # no terminal: the password is read from the input
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert "alice is an editor." in result.stdout
    with sqlite3.connect(_site_db()) as db:
        assert db.execute("SELECT is_staff FROM auth_user WHERE username = 'alice'").fetchone() == (
            1,
        )
