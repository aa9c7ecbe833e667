"""Bring the content repository (git) and the database into step: see catalog.repository.sync."""

from django.conf import settings
from django.core.management.base import CommandError

from catalog.fileformat.merge import ON_CONFLICT, ON_CONFLICT_HELP
from catalog.management.base import DatabaseCommand
from catalog.repository import runs, tasks
from catalog.repository.sync import SyncError, sync_content


class Command(DatabaseCommand):
    help = (
        "Fetch and merge the content repository, import, export the admin's changes, rewrite "
        "the README table of contents, commit per editor and push."
    )

    def add_arguments(self, parser):
        parser.add_argument("--repo", help="the clone (default: GUIDES_CONTENT_REPO)")
        parser.add_argument("--remote", default="origin")
        parser.add_argument("--branch", default=None, help="default: GUIDES_SYNC_BRANCH (main)")
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
            help="carry out the queued sync run ID here (a worker does this for 'Sync now')",
        )
        parser.add_argument(
            "--queue",
            action="store_true",
            help="queue a run for the task workers instead of running it here (for cron)",
        )

    def handle(self, *args, repo=None, verbosity=1, **options):
        repo = repo or settings.GUIDES_CONTENT_REPO
        if not repo:
            raise CommandError("no repository: set GUIDES_CONTENT_REPO or pass --repo DIR")
        choices = {
            key: options[key] for key in ("remote", "branch", "review", "dry_run", "on_conflict")
        }
        choices["branch"] = choices["branch"] or settings.GUIDES_SYNC_BRANCH
        if options["queue"]:
            run = tasks.request_sync(source="command")
            if verbosity >= 1:
                self.stdout.write(f"queued sync run {run.pk}")
            return
        try:
            if options["dry_run"]:  # reads only: no run, no lock
                report = sync_content(repo, **choices)
            else:
                run_id = options["run"] or runs.start_here().pk
                report = runs.carry_out(
                    run_id,
                    repo,
                    echo=(lambda line: self.stderr.write(f"… {line}")) if verbosity >= 2 else None,
                    **choices,
                )
        except SyncError as exc:
            raise CommandError(str(exc)) from None
        if report is None:
            raise CommandError(f"sync run {options['run']} is finished already")
        if verbosity >= 1:
            for line in report.lines:
                self.stdout.write(line)
