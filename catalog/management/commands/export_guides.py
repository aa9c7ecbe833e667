"""Write guides and categories from the database back to the markdown folder.

Only files whose record changed are rewritten (catalog.pipeline.exporter); the rest keep their bytes
and modification time, so a content repository sees exactly the edits made in the admin.
``--check`` writes nothing and fails when any file would change, for CI.
"""

from django.conf import settings
from django.core.management.base import CommandError

from catalog.fileformat.merge import ON_CONFLICT, ON_CONFLICT_HELP
from catalog.management.base import DatabaseCommand
from catalog.pipeline.steps import Stopped, plan_export, write_export


class Command(DatabaseCommand):
    help = "Write changed guides and categories to DIR/guides/*.md and DIR/categories/*.md."

    def add_arguments(self, parser):
        parser.add_argument(
            "--data-dir", default=None, help="content folder (default: GUIDES_DATA_DIR)"
        )
        parser.add_argument(
            "--prune",
            action="store_true",
            help="kept for scripts; does nothing more: every export removes the files of "
            "records deleted in the admin (unless a contributor changed them: a conflict)",
        )
        parser.add_argument(
            "--on-conflict", choices=ON_CONFLICT, default="stop", help=ON_CONFLICT_HELP
        )
        parser.add_argument(
            "--check",
            action="store_true",
            help="write nothing; list the files that would change, exit 1 if any",
        )

    def handle(self, *args, data_dir=None, prune=False, check=False, verbosity=1, **options):
        root = data_dir or settings.GUIDES_DATA_DIR
        try:
            plan = plan_export(root, prune=prune, on_conflict=options["on_conflict"])
        except Stopped as exc:
            for detail in exc.details:
                self.stderr.write(detail)
            raise CommandError(exc.args[0]) from None
        for path, _, why in plan.write:
            if verbosity >= 1 or check:
                self.stdout.write(f"{'would write' if check else 'wrote'} {path} ({why})")
        for copy in plan.copies:
            if verbosity >= 1 or check:
                self.stdout.write(
                    f"{'would copy' if check else 'copied'} the upload {copy.name} to {copy.path}"
                )
        for path, why in plan.remove:
            if verbosity >= 1 or check:
                self.stdout.write(f"{'would remove' if check else 'removed'} {path} ({why})")
        if plan.newer:
            self.stderr.write(
                f"{len(plan.newer)} file(s) are newer than the database; import them "
                "(python manage.py import_guides): "
                + ", ".join(str(p) for p in plan.newer[:10])
                + (" …" if len(plan.newer) > 10 else "")
            )
        if plan.set_aside:
            self.stderr.write(
                f"{len(plan.set_aside)} conflict(s) set aside, their files left as they are "
                "(decide each on the Content sync page):"
            )
            for conflict in plan.set_aside:
                self.stderr.write(f"  {conflict}")
        if check:
            if plan.changes or plan.newer:
                raise CommandError(
                    f"{plan.changes} file(s) would change and {len(plan.newer)} are newer than "
                    "the database: the files and the database are not in step."
                )
            if verbosity >= 1:
                self.stdout.write(f"{root}: up to date ({plan.unchanged} files).")
            return
        try:
            write_export(plan, root)
        except Stopped as exc:
            raise CommandError(str(exc)) from None
        if verbosity >= 1:
            self.stdout.write(
                self.style.SUCCESS(
                    f"{len(plan.write)} written, {len(plan.remove)} removed, "
                    + (f"{len(plan.copies)} upload(s) copied, " if plan.copies else "")
                    + f"{plan.unchanged} unchanged."
                )
            )
