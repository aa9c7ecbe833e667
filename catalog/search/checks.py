"""A system check that the database computes the search document the code defines.

Migrations freeze the trigger's SQL as it stood when each was written; the definition lives
in catalog.search.documents. Should the two part (the definition changed without a migration
that installs it), old databases would keep the old document while new ones get the new: the
check says so, on ``migrate`` and ``manage.py check --database default``.
"""

from django.core import checks
from django.db import connections

from catalog.infra.db import backend
from catalog.search.documents import TRIGGER_FUNCTION, trigger_function_body


@checks.register(checks.Tags.database)
def search_document_matches_the_code(app_configs=None, databases=None, **kwargs):
    errors = []
    for alias in databases or ():
        connection = connections[alias]
        if connection.vendor != backend().vendor:
            continue
        installed = backend().function_source(connection, TRIGGER_FUNCTION)
        if installed is None:
            continue  # not full text here, or not migrated yet
        if installed != trigger_function_body(connection):
            errors.append(
                checks.Error(
                    "the database computes the search document differently from the code "
                    "(catalog.search.documents)",
                    hint="Add a migration that installs the new expression in the trigger "
                    f"function {TRIGGER_FUNCTION}() (see migration 0024), then migrate.",
                    id="catalog.E001",
                )
            )
    return errors
