"""The newcomer's path through the Makefile, run as the README writes it: `make run DATA=path`
serves another content folder from a database of its own (never the sample's), prints the
site's and the admin's addresses and how to get an account, and `make editor` makes one."""

import contextlib
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
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
    """A content folder of its own."""
    content = ContentDir(tmp_path / "elsewhere" / "content")
    content.category("tools", title="Tools")
    content.guide("my-own-guide", title="My own guide", categories=("tools",))
    return content


def _make(*args):
    """``make`` as a newcomer runs it, with the virtualenv the tests run in taken as set up
    (``make setup`` is what ``make test`` ran first; its timestamps are not this test's)."""
    venv = sys.prefix
    skip_setup = ["-o", f"{venv}/.installed", "-o", "node_modules/.installed"]
    return ["make", *skip_setup, f"VENV={venv}", *args]


def _env():
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "DJANGO_"))}
    env.pop("SECRET_KEY", None)
    env.pop("DEBUG", None)
    return env


def _site_folder(output):
    """The folder `make` says it keeps the site's database and uploads in."""
    match = re.search(r"^Site folder: (\S+)", output, re.M)
    assert match, output
    return Path(match[1])


@contextlib.contextmanager
def _served(data):
    """`make run DATA=data` on a free port until it serves; yields (url, its output so far,
    the site folder). Stopped and its site folder removed after."""
    port = free_port()
    process = subprocess.Popen(
        _make("run", f"DATA={data}", f"PORT={port}"),
        cwd=ROOT,
        env=_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    lines = []
    reader = threading.Thread(target=lambda: lines.extend(process.stdout), daemon=True)
    reader.start()
    site = None
    try:
        deadline = time.monotonic() + 180
        while not any("Quit the server" in line for line in list(lines)):
            assert time.monotonic() < deadline and process.poll() is None, "".join(lines)
            time.sleep(0.1)
        output = "".join(lines)
        site = _site_folder(output)
        yield f"http://127.0.0.1:{port}", output, site
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
        reader.join(timeout=10)
        if site is not None:
            shutil.rmtree(site, ignore_errors=True)


def test_make_run_with_data_serves_that_folder_from_its_own_database(folder):
    sample_db = ROOT / "db.sqlite3"
    sample_before = sample_db.stat().st_mtime if sample_db.exists() else None
    with _served(folder.root) as (url, output, site):
        assert f"Site:  {url}/" in output
        assert f"Admin: {url}/admin/" in output
        assert f"make editor NAME=you DATA={folder.root}" in output
        assert output.count("Watching for file changes") == 1, output
        with urllib.request.urlopen(f"{url}/guides/my-own-guide") as r:
            assert b"My own guide" in r.read()
        with urllib.request.urlopen(f"{url}/admin/login/") as r:
            assert r.status == 200
        assert site.parent == ROOT / "var"
        with sqlite3.connect(site / "db.sqlite3") as db:
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
    site = _site_folder(result.stdout)
    try:
        assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
        assert "alice is an editor." in result.stdout
        with sqlite3.connect(site / "db.sqlite3") as db:
            staff = db.execute("SELECT is_staff FROM auth_user WHERE username = 'alice'")
            assert staff.fetchone() == (1,)
    finally:
        shutil.rmtree(site, ignore_errors=True)


@pytest.mark.corpus
def test_make_run_with_the_real_corpus_keeps_it_apart_from_the_sample(corpus_dir):
    """The issue's case: the corpus served by `make run DATA=…` is in a database of its own,
    never mixed with the sample content (no blank cards, one "Caching & Performance")."""
    with _served(corpus_dir) as (url, _, site):
        with urllib.request.urlopen(f"{url}/guides") as r:
            page = r.read().decode()
        assert page.count("Caching &amp; Performance") == 1
        assert page.count('class="category-tile"') == 15  # the corpus's, none of the sample's
        with sqlite3.connect(site / "db.sqlite3") as db:
            assert db.execute("SELECT COUNT(*) FROM catalog_guide").fetchone() == (400,)
