"""Fill the stored HTML of guides and categories ahead of time.

Imports store no HTML (rendering is most of an import's cost); a page renders what is not
stored when it is first shown, and the page cache keeps it. Run this after an import, or after
an upgrade that bumps ``RENDERER_VERSION``, so that no visitor waits for a render.
"""

from catalog.management.base import DatabaseCommand
from catalog.write.rendered import render_stored_html


class Command(DatabaseCommand):
    help = "Render and store the HTML of records that have none or an older renderer's."

    def add_arguments(self, parser):
        parser.add_argument(
            "--all",
            action="store_true",
            dest="everything",
            help="re-render every record, not only those without current HTML",
        )

    def handle(self, *args, everything=False, verbosity=1, **options):
        count = render_stored_html(everything=everything)
        if verbosity >= 1:
            self.stdout.write(f"Rendered {count} record(s).")
