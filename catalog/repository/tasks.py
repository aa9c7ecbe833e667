"""The sync's background work, as tasks of Django's tasks framework (the django-tasks
backport; settings.TASKS): queued by a request, a webhook or a schedule, run by a worker
(``python manage.py run_worker``), never by a thread or process a request starts.

- :func:`request_sync` queues a run (Sync now, the webhook, ``sync_content --queue``);
  ``sync_task`` carries it out (catalog.repository.runs);
- :func:`recover`: runs whose worker died are marked and queued again;
- ``scheduled_sync_task``: with a schedule set (``GUIDES_SYNC_EVERY_MINUTES``), a run from
  the schedule, each queueing the next.

Scheduled publishing is the write side's (catalog.write.tasks).
"""

import datetime as dt

from django.conf import settings
from django.db import IntegrityError, close_old_connections, transaction
from django.utils import timezone
from django_tasks import task

from catalog.models import SyncRun
from catalog.repository import runs
from catalog.repository.sync import SyncError
from catalog.write.tasks import queued


def request_sync(user=None, source="admin"):
    """Queue a sync run; return it, or the run already waiting to start (one at most): a
    burst of requests (ten pushes in a second) queues one run, which fetches everything
    pushed before it starts."""
    waiting = SyncRun.objects.filter(waiting=True).first()
    if waiting is not None:
        return waiting
    try:
        with transaction.atomic():
            run = SyncRun.objects.create(started_by=user, source=source)
            transaction.on_commit(lambda: sync_task.enqueue(run.pk))
    except IntegrityError:  # another request queued one meanwhile
        return SyncRun.objects.filter(waiting=True).first() or request_sync(user, source)
    return run


def recover():
    """Runs whose worker died: marked interrupted, and one retry queued. Returns how many.
    A worker calls it when it starts, and the Content sync page when it shows a run."""
    close_old_connections()
    dead = [r for r in SyncRun.objects.filter(finished_at=None, waiting=None) if runs.is_dead(r)]
    for run in dead:
        runs.mark_interrupted(run)
    if dead:
        request_sync(dead[0].started_by, source="retry")
    return len(dead)


def state_of(run):
    """A run as the page shows it, a dead worker's run recovered first."""
    if run.finished_at is None and run.started_at is not None and runs.is_dead(run):
        recover()
        run.refresh_from_db()
    return runs.run_state(run)


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
    request_sync(source="schedule")
    queue_next_scheduled_sync(timezone.now() + dt.timedelta(minutes=every))


def queue_next_scheduled_sync(when=None):
    """Queue the schedule's next sync unless one is queued already."""
    if settings.GUIDES_SYNC_EVERY_MINUTES > 0 and not queued(scheduled_sync_task):
        scheduled_sync_task.using(run_after=when or timezone.now()).enqueue()
