import pytest
from django.core.cache import caches

from bench.servers import CORPUS
from tests.factories import ContentDir
from tests.gitrepos import Repos
from tests.served import served_site

# Tests that take seconds each: servers, workers, browsers, killed processes, whole corpora.
SLOW_FIXTURES = {"browser", "served", "worker_site", "corpus_dir", "repos"}
SLOW_MODULES = {"test_faults", "test_load", "test_sync_runs", "test_queued_sync", "test_sync"}


def pytest_collection_modifyitems(items):
    """Slow tests first: in parallel (``make test``), the processes start on the long tests
    and finish on the short ones, instead of one process running a long test alone at the
    end. The order within each group is unchanged."""

    def slow(item):
        fixtures = set(getattr(item, "fixturenames", ()))
        return bool(fixtures & SLOW_FIXTURES) or item.module.__name__.split(".")[-1] in (
            SLOW_MODULES
        )

    items.sort(key=lambda item: not slow(item))


@pytest.fixture(scope="session", autouse=True)
def _flush_by_delete():
    """Transactional tests empty every table after each test (Django's flush). PostgreSQL's
    flush is one TRUNCATE of every table: 170 ms for our 26 here, where deleting the few
    rows a test leaves takes 5 ms, and a few hundred tests flush. Deferred foreign keys and
    one transaction (flush's own) let the tables empty in any order. Tests only."""
    from django.db.backends.postgresql.operations import DatabaseOperations

    truncate = DatabaseOperations.sql_flush

    def sql_flush(self, style, tables, *, reset_sequences=False, allow_cascade=False):
        if reset_sequences or allow_cascade:
            return truncate(
                self, style, tables, reset_sequences=reset_sequences, allow_cascade=allow_cascade
            )
        return [f"DELETE FROM {self.quote_name(table)};" for table in tables]

    DatabaseOperations.sql_flush = sql_flush
    yield
    DatabaseOperations.sql_flush = truncate


@pytest.fixture(autouse=True)
def _plain_static_storage(settings):
    """Templates use {% static %}; tests need no collectstatic manifest."""
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Accounts made in the tests' own process hash their passwords with a fast hasher, as
    Django's testing guide advises (PBKDF2's iterations cost about a second a user here).
    Servers and commands the tests start run with the real settings and hashers."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _version_read_per_request(settings):
    """In-process requests read the content version from the database: the version watch's
    own connection cannot see a test's transaction or a flush between tests. Servers the
    tests start (gunicorn) watch, as in production."""
    settings.GUIDES_VERSION_WATCH = False


@pytest.fixture(autouse=True)
def _empty_cache():
    """Each test starts with an empty page cache (the database is rolled back between tests)."""
    for alias in ("default", "pages-local"):
        caches[alias].clear()
    yield
    for alias in ("default", "pages-local"):
        caches[alias].clear()


@pytest.fixture
def content(tmp_path):
    """An empty content folder (categories/ and guides/) to write test files into."""
    return ContentDir(tmp_path / "data")


@pytest.fixture
def corpus_dir():
    if not (CORPUS / "guides").is_dir():
        pytest.skip(
            f"the real corpus is not at {CORPUS} (set GUIDES_CORPUS to its data folder, "
            "or put it in ../shared beside the repository)"
        )
    return CORPUS


@pytest.fixture
def served(content, tmp_path):
    """A small imported site with an editor in the suite's database, and the environment to
    serve it with gunicorn (tests.served)."""
    return served_site(content, tmp_path)


@pytest.fixture
def repos(tmp_path, settings):
    """A bare remote with a seeded content repository, the site's clone (the data folder
    setting points into it) and a contributor's clone (tests.gitrepos)."""
    repos = Repos(tmp_path)
    settings.GUIDES_DATA_DIR = repos.site / "data"
    settings.GUIDES_BASE_URL = "https://guides.example.org/guides"
    return repos
