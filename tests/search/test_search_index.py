"""The host's search index (catalog.search.index, PostgreSQL) finds exactly what the
database's search finds, in its own order, and never answers from another version of the
content than the page it is asked for; the host's task worker writes it, no request does."""

import datetime as dt
import os
import signal
import subprocess
import sys

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from catalog.models import Guide, SiteState
from catalog.search import index as searchindex
from catalog.search import search_guides, search_terms
from catalog.search import tasks as searchtasks
from catalog.write import versions
from catalog.write.changes import publish_guides, save_guide

pytestmark = pytest.mark.django_db(transaction=True)

RANKS = "ts_rank"  # in the database's search query only


@pytest.fixture
def index(settings, monkeypatch, tmp_path):
    """A host of its own (an empty index folder) and a new reader for this process."""
    if connection.vendor != "postgresql":
        pytest.skip("the search index serves PostgreSQL's full-text search")
    settings.GUIDES_SEARCH_INDEX = True
    settings.GUIDES_SEARCH_INDEX_DIR = str(tmp_path / "search")
    monkeypatch.setenv("GUIDES_SEARCH_INDEX_DIR", settings.GUIDES_SEARCH_INDEX_DIR)
    fresh = searchindex._Reader()
    monkeypatch.setattr(searchindex, "_reader", fresh)
    return fresh


def _queued_updates():
    from django_tasks_db.models import DBTaskResult

    return DBTaskResult.objects.filter(
        task_path=searchtasks.update_index_task.module_path,
        queue_name=settings.GUIDES_HOST_QUEUE,
        status="READY",
    ).count()


def _found(query, offset=0, limit=100):
    """(count, slugs) as the index gives them; fails if the database had to answer."""
    found = searchindex.find(search_terms(query), offset, limit)
    assert found is not None, "the index did not answer"
    count, keys = found
    slugs = dict(Guide.objects.filter(pk__in=keys).values_list("pk", "slug"))
    return count, [slugs[pk] for pk in keys]


def _database(query):
    return sorted(search_guides(query).values_list("slug", flat=True))


def _page(client, query):
    """The search page's text, and whether the database ranked its results."""
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/search", {"q": query})
    assert response.status_code == 200
    return response.content.decode(), any(RANKS in q["sql"] for q in queries)


WORDS = {
    "caching": dict(title="Caching at the edge", body="Keep copies near readers.\n"),
    "limits": dict(title="Quotas", body="Rate-limiting protects an API.\n"),
    "apart": dict(title="Rates", body="A rate without a limit, and a limiting rate.\n"),
    "broker": dict(title="Brokers", tags=("Kafka",), body="Partitions and offsets.\n"),
    "oauth": dict(title="OAuth 2.0 flows", body="Kubernetes's tokens expire.\n"),
    "cpp": dict(title="Where C++ runs", description="Native code.", body="Compilers.\n"),
    "e2e": dict(title="Tests", body="End-to-end tests of a state-of-the-art stack.\n"),
    "ends": dict(title="Ends", body="From end to end, the state of the art.\n"),
    "hidden": dict(title="Caching secrets", draft=True),
}


@pytest.fixture
def site(content, index):
    content.category("c")
    for slug, fields in WORDS.items():
        content.guide(slug, categories=("c",), **{"tags": ("Misc",), **fields})
    content.import_()
    searchindex.update()  # as the host's worker does once the import has committed
    return content


@pytest.mark.parametrize(
    "query",
    [
        "cache",  # stemmed: "Caching"
        "the cache",  # a stop word left out
        "what is",  # stop words only: nothing
        "rate-limiting",  # a phrase: "rate-limit", "rate", "limit" in a row
        "rate limit",  # both words, anywhere
        "end-to-end",  # a phrase with a stop word inside
        "state-of-the-art",
        "end",
        "kafka",  # a tag
        "kafka or quotas",  # either
        "cache or",
        "oauth 2.0",
        "kubernetes's",
        "c++",
        "native",  # a description
        "secrets",  # only in a draft
        "nothing-like-it",
    ],
)
def test_the_index_finds_what_the_database_finds(site, query):
    count, slugs = _found(query)
    assert sorted(slugs) == _database(query) and count == len(slugs)


def test_the_index_says_how_many_and_gives_any_page(site):
    count, slugs = _found("rate")
    assert count == 2 and sorted(slugs) == ["apart", "limits"]
    assert _found("rate", 0, 1)[1] + _found("rate", 1, 1)[1] == slugs
    assert _found("rate", 2, 1) == (2, [])
    assert _found("rate", 2**31 * 20, 20) == (2, [])  # asks the index for no more than it has


