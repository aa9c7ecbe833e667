"""Import the markdown content folder into the database.

The folder is read and validated in full before anything is written (``catalog.fileformat``);
the importer then computes a plan and applies it in one transaction (``catalog.pipeline.importer``).
Any invalid file stops the import with every problem printed as ``path:line: field: message``
and exit status 1, leaving the database exactly as it was.
"""

import json
import sys
import time

from django.conf import settings
from django.core.management.base import CommandError

from catalog.fileformat import count_by_kind, near_duplicate_tags, printable, read_folder
from catalog.fileformat.merge import ON_CONFLICT, ON_CONFLICT_HELP
from catalog.management.base import DatabaseCommand
from catalog.pipeline.importer import plan_summary
from catalog.pipeline.links import check_links, format_warning
from catalog.pipeline.steps import Stopped, import_folder


class Command(DatabaseCommand):
    help = "Import DIR/categories/*.md and DIR/guides/*.md into the database."

    def add_arguments(self, parser):
        parser.add_argument(
            "--data-dir", default=None, help="content folder (default: GUIDES_DATA_DIR)"
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="print what would change and write nothing"
        )
        parser.add_argument(
            "--prune",
            action="store_true",
            help="also delete records made in the admin that have no file yet (kept under "
            "Deleted records); a file deleted in git deletes its record without it",
        )
        parser.add_argument(
            "--on-conflict", choices=ON_CONFLICT, default="stop", help=ON_CONFLICT_HELP
        )
        parser.add_argument(
            "--check",
            action="store_true",
            help="validate the folder and its links without touching the database; "
            "exit 1 on any error",
        )
        parser.add_argument(
            "--strict", action="store_true", help="with --check: warnings fail the run too"
        )
        parser.add_argument(
            "--format",
            choices=["text", "json"],
            default="text",
            help="with --check: the report as text lines or as JSON",
        )

    def handle(
        self,
        *args,
        data_dir=None,
        dry_run=False,
        prune=False,
        check=False,
        strict=False,
        verbosity=1,
        **options,
    ):
        started = time.perf_counter()
        root = data_dir or settings.GUIDES_DATA_DIR
        progress = self._progress() if verbosity >= 1 and not check else None
        if check:
            folder = read_folder(root, progress=progress)
            self._skipped(folder, verbosity)
            return self.validate_only(
                folder, strict=strict, as_json=options["format"] == "json", verbosity=verbosity
            )
        try:
            folder, plan = import_folder(
                root,
                prune=prune,
                on_conflict=options["on_conflict"],
                dry_run=dry_run,
                progress=progress,
            )
        except Stopped as exc:
            for detail in exc.details:
                self.stderr.write(detail)
            raise CommandError(exc.args[0]) from None
        self._skipped(folder, verbosity)
        for warning in folder.problems:
            if warning.severity != "error" and verbosity >= 1:
                self.stderr.write(format_warning(warning))
        if verbosity >= 1:
            for line in plan_summary(plan):
                self.stdout.write(line)
            elapsed = time.perf_counter() - started
            if dry_run:
                self.stdout.write(
                    f"Dry run: nothing was written ({plan.changes} change(s) planned)."
                )
            elif not plan.changes:
                kept = len(plan.categories.kept) + len(plan.guides.kept)
                self.stdout.write(
                    self.style.SUCCESS(
                        f"Nothing to do: the database already has everything in {folder.root}"
                        + (f", and {kept} admin edit(s) the files do not" if kept else "")
                        + f" ({elapsed:.2f} s)."
                    )
                )
            else:
                self.stdout.write(self.style.SUCCESS(f"Imported {folder.root} in {elapsed:.2f} s."))

    def _skipped(self, folder, verbosity):
        if verbosity >= 2:
            for path in folder.skipped:
                self.stdout.write(
                    f"skipped {printable(path)}: not a content file (a dot-file or not .md)"
                )

    def _progress(self):
        """Progress on a terminal for large folders; nothing when output is redirected."""
        stream = getattr(self.stderr, "_out", sys.stderr)
        if not stream.isatty():
            return None

        def report(kind, done, total):
            if total >= 200 and (done % 50 == 0 or done == total):
                stream.write(f"\rReading {kind}: {done}/{total}")
                if done == total:
                    stream.write("\n")
                stream.flush()

        return report

    def validate_only(self, folder, *, strict, as_json, verbosity):
        """Validate files and links only: the database is not read or written."""
        problems = (
            folder.problems
            + check_links(folder, settings.GUIDES_BASE_URL)
            + near_duplicate_tags(folder)
        )
        errors = [p for p in problems if p.severity == "error"]
        warnings = [p for p in problems if p.severity != "error"]
        if as_json:
            self.stdout.write(
                json.dumps(
                    {
                        "ok": not errors and not (strict and warnings),
                        "errors": len(errors),
                        "warnings": len(warnings),
                        "problems": [
                            {
                                "file": p.path,
                                "line": p.line,
                                "field": p.field,
                                "message": p.message,
                                "severity": p.severity,
                            }
                            for p in problems
                        ],
                    },
                    indent=2,
                )
            )
        else:
            for problem in errors:
                self.stderr.write(str(problem))
            for problem in warnings:
                self.stderr.write(format_warning(problem))
            if verbosity >= 1:
                self.stdout.write(
                    f"{folder.root}: {len(folder.categories)} categories, "
                    f"{len(folder.guides)} guides checked; {len(errors)} error(s), "
                    f"{len(warnings)} warning(s)"
                    + (f" ({count_by_kind(warnings)})." if warnings else ".")
                )
        if errors or (strict and warnings):
            raise CommandError(
                f"{len(errors)} error(s)"
                + (f" and {len(warnings)} warning(s) (--strict)" if strict and warnings else "")
                + " found."
            )
