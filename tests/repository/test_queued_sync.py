"""The sync as a queued job: the push webhook, one run at a time across servers, drafts kept
out of the repository, and scheduled publishing run by a real task worker."""

import datetime as dt
import hashlib
import hmac
import json
import threading
import time

import pytest
from django.utils import timezone

from catalog.models import Guide, SyncRun
from catalog.repository.tasks import request_sync
from catalog.write.changes import publish_guides, save_guide
from tests.gitrepos import Repos, git, sync
from tests.repository.test_sync_runs import Worker, shell, slow_push
from tests.served import PASSWORD, database_url, manage

SECRET = "a-webhook-secret"
PUSH = json.dumps({"ref": "refs/heads/main", "after": "0" * 40}).encode()


def github(client, body=PUSH, secret=SECRET, event="push", signature=None):
    digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    headers = {"X-GitHub-Event": event}
    if signature is not False:
        headers["X-Hub-Signature-256"] = f"sha256={digest}" if signature is None else signature
    return client.post("/hooks/git", body, content_type="application/json", headers=headers)


@pytest.fixture
def hook(settings):
    settings.GUIDES_WEBHOOK_SECRET = SECRET
    settings.GUIDES_SYNC_BRANCH = "main"


# --- the push webhook ------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_signed_github_push_queues_one_sync(client, hook):
    response = github(client)
    assert response.status_code == 202 and response.json()["queued"] is True
    run = SyncRun.objects.get()
    assert (run.source, run.waiting, run.started_at) == ("webhook", True, None)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "signature", [False, "sha256=" + "0" * 64, "sha1=abc", "", "sha256=" + "f" * 63]
)
def test_a_missing_or_wrong_signature_is_refused_and_queues_nothing(client, hook, signature):
    response = github(client, signature=signature)
    assert response.status_code == 403
    assert not SyncRun.objects.exists()


@pytest.mark.django_db
def test_a_signature_made_with_another_secret_is_refused(client, hook):
    assert github(client, secret="not-the-secret").status_code == 403
    assert not SyncRun.objects.exists()


@pytest.mark.django_db
def test_without_a_secret_the_hook_is_off(client, settings):
    settings.GUIDES_WEBHOOK_SECRET = ""
    assert github(client, secret="").status_code == 403
    assert not SyncRun.objects.exists()


@pytest.mark.django_db
def test_gitlab_token(client, hook):
    headers = {"X-Gitlab-Event": "Push Hook", "X-Gitlab-Token": SECRET}
    response = client.post("/hooks/git", PUSH, content_type="application/json", headers=headers)
    assert response.status_code == 202 and response.json()["queued"] is True
    headers["X-Gitlab-Token"] = "wrong"
    response = client.post("/hooks/git", PUSH, content_type="application/json", headers=headers)
    assert response.status_code == 403
    assert SyncRun.objects.count() == 1


@pytest.mark.django_db
def test_a_push_to_another_branch_or_a_ping_is_acknowledged_and_ignored(client, hook):
    other = json.dumps({"ref": "refs/heads/feature"}).encode()
    response = github(client, body=other)
    assert response.status_code == 202 and response.json()["queued"] is False
    assert "refs/heads/feature" in response.json()["why"]
    assert github(client, event="ping").json()["why"] == "pong"
    assert not SyncRun.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "body",
    [b"[" * 100_000, b'"a string"', b"\xff\xfe", b'{"ref": ["refs/heads/main"]}', b"{}"],
)
def test_a_signed_body_that_is_no_push_is_acknowledged_and_ignored(client, hook, body):
    response = github(client, body=body)
    assert response.status_code == 202 and response.json()["queued"] is False
    assert not SyncRun.objects.exists()


@pytest.mark.django_db
def test_the_hook_takes_posts_only(client, hook):
    assert client.get("/hooks/git").status_code == 405


