"""What the commands that use the database share: a database behind its migrations (a new one
never migrated, or one migrated by an older version) is one line saying what to run, not a
traceback from the first query that meets a missing table."""

from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections


class DatabaseCommand(BaseCommand):
    """A command whose database error, where migrations are not applied, becomes a
    ``CommandError`` (one line, exit 1). The migrations are read only on that error path, so
    a command pays nothing for the check otherwise."""

    def execute(self, *args, **options):
        try:
            return super().execute(*args, **options)
        except DatabaseError as exc:
            pending = unapplied_migrations(options.get("database") or DEFAULT_DB_ALIAS)
            if pending is None:  # not even the migrations can be read: unreachable, say so
                reason = str(exc).strip().splitlines()[0] if str(exc).strip() else repr(exc)
                raise CommandError(f"the database cannot be used: {reason}") from exc
            if not pending:
                raise
            raise CommandError(
                f"the database is not migrated ({len(pending)} migration(s) not applied, "
                f"the first {pending[0]}): run `manage.py migrate` first"
            ) from exc


def unapplied_migrations(alias=DEFAULT_DB_ALIAS):
    """The migrations (``app.name``) the database ``alias`` has not applied, in order; None
    when the database cannot say (it cannot be reached)."""
    from django.db.migrations.executor import MigrationExecutor

    try:
        executor = MigrationExecutor(connections[alias])
        plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    except DatabaseError:
        return None
    return [
        f"{migration.app_label}.{migration.name}" for migration, backwards in plan if not backwards
    ]
