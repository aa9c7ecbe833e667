"""Re-render the stored HTML of guides and categories.

HTML is rendered once, when a record is saved or imported (catalog.rendering). After the
renderer changes (``RENDERER_VERSION`` is bumped), this command brings every record up to
date without a re-import; ``import_guides`` does the same for the records it reads.
"""

from django.core.management.base import BaseCommand

from catalog.importer import rerender


class Command(BaseCommand):
    help = "Re-render stored HTML made by an older renderer version (or all with --all)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--all",
            action="store_true",
            dest="everything",
            help="re-render every record, not only stale ones",
        )

    def handle(self, *args, everything=False, verbosity=1, **options):
        count = rerender(everything=everything)
        if verbosity >= 1:
            self.stdout.write(f"Re-rendered {count} record(s).")