@pytest.mark.django_db
def test_ten_pushes_in_a_second_queue_one_sync(client, hook):
    started = time.monotonic()
    answers = [github(client).json()["run"] for _ in range(10)]
    assert time.monotonic() - started < 1
    assert len(set(answers)) == 1 and SyncRun.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_ten_pushes_at_once_queue_one_sync(hook):
    """At the same moment, on ten connections: the unique waiting run decides (PostgreSQL;
    the suite's SQLite is one in-memory database that threads cannot share for writes)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("needs the suite on PostgreSQL (DATABASE_URL=postgres://…)")
    answers, barrier = [], threading.Barrier(10)

    def push():
        from django.db import connection as own
        from django.test import Client

        try:
            barrier.wait()
            answers.append(github(Client()).json()["run"])
        finally:
            own.close()

    threads = [threading.Thread(target=push) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(answers) == 10 and len(set(answers)) == 1
    assert SyncRun.objects.count() == 1


# --- drafts and the repository ---------------------------------------------------------------


@pytest.fixture
def synced(repos):
    sync(repos)
    return repos


def _draft(slug, **fields):
    return save_guide(
        Guide(slug=slug, title=slug.title(), created_on=dt.date(2024, 1, 1), draft=True, **fields)
    )


@pytest.mark.django_db
def test_a_draft_made_in_the_admin_is_held_until_published(synced, settings, admin_client):
    settings.GUIDES_CONTENT_REPO = str(synced.site)
    _draft("secret-plan", body="Not for the public yet.")
    out = sync(synced)
    assert "held 1 draft(s) out of the repository until published: secret-plan" in out
    assert "secret-plan" not in git(synced.origin, "ls-tree", "-r", "--name-only", "main")
    page = admin_client.get("/admin/catalog/guide/content-sync/").content.decode()
    assert "Drafts held out of the repository" in page and "secret-plan" in page
    publish_guides(Guide.objects.filter(slug="secret-plan"))
    sync(synced)
    assert "Not for the public yet." in synced.remote_file("data/guides/secret-plan.md")


@pytest.mark.django_db
def test_a_draft_that_came_from_the_files_stays_a_file(synced):
    guide = Guide.objects.with_page().get(slug="g")
    guide.draft = True
    save_guide(guide)
    sync(synced)
    assert "draft: true" in synced.remote_file("data/guides/g.md")


@pytest.mark.django_db
def test_push_writes_drafts_and_review_takes_them_to_its_branch(synced, settings):
    _draft("for-review")
    sync(synced, "--review")
    branches = git(synced.origin, "branch", "--list", "guides/*").split()
    assert branches and "for-review" in git(
        synced.origin, "ls-tree", "-r", "--name-only", branches[-1]
    )
    assert "for-review" not in git(synced.origin, "ls-tree", "-r", "--name-only", "main")
    settings.GUIDES_SYNC_DRAFTS = "push"
    sync(synced)
    assert "data/guides/for-review.md" in git(synced.origin, "ls-tree", "-r", "--name-only", "main")


# --- real workers ------------------------------------------------------------------------------


def _site_env(tmp_path, clone, **more):
    from bench.servers import server_env

    return server_env(
        database_url(tmp_path),
        tmp_path,
        GUIDES_BASE_URL="https://guides.example.org/guides",
        GUIDES_DATA_DIR=clone / "data",
        GUIDES_CONTENT_REPO=clone,
        GUIDES_WEBHOOK_SECRET=SECRET,
        EDITOR_PW=PASSWORD,
        **more,
    )


@pytest.fixture
def worker_site(tmp_path):
    """Repositories, and the environment of a migrated site over the suite's database whose
    clone is ``repos.site``, synced once: for tests with real workers."""
    repos = Repos(tmp_path)
    env = _site_env(tmp_path, repos.site)
    manage(env, "migrate", "-v", "0")
    manage(env, "sync_content", "-v", "0")
    return repos, env


def _wait(predicate, seconds=60):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError("timed out")


def _runs(env):
    return json.loads(
        shell(
            env,
            "import json\nfrom catalog.models import SyncRun\n"
            "print(json.dumps([[r.pk, r.ok, r.started_at and r.started_at.isoformat(), "
            "r.finished_at and r.finished_at.isoformat(), r.lines] "
            "for r in SyncRun.objects.order_by('pk')]))",
        )
    )


@pytest.mark.django_db(transaction=True)
def test_a_contributors_push_reaches_the_site_through_the_webhook_and_a_worker(worker_site):
    repos, env = worker_site
    repos.contribute("data/guides/h.md", "Second line.", "Merged from a pull request.")
    from bench.servers import Gunicorn
    from tests.served import fetch

    with Gunicorn(env) as server, Worker(env):
        digest = hmac.new(SECRET.encode(), PUSH, hashlib.sha256).hexdigest()
        status, _, body = fetch(
            server.url + "/hooks/git",
            data=PUSH,
            headers={
                "Content-Type": "application/json",
                "X-GitHub-Event": "push",
                "X-Hub-Signature-256": f"sha256={digest}",
            },
        )
        assert status == 202 and json.loads(body)["queued"] is True
        _wait(lambda: _runs(env)[-1][1] is not None)
    assert _runs(env)[-1][1] is True
    body = shell(env, "from catalog.models import Guide\nprint(Guide.objects.get(slug='h').body)")
    assert "Merged from a pull request." in body


@pytest.mark.django_db(transaction=True)
def test_two_servers_with_two_clones_sync_one_at_a_time(worker_site, tmp_path):
    """Two app servers, each with its own clone and worker, over one database: Sync now on
    both at once runs one sync after the other, and the remote's history stays linear."""
    repos, env_a = worker_site
    second = tmp_path / "site2"
    git(tmp_path, "clone", "-q", str(repos.origin), str(second))
    env_b = _site_env(tmp_path, second)
    slow_push(repos, 2)
    for n, env in enumerate((env_a, env_b)):
        shell(
            env,
            "from catalog.models import Guide\nfrom catalog.write.changes import save_guide\n"
            f"g = Guide.objects.with_page().get(slug={'gh'[n]!r})\n"
            f"g.description = 'Edited on server {n}.'\nsave_guide(g)\n",
        )
    with Worker(env_a), Worker(env_b):
        first = shell(
            env_a,
            "from catalog.repository.tasks import request_sync\n"
            "print(request_sync(source='admin').pk)",
        )
        _wait(lambda: _runs(env_a)[-1][2] is not None)  # started: the next request queues
        shell(
            env_b,
            "from catalog.repository.tasks import request_sync\n"
            "print(request_sync(source='admin').pk)",
        )
        _wait(lambda: len(_runs(env_a)) >= 3 and all(r[1] is not None for r in _runs(env_a)))
    runs = _runs(env_a)
    assert int(first) == runs[1][0]
    assert all(r[1] is True for r in runs[1:]), runs
    spans = sorted((r[2], r[3]) for r in runs[1:])
    assert spans[0][1] <= spans[1][0], spans  # one after the other, never together
    assert git(repos.origin, "log", "--merges", "--oneline", "main") == ""
    assert "Edited on server 0." in repos.remote_file("data/guides/g.md")
    assert "Edited on server 1." in repos.remote_file("data/guides/h.md")


