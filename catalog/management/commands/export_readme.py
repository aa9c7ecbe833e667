"""Rewrite the README's table of contents from the database.

Only the lines between ``<!-- TOC -->`` and ``<!-- /TOC -->`` change; every other byte of the
README stays as it was. The file is replaced atomically, so an interrupted run leaves the old
README in place. ``--check`` is for CI: it writes nothing and fails with a diff when stale.
"""

import difflib
from pathlib import Path

from django.conf import settings
from django.core.management.base import CommandError

from catalog.fileformat.files import write_atomic
from catalog.management.base import DatabaseCommand
from catalog.pipeline.readme import (
    ReadmeError,
    TocMarkerError,
    read_readme,
    replace_toc,
    toc_sections,
)


class Command(DatabaseCommand):
    help = "Rewrite the table of contents in README.md from the published guides."

    def add_arguments(self, parser):
        parser.add_argument(
            "--readme",
            default=None,
            help="README to rewrite (default: README.md beside the data folder)",
        )
        parser.add_argument(
            "--base-url", default=None, help="prefix of every link (default: GUIDES_BASE_URL)"
        )
        parser.add_argument(
            "--check",
            action="store_true",
            help="write nothing; exit 1 with a diff if the README is stale",
        )
        parser.add_argument(
            "--stdout",
            action="store_true",
            dest="to_stdout",
            help="print the new README instead of writing it",
        )

    def execute(self, *args, **options):
        """Keep ``call_command("export_readme", stdout=stream)`` working.

        ``call_command`` maps a keyword onto the option with the same name, so a stream given
        as ``stdout=`` arrives as the ``--stdout`` flag; it is the output stream instead.
        """
        if not isinstance(options.get("to_stdout"), bool | None):
            options["stdout"], options["to_stdout"] = options["to_stdout"], False
        return super().execute(*args, **options)

    def handle(self, *args, readme=None, base_url=None, check=False, to_stdout=False, **options):
        path = Path(readme) if readme else Path(settings.GUIDES_DATA_DIR).parent / "README.md"
        base_url = settings.GUIDES_BASE_URL if base_url is None else base_url
        try:
            current = read_readme(path)
            updated = replace_toc(current, toc_sections(), base_url)
        except TocMarkerError as exc:
            raise CommandError(f"{path}: {exc}") from None
        except ReadmeError as exc:
            raise CommandError(str(exc)) from None

        if to_stdout:
            self.stdout.write(updated, ending="")
            return
        if check:
            if updated != current:
                diff = difflib.unified_diff(
                    current.splitlines(keepends=True),
                    updated.splitlines(keepends=True),
                    fromfile=f"{path} (current)",
                    tofile=f"{path} (expected)",
                )
                self.stdout.write("".join(diff), ending="")
                raise CommandError(
                    f"{path}: the table of contents is stale; run `python manage.py export_readme`."
                )
            if options["verbosity"] >= 1:
                self.stdout.write(f"{path}: the table of contents is up to date.")
            return
        if updated == current:
            if options["verbosity"] >= 1:
                self.stdout.write(f"{path}: already up to date.")
            return
        try:
            write_atomic(path, updated.encode("utf-8"))
        except OSError as exc:
            raise CommandError(
                f"{path}: cannot write: {exc.strerror or exc}; the file was left as it was."
            ) from None
        if options["verbosity"] >= 1:
            self.stdout.write(self.style.SUCCESS(f"{path}: table of contents rewritten."))
