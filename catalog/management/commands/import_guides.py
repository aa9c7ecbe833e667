"""Import the markdown content folder into the database.

The folder is read and validated in full before anything is written (``catalog.fileformat``);
the importer then computes a plan and applies it in one transaction (``catalog.importer``).
Any invalid file stops the import with every problem printed as ``path:line: field: message``
and exit status 1, leaving the database exactly as it was.
"""

import sys
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from catalog.fileformat import ContentError, read_folder
from catalog.importer import apply_plan, build_plan, plan_summary


class Command(BaseCommand):
    help = "Import DIR/categories/*.md and DIR/guides/*.md into the database."

    def add_arguments(self, parser):
        parser.add_argument(
            "--data-dir", default=None, help="content folder (default: GUIDES_DATA_DIR)"
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="print what would change and write nothing"
        )
        parser.add_argument(
            "--prune", action="store_true", help="delete guides and categories whose file has gone"
        )

    def handle(self, *args, data_dir=None, dry_run=False, prune=False, verbosity=1, **options):
        started = time.perf_counter()
        folder = read_folder(data_dir or settings.GUIDES_DATA_DIR)
        try:
            plan = build_plan(folder, prune=prune)
        except ContentError as exc:
            for problem in exc.problems:
                self.stderr.write(str(problem))
            raise CommandError(
                f"{len(exc.problems)} problem(s) found; nothing was imported."
            ) from None

        if not dry_run:
            apply_plan(plan, progress=self._progress() if verbosity >= 1 else None)
        if verbosity >= 1:
            for line in plan_summary(plan):
                self.stdout.write(line)
            elapsed = time.perf_counter() - started
            if dry_run:
                self.stdout.write(
                    f"Dry run: nothing was written ({plan.changes} change(s) planned)."
                )
            elif not plan.changes:
                self.stdout.write(
                    self.style.SUCCESS(
                        f"Nothing to do: the database already matches {folder.root} "
                        f"({elapsed:.2f} s)."
                    )
                )
            else:
                self.stdout.write(self.style.SUCCESS(f"Imported {folder.root} in {elapsed:.2f} s."))

    def _progress(self):
        """Progress on a terminal for large folders; nothing when output is redirected."""
        stream = getattr(self.stderr, "_out", sys.stderr)
        if not stream.isatty():
            return None

        def report(kind, done, total):
            if total >= 200 and (done % 50 == 0 or done == total):
                stream.write(f"\rRendering {kind}: {done}/{total}")
                if done == total:
                    stream.write("\n")
                stream.flush()

        return report
