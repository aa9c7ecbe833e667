"""Check the links and images of every guide and category file (no network access).

Broken internal links and missing local images are errors (exit 1); duplicate titles and
images without alt text are warnings, which fail the run only with ``--strict``. Each
problem is printed as ``path:line: message``.
"""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from catalog.fileformat import count_by_kind, read_folder
from catalog.pipeline.links import check_links, format_warning


class Command(BaseCommand):
    help = "Check internal links and local images in the content folder."

    def add_arguments(self, parser):
        parser.add_argument(
            "--data-dir", default=None, help="content folder (default: GUIDES_DATA_DIR)"
        )
        parser.add_argument("--strict", action="store_true", help="warnings fail the run too")

    def handle(self, *args, data_dir=None, strict=False, verbosity=1, **options):
        folder = read_folder(data_dir or settings.GUIDES_DATA_DIR)
        problems = check_links(folder, settings.GUIDES_BASE_URL)
        errors = [p for p in problems if p.severity == "error"]
        warnings = [p for p in problems if p.severity != "error"]
        for problem in errors:
            self.stderr.write(str(problem))
        for problem in warnings:
            self.stderr.write(format_warning(problem))
        if folder.errors:
            self.stderr.write(
                f"({len(folder.errors)} file(s) could not be read; "
                "run import_guides --check for details)"
            )
        if errors or folder.errors or (strict and warnings):
            raise CommandError(
                f"{len(errors)} broken link(s) or image(s), {len(warnings)} warning(s)."
            )
        if verbosity >= 1:
            kinds = f": {count_by_kind(warnings)}" if warnings else ""
            self.stdout.write(f"Links and images OK ({len(warnings)} warning(s){kinds}).")