@pytest.mark.django_db(transaction=True)
def test_a_scheduled_guide_is_published_by_the_worker_at_its_moment(worker_site):
    _, env = worker_site
    # The moment is taken where the guide is saved, 3 s ahead: taken in this process, a
    # slow start of the shell's Django (seconds, on a loaded machine) passed it, the guide
    # was published by the save itself, and the worker had nothing left to do.
    saved = shell(
        env,
        "import datetime as dt\nfrom django.utils import timezone\n"
        "from catalog.models import Guide, SiteState\n"
        "from catalog.write.changes import save_guide\n"
        "g = Guide.objects.with_page().get(slug='g')\n"
        "g.publish_at = (timezone.now() + dt.timedelta(seconds=3)).replace(microsecond=0)\n"
        "save_guide(g)\ns = SiteState.current()\n"
        "print(g.publish_at.isoformat(), s.version, timezone.now() < g.publish_at)\n",
    ).split()
    when, before, in_time = dt.datetime.fromisoformat(saved[0]), saved[1], saved[2]
    assert in_time == "True"  # still scheduled when the save returned
    state = "from catalog.models import SiteState\ns = SiteState.current()\n"
    state += "print(s.version, s.changed_at.isoformat())"
    with Worker(env):
        # Generous: under a loaded machine each look is a new Django process of seconds.
        after = _wait(lambda: (now := shell(env, state).split())[0] != before and now, seconds=90)
    # No request was made: the worker published it at its moment.
    assert dt.datetime.fromisoformat(after[1]) >= when


@pytest.mark.django_db
def test_requests_while_one_waits_are_the_same_run():
    first, second = request_sync(source="admin"), request_sync(source="webhook")
    assert first.pk == second.pk and SyncRun.objects.count() == 1
    SyncRun.objects.filter(pk=first.pk).update(waiting=None, started_at=timezone.now())
    third = request_sync(source="admin")  # one is running: the next queues behind it
    assert third.pk != first.pk and third.waiting is True


@pytest.mark.django_db
def test_the_schedule_queues_a_sync_and_its_next_run(settings):
    from django_tasks_db.models import DBTaskResult

    from catalog.repository import tasks

    settings.GUIDES_SYNC_EVERY_MINUTES = 0
    tasks.queue_next_scheduled_sync()
    assert not DBTaskResult.objects.exists()  # no schedule, nothing queued
    settings.GUIDES_SYNC_EVERY_MINUTES = 15
    tasks.queue_next_scheduled_sync()
    tasks.queue_next_scheduled_sync()  # once, however often a worker starts
    assert DBTaskResult.objects.filter(task_path__endswith="scheduled_sync_task").count() == 1
    DBTaskResult.objects.all().delete()
    tasks.scheduled_sync_task.call()  # what the worker runs at the moment
    assert SyncRun.objects.get().source == "schedule"
    following = DBTaskResult.objects.get(task_path__endswith="scheduled_sync_task")
    assert following.run_after > timezone.now() + dt.timedelta(minutes=14)
