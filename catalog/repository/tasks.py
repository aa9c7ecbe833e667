"""The sync's background work, as tasks of Django's tasks framework (the django-tasks
backport; settings.TASKS): queued by a request, a webhook or a schedule, run by a worker
(``python manage.py run_worker``), never by a thread or process a request starts.

- ``sync_task``: one queued sync run (catalog.repository.runs);
- ``scheduled_sync_task``: with a schedule set (``GUIDES_SYNC_EVERY_MINUTES``), a run from
  the schedule, each queueing the next.

Scheduled publishing is the write side's (catalog.write.tasks).
"""

import datetime as dt

from django.conf import settings
from django.utils import timezone
from django_tasks import task

from catalog.repository import runs
from catalog.repository.sync import SyncError
from catalog.write.tasks import queued


@task()
def sync_task(run_id):
    try:
        runs.carry_out(run_id)
    except SyncError:  # recorded in the run, which the Content sync page shows
        return {"ok": False}
    return {"ok": True}


@task()
def scheduled_sync_task():
    """A sync from the schedule, and the next one queued at its moment."""
    every = settings.GUIDES_SYNC_EVERY_MINUTES
    if every <= 0:
        return
    runs.request_sync(source="schedule")
    queue_next_scheduled_sync(timezone.now() + dt.timedelta(minutes=every))


def queue_next_scheduled_sync(when=None):
    """Queue the schedule's next sync unless one is queued already."""
    if settings.GUIDES_SYNC_EVERY_MINUTES > 0 and not queued(scheduled_sync_task):
        scheduled_sync_task.using(run_after=when or timezone.now()).enqueue()
