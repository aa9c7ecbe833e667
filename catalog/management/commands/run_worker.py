"""Run a task worker: the sync, the schedule and scheduled publishing (catalog.repository.tasks),
and this host's search index (catalog.search.tasks).

Before taking tasks it recovers what a dead worker left (a sync run interrupted by a crash or
a deploy is queued again) and makes sure the schedule's next sync, the next scheduled
publication and this host's index update are queued; then it is django-tasks-db's
``db_worker`` on the shared queue and this host's own (``GUIDES_HOST_QUEUE``). Run one or
more on every machine that serves pages and shares the database.
"""

import logging

from django.conf import settings
from django.core.management import call_command

from catalog.management.base import DatabaseCommand
from catalog.repository import tasks
from catalog.search.tasks import queue_update
from catalog.write.tasks import queue_upcoming_publications


class Command(DatabaseCommand):
    help = "Run a background task worker (the sync, its schedule, scheduled publishing)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--interval", type=float, default=1.0, help="seconds between looks at the queue"
        )
        parser.add_argument(
            "--batch", action="store_true", help="run what is queued, then exit (for cron)"
        )

    def handle(self, *args, interval=1.0, batch=False, verbosity=1, **options):
        recovered = tasks.recover()
        if recovered and verbosity >= 1:
            self.stdout.write(f"queued a retry of {recovered} sync run(s) a dead worker left")
        tasks.queue_next_scheduled_sync()
        queue_upcoming_publications()
        queue_update()
        if verbosity == 0:  # beside `runserver` (make run): its reloader's line is enough
            logging.getLogger("django.utils.autoreload").setLevel(logging.WARNING)
        worker_options = {
            "interval": interval,
            "verbosity": verbosity,
            "queue_name": f"default,{settings.GUIDES_HOST_QUEUE}",
        }
        if batch:
            worker_options["batch"] = True
        call_command("db_worker", **worker_options)
