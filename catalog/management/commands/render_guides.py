"""Fill the stored HTML of guides and categories ahead of time.

Every import and save stores a record's HTML as it writes the record; what an older renderer
made (after an upgrade that bumps ``RENDERER_VERSION``) stays until the record changes, and a
page renders it anew when it is first shown. Run this after such an upgrade (``make run``
does), so that no visitor waits for a render; ``--all`` renders every record again.
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
