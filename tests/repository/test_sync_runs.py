"""``sync_content`` as processes: the admin's "Sync now" queued, carried out by a real task
worker and followed through a real server; a worker killed mid-run and restarted; runs
killed with SIGKILL at arbitrary moments, each finished by the next run.

Everything runs in subprocesses over the suite's database (a SQLite file of this test, or the
PostgreSQL test database) and real git repositories with a bare repository as the remote.
"""

import json
import os
import signal
import subprocess
import sys
import time
import urllib.parse

import pytest

from bench.servers import Gunicorn, server_env
from tests.gitrepos import Repos, git
from tests.served import (
    PASSWORD,
    ROOT,
    collected_static,
    database_url,
    fetch,
    manage,
    manage_each,
)
from tests.site.test_security import Browser

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def site(tmp_path):
    """Repositories, and the environment of a site whose clone is ``repos.site``, synced once."""
    repos = Repos(tmp_path)
    env = server_env(
        database_url(tmp_path),
        tmp_path,
        GUIDES_BASE_URL="https://guides.example.org/guides",
        GUIDES_DATA_DIR=repos.site / "data",
        GUIDES_CONTENT_REPO=repos.site,
        EDITOR_PW=PASSWORD,
        STATIC_ROOT=collected_static(),
    )
    manage_each(
        env,
        ("migrate", "-v", "0"),
        ("create_editor", "editor", "--password-env", "EDITOR_PW", "-v", "0"),
        ("sync_content", "-v", "0"),
    )
    return repos, env


def shell(env, code):
    """Run Python in the site's Django (``manage.py shell``); its printed output."""
    return manage(env, "shell", "-v", "0", "-c", code).stdout


def admin_edit(env, slug, description):
    shell(
        env,
        "from django.contrib.auth.models import User\n"
        "from catalog.write.changes import save_guide\n"
        "from catalog.models import Guide\n"
        f"guide = Guide.objects.with_page().get(slug={slug!r})\n"
        f"guide.description = {description!r}\n"
        "save_guide(guide, author=User.objects.get(username='editor'))\n",
    )


def stored(env, slug):
    out = shell(
        env,
        "import json\nfrom catalog.models import Guide\n"
        f"g = Guide.objects.get(slug={slug!r})\n"
        "print(json.dumps([g.description, g.body]))",
    )
    return json.loads(out)


def slow_push(repos, seconds):
    """The remote takes ``seconds`` to accept a push (the site's git runs no hooks of its
    own: catalog.infra.git)."""
    hook = repos.origin / "hooks" / "pre-receive"
    hook.write_text(f"#!/bin/sh\nsleep {seconds}\n")
    hook.chmod(0o755)


