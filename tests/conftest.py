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
