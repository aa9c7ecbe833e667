"""Bring the content repository (git) and the database into step: see catalog.repository.sync."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from catalog.fileformat.merge import ON_CONFLICT, ON_CONFLICT_HELP
from catalog.repository.runs import carry_out_run
from catalog.repository.sync import SyncError, sync_content


class Command(BaseCommand):
    help = (
        "Fetch and merge the content repository, import, export the admin's changes, rewrite "
        "the README table of contents, commit per editor and push."
    )

    def add_arguments(self, parser):
        parser.add_argument("--repo", help="the clone (default: GUIDES_CONTENT_REPO)")
        parser.add_argument("--remote", default="origin")
        parser.add_argument("--branch", default="main")
        parser.add_argument(
            "--review",
            action="store_true",
            help="push to a new branch guides/<date>-<editor> for a pull request instead",
        )
        parser.add_argument("--dry-run", action="store_true", help="report only; change nothing")
        parser.add_argument(
            "--on-conflict",
            choices=ON_CONFLICT,
            default="skip",
            help=ON_CONFLICT_HELP + " (default for a sync: skip)",
        )
        parser.add_argument(
            "--run",
            type=int,
            metavar="ID",
            help="record progress and result in the admin's sync run ID (used by 'Sync now')",
        )

    def handle(self, *args, repo=None, verbosity=1, **options):
        repo = repo or settings.GUIDES_CONTENT_REPO
        if not repo:
            raise CommandError("no repository: set GUIDES_CONTENT_REPO or pass --repo DIR")
        choices = {
            key: options[key] for key in ("remote", "branch", "review", "dry_run", "on_conflict")
        }
        try:
            if options["run"]:
                report = carry_out_run(options["run"], repo, **choices)
            else:
                report = sync_content(
                    repo,
                    progress=(lambda line: self.stderr.write(f"… {line}"))
                    if verbosity >= 2
                    else None,
                    **choices,
                )
        except SyncError as exc:
            raise CommandError(str(exc)) from None
        if verbosity >= 1:
            for line in report.lines:
                self.stdout.write(line)