class Worker:
    """``manage.py run_worker`` in a process group of its own (so a kill takes its git too)."""

    def __init__(self, env):
        self.env, self.process = env, None

    def __enter__(self):
        self.process = subprocess.Popen(
            [sys.executable, "manage.py", "run_worker", "--interval", "0.2", "-v", "0"],
            cwd=ROOT,
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        return self

    def kill(self):
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def __exit__(self, *exc):
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()


def run_state_of(env, run_id):
    state = "from catalog.repository.tasks import state_of\nfrom catalog.models import SyncRun\n"
    state += f"import json\nprint(json.dumps(state_of(SyncRun.objects.get(pk={run_id}))))"
    return json.loads(shell(env, state))


def test_sync_now_is_queued_run_by_a_worker_and_the_page_follows_it(site):
    repos, env = site
    slow_push(repos, 2)
    admin_edit(env, "g", "Edited in the admin.")
    repos.contribute("data/guides/h.md", "Second line.", "A contributor's line.")
    with Gunicorn(env, workers=2) as server, Worker(env):
        browser = Browser(server.url)
        assert browser.login("editor", PASSWORD) == "ok"
        page_url = server.url + "/admin/catalog/guide/content-sync/"
        _, _, page = fetch(page_url, opener=browser.opener)
        token = page.split(b'name="csrfmiddlewaretoken" value="')[1].split(b'"')[0].decode()
        started = time.monotonic()
        status, headers, _ = fetch(
            page_url,
            data=urllib.parse.urlencode({"csrfmiddlewaretoken": token, "sync": "1"}).encode(),
            headers={"Referer": page_url},
            opener=browser.opener,
        )
        assert status == 302 and time.monotonic() - started < 2  # the request did not wait
        _, _, page = fetch(page_url, opener=browser.opener)
        assert b"Queued" in page or b"Syncing" in page
        progress_url = server.url + page.split(b'data-url="')[1].split(b'"')[0].decode()

        seen = []
        for _ in range(300):
            _, _, body = fetch(progress_url, opener=browser.opener)
            run = json.loads(body)
            seen.append((run["state"], run["lines"][-1] if run["lines"] else ""))
            if run["state"] not in ("queued", "running"):
                break
            time.sleep(0.1)
        assert run["state"] == "ok", run
        assert ("running", "pushing to origin/main") in seen  # progress while it ran
        assert "pushed 1 commit(s) to origin/main" in run["lines"]
        assert run["started_by"] == "editor"
        _, _, page = fetch(page_url, opener=browser.opener)
        assert b"Synced" in page and b"Everything is in step" in page

        # The progress is the editors' to see, as the page is.
        status, _, _ = fetch(progress_url)
        assert status == 302  # to the login page
    assert "Edited in the admin." in repos.remote_file("data/guides/g.md")
    assert stored(env, "h")[1].strip() == "Body of h.\nA contributor's line."


def test_a_worker_killed_mid_run_and_restarted_completes_the_run(site):
    """A deploy or a crash kills the worker while it pushes: the run is marked interrupted
    and a retry queued when a worker starts again, which finishes the work."""
    repos, env = site
    slow_push(repos, 30)
    admin_edit(env, "g", "Edited before a kill.")
    run_id = shell(
        env,
        "from django.contrib.auth.models import User\n"
        "from catalog.repository.tasks import request_sync\n"
        "print(request_sync(User.objects.get(username='editor')).pk)",
    ).strip()
    with Worker(env) as worker:
        for _ in range(300):
            run = run_state_of(env, run_id)
            if run["lines"] and run["lines"][-1] == "pushing to origin/main":
                break
            time.sleep(0.1)
        assert run["state"] == "running", run
        worker.kill()  # the worker and its git, as a killed container would be
    run = run_state_of(env, run_id)
    assert run["state"] == "failed" and "its worker died" in run["lines"][-1]
    slow_push(repos, 0)
    with Worker(env):
        for _ in range(300):
            retry = json.loads(
                shell(
                    env,
                    "import json\nfrom catalog.models import SyncRun\n"
                    "r = SyncRun.objects.filter(source='retry').first()\n"
                    "print(json.dumps(r and [r.ok, r.lines]))",
                )
            )
            if retry and retry[0] is not None:
                break
            time.sleep(0.2)
    assert retry[0] is True, retry
    assert "Edited before a kill." in repos.remote_file("data/guides/g.md")
    assert git(repos.site, "status", "--porcelain") == ""


def _server_side_ends(origin):
    """The remote's side of a push the kill interrupted ends as a server's would. Pushing to
    a local path runs the remote's ``git receive-pack`` as a child of the pushing git, so the
    kill took it too, holding the remote's ref locks (``HEAD.lock``); a real remote is
    another machine, whose receive-pack sees the connection close and drops them. Nothing
    is removed from the site's own clone: that is the sync's to recover."""
    for lock in origin.rglob("*.lock"):
        lock.unlink(missing_ok=True)


def test_sync_killed_at_arbitrary_moments_is_finished_by_the_next_run(site):
    """SIGKILL to a run's whole process group after a spread of delays across a run: the
    next run always completes, and no edit from either side is lost."""
    repos, env = site
    command = [sys.executable, "manage.py", "sync_content", "-v", "0"]
    admin_edit(env, "g", "Admin edit 0.")
    repos.contribute("data/guides/h.md", "Second line.", "Contributor line 0.")
    started = time.monotonic()
    subprocess.run(command, cwd=ROOT, env=env, check=True, capture_output=True, timeout=120)
    whole_run = time.monotonic() - started
    moments, killed, n = 7, 0, 0
    while killed < moments and n < 3 * moments:
        n += 1
        admin_edit(env, "g", f"Admin edit {n}.")
        repos.contribute("data/guides/h.md", f"Contributor line {n - 1}.", f"Contributor line {n}.")
        process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        time.sleep(whole_run * (killed + 1) / (moments + 1))
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            killed += 1
        else:  # the machine got faster than the first run: aim earlier from now on
            whole_run *= 0.7
        process.wait()
        _server_side_ends(repos.origin)
        finished = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
        assert finished.returncode == 0, (n, finished.stderr)
        assert f"Admin edit {n}." in repos.remote_file("data/guides/g.md"), n
        assert f"Contributor line {n}." in stored(env, "h")[1], n
        assert git(repos.site, "status", "--porcelain") == "", n
        again = subprocess.run(command[:-2], cwd=ROOT, env=env, capture_output=True, text=True)
        assert "nothing to push" in again.stdout, (n, again.stdout, again.stderr)
    assert killed == moments  # every moment was a run killed part-way, not one that finished