def test_any_page_number_is_answered(site, client):
    for page in ("2", "2147483647", "-1", "x"):
        response = client.get("/search", {"q": "rate", "page": page})
        assert response.status_code == 200 and "2 guides match" in response.content.decode()


def test_title_beats_tag_beats_description_beats_body_then_newest_then_slug(content, index):
    content.category("c")
    content.guide("in-body", categories=("c",), title="One", body="Zebra.\n")
    content.guide("in-description", categories=("c",), title="Two", description="Zebra.")
    content.guide("in-tag", categories=("c",), title="Three", tags=("Zebra",))
    content.guide("in-title", categories=("c",), title="Zebra")
    # Equal texts score the same: newest first, then by slug, on every page (the index holds
    # them oldest first, so a page cut before the ties were all read would show old ones).
    dates = {"same-a": "2023-01-01", "same-b": "2024-01-01", "same-c": "2025-01-01"}
    for slug, created in {**dates, "same-d": "2025-01-01"}.items():
        content.guide(slug, categories=("c",), title="Okapi", created=created)
    content.import_()
    searchindex.update()
    assert _found("zebra")[1] == ["in-title", "in-tag", "in-description", "in-body"]
    expected = ["same-c", "same-d", "same-b", "same-a"]
    assert _found("okapi")[1] == expected
    assert [_found("okapi", n, 1)[1][0] for n in range(4)] == expected


@pytest.mark.parametrize("first_fetch", [1, searchindex.TIED_HITS])
def test_pages_cut_through_ties_with_better_and_worse_matches_around_them(
    content, index, monkeypatch, first_fetch
):
    """Equal scores between better and worse matches (all in titles: the word twice, once,
    once in a longer title): every page, of every size, is the full order's slice (the ties
    newest first, then by slug), and the count is all of them; also where the first search
    of a page stops inside the ties and more are read (``TIED_HITS`` 1)."""
    monkeypatch.setattr(searchindex, "TIED_HITS", first_fetch)
    content.category("c")
    content.guide("best", categories=("c",), title="Tapir tapir", created="2020-01-01")
    tied = {f"tie-{n:02}": f"20{10 + n % 7}-0{1 + n % 9}-01" for n in range(30)}
    for slug, created in tied.items():
        content.guide(slug, categories=("c",), title="Tapir", created=created)
    for slug, created in {"worse-a": "2030-01-01", "worse-b": "2019-01-01"}.items():
        content.guide(slug, categories=("c",), title="Tapir in long grass", created=created)
    content.import_()
    searchindex.update()
    ties = sorted(tied, key=lambda slug: (-int(tied[slug].replace("-", "")), slug))
    expected = ["best", *ties, "worse-a", "worse-b"]
    assert _found("tapir") == (len(expected), expected)
    for size in (1, 3, 7, 20):
        for offset in range(0, len(expected) + size, size):
            assert _found("tapir", offset, size) == (
                len(expected),
                expected[offset : offset + size],
            ), (offset, size)


def test_every_change_is_searched_at_once_and_indexed_by_the_hosts_worker(site, client):
    page, ranked = _page(client, "zebra")
    assert "No guide matches" in page and not ranked  # the index answered, at this version

    guide = Guide.objects.get(slug="broker")
    guide.body = "A zebra reads the partitions.\n"
    save_guide(guide)
    assert _queued_updates() == 1  # queued for this host once the change committed
    page, ranked = _page(client, "zebra")
    assert "Brokers" in page and ranked  # the database, until the index is at this version
    save_guide(Guide.objects.get(slug="broker"), tags=["Streams"])
    assert _queued_updates() == 1  # one waiting update takes every change made before it

    call_command("run_worker", "--batch", verbosity=0)  # this host's worker
    assert _queued_updates() == 0
    page, ranked = _page(client, "zebra")
    assert "Brokers" in page and not ranked
    assert _found("kafka") == (0, []) and _found("streams")[1] == ["broker"]

    publish_guides(Guide.objects.filter(slug="hidden"))
    assert searchindex.update() == 1
    assert _found("secrets")[1] == ["hidden"]
    publish_guides(Guide.objects.filter(slug="hidden"), publish=False)
    assert searchindex.update() == 0  # nothing to index again; the guide is dropped
    assert _found("secrets") == (0, [])

    Guide.objects.filter(slug="broker").delete()
    versions.bump()
    searchindex.update()
    assert _found("zebra") == (0, [])
    assert searchindex.update() == 0  # at the current version already


