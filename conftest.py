"""Test-run defaults, set before pytest-django imports the settings.

Tests run with DEBUG off (as production does) and a throwaway key; everything else comes
from the environment, so ``DATABASE_URL=postgres://… make test`` runs the suite on PostgreSQL.
"""

import atexit
import os
import shutil
import tempfile

os.environ.setdefault("SECRET_KEY", "tests-only-not-secret")
os.environ.setdefault("DEBUG", "0")
os.environ.setdefault("ALLOWED_HOSTS", "testserver,127.0.0.1,localhost")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "guides_site.settings")
# Search indexes the tests and their servers write (one per test database): not in var/.
if "GUIDES_SEARCH_INDEX_DIR" not in os.environ:
    os.environ["GUIDES_SEARCH_INDEX_DIR"] = tempfile.mkdtemp(prefix="guides-search-")
    atexit.register(shutil.rmtree, os.environ["GUIDES_SEARCH_INDEX_DIR"], True)

pytest_plugins = ["tests.browser"]


def pytest_configure(config):
    """Load the settings now, so that pytest-django sets Django up before collection."""
    from django.conf import settings

    settings.INSTALLED_APPS  # noqa: B018
