"""Scheduled publishing as a task (Django's tasks framework; settings.TASKS): queued for a
scheduled guide's moment when it is saved or imported, run by a worker at that moment, so
feeds and caches move on then even if no one visits. The first request after the moment
still publishes it if no worker ran (catalog.write.versions.publish_due)."""

from django.db import transaction
from django.utils import timezone
from django_tasks import task

from catalog.write import versions


@task()
def publish_due_task():
    versions.publish_due()


def queued(task_, after=None, queue=None):
    """Whether ``task_`` is queued (to run at ``after``, on ``queue``, if given) in the
    database queue; False for a queue that cannot say (another backend)."""
    try:
        from django_tasks_db.models import DBTaskResult
    except ImportError:
        return False
    found = DBTaskResult.objects.filter(task_path=task_.module_path, status="READY")
    if queue is not None:
        found = found.filter(queue_name=queue)
    if after is not None:
        found = found.filter(run_after=after)
    return found.exists()


def publish_at(moments):
    """Queue the publishing of scheduled guides at each of these future moments (once each),
    when the current transaction commits."""
    now = timezone.now()
    future = sorted({m for m in moments if m and m > now})
    if future:
        transaction.on_commit(lambda: _queue(future))


def _queue(moments):
    for moment in moments:
        if not queued(publish_due_task, moment):
            publish_due_task.using(run_after=moment).enqueue()


def queue_upcoming_publications():
    """The next scheduled guides' moments queued (a worker starting after a save that could
    not queue one, or after its queue was emptied)."""
    from catalog.models import Guide

    upcoming = Guide.objects.scheduled().order_by("publish_at").values_list("publish_at", flat=True)
    publish_at(list(upcoming[:100]))