def test_a_search_that_finds_the_index_behind_asks_the_worker_and_writes_nothing(
    content, index, client
):
    content.category("c")
    content.guide("g", categories=("c",), title="Okapi")
    content.import_()
    from django_tasks_db.models import DBTaskResult

    DBTaskResult.objects.all().delete()  # as if the import's request had been lost
    folder = searchindex.folder()
    assert not folder.exists()
    for query in ("okapi", "okapis", "the okapi"):
        page, ranked = _page(client, query)
        assert "Okapi" in page and ranked
    assert _queued_updates() == 1 and not folder.exists()  # asked once; no request writes
    call_command("run_worker", "--batch", verbosity=0)
    page, ranked = _page(client, "okapi")
    assert "Okapi" in page and not ranked
    content.guide("h", categories=("c",), title="Okapi twice")
    content.import_()  # queues the next update; the worker forgets the runs before it
    call_command("run_worker", "--batch", verbosity=0)
    runs = DBTaskResult.objects.filter(task_path=searchtasks.update_index_task.module_path)
    assert runs.filter(finished_at__isnull=False).count() == 1
    assert "twice" in _page(client, "okapi")[0]


def test_the_index_starts_again_when_what_it_kept_cannot_be_trusted(site, index, monkeypatch):
    folder = searchindex.folder()
    (folder / "rows.json").unlink()  # a crash between the index's commit and this file
    Guide.objects.filter(slug="broker").update(draft=True)
    versions.bump()
    assert searchindex.update() == len(WORDS) - 2  # everything again, drafts left out
    assert _found("kafka") == (0, [])

    monkeypatch.setattr(searchindex, "FORMAT", searchindex.FORMAT + 1)  # a new release
    versions.bump()
    assert searchindex.find(["cache"], 0, 10) is None
    assert searchindex.update() == len(WORDS) - 2
    assert _found("cache")[1] == ["caching"]


def test_a_scheduled_guide_is_found_from_its_moment(site, client, monkeypatch):
    moment = timezone.now() + dt.timedelta(hours=1)
    guide = Guide.objects.get(slug="cpp")
    guide.publish_at = moment
    save_guide(guide)
    searchindex.update()
    assert "Where C++ runs" not in _page(client, "compilers")[0]
    monkeypatch.setattr(timezone, "now", lambda: moment + dt.timedelta(seconds=1))
    page, ranked = _page(client, "compilers")  # the first request after it publishes it
    assert "Where C++ runs" in page and ranked
    searchindex.update()
    page, ranked = _page(client, "compilers")
    assert "Where C++ runs" in page and not ranked


def test_inside_a_transaction_the_database_answers(site):
    assert _found("zebras") == (0, [])
    with transaction.atomic():  # what it wrote is not the index's, bumped or not
        Guide.objects.filter(slug="broker").update(body="Zebras.")
        assert searchindex.find(["zebras"], 0, 10) is None
        assert _database("zebras") == ["broker"]
        versions.bump()
        assert searchindex.find(["zebras"], 0, 10) is None
    searchindex.update()
    assert _found("zebras")[1] == ["broker"]


NEW_PROCESS = """
import os, sys, threading, time
import django
django.setup()
from django.db import connections
from catalog.search import index as searchindex
print(searchindex.find(["rate"], 0, 10)[0], flush=True)
held = threading.Event()
def hold():
    with searchindex._reader.lock:
        held.set()
        time.sleep(2)
threading.Thread(target=hold).start()
held.wait()
child = os.fork()
if child == 0:
    connections["default"].connection = None
    print(searchindex.find(["rate"], 0, 10)[0], flush=True)
    os._exit(0)
os.waitpid(child, 0)
"""


def test_a_new_process_answers_its_first_search_from_the_hosts_index(site):
    """A new process finds the host's index as the worker left it (its first search builds
    nothing); a worker forked from it (while one of its threads held the reader's lock)
    opens it again instead of waiting forever."""
    db = settings.DATABASES["default"]
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "DJANGO_SETTINGS_MODULE": "guides_site.settings",
        "DEBUG": "1",
    }
    process = subprocess.Popen(
        [sys.executable, "-c", NEW_PROCESS],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        out, err = process.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)  # the parent and its stuck child
        out, err = process.communicate()
    assert out.split() == ["2", "2"], err


def test_a_search_page_is_stored_with_results_of_the_version_it_is_stored_under(
    site, client, monkeypatch
):
    """A process's announced version may lag a commit by a notification; the page is then
    rendered and stored under the database's version, and so must its results be."""
    from catalog.write import versionwatch

    assert _found("zebra") == (0, [])  # the index is at this version
    announced = SiteState.current()
    guide = Guide.objects.get(slug="broker")
    guide.body = "A zebra reads the partitions.\n"
    save_guide(guide)
    searchindex.update()
    monkeypatch.setattr(versionwatch, "current", lambda fresh=False: None if fresh else announced)
    assert "Brokers" in _page(client, "zebra")[0]
