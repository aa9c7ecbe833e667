"""The one seam between the site and the database it runs on.

Domain code never asks which database it is on: it asks :func:`backend` for what differs,
and each vendor's module answers (``postgresql``, ``sqlite``; any other database gets the
defaults of ``base``). The backend is chosen once per process, from the default connection's
vendor, and its module is imported only then, so a site on SQLite never loads psycopg.

What differs: how many rows are written at once (binary ``COPY`` or ``executemany``), where
new ids come from, a bulk write's transaction settings, whether search runs as full text
in the database, how a search document is computed beside an import, and how other
processes hear that the content version moved (``LISTEN``/``NOTIFY``, or SQLite's
``data_version``).
"""

import functools
import importlib

from django.db import connection

_MODULES = {"postgresql": "catalog.infra.db.postgresql", "sqlite": "catalog.infra.db.sqlite"}
_OTHERS = "catalog.infra.db.base"


@functools.cache
def _backend(vendor):
    return importlib.import_module(_MODULES.get(vendor, _OTHERS)).Backend()


def backend():
    """The database's backend (``catalog.infra.db.base.Backend``)."""
    return _backend(connection.vendor)
