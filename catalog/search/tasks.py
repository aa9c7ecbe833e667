"""Keeping each host's search index current (catalog.search.index), as a task of Django's tasks
framework (settings.TASKS) on the host's own queue (``GUIDES_HOST_QUEUE``): every host that
serves pages runs a task worker (``python manage.py run_worker``), which takes its own host's
queue beside the shared one, so the index is written where it is read. No request writes it.

An update is queued for every known host when content changes (once the change commits:
``content_changed``); a host is known once its worker has taken one (a worker queues one for
its host as it starts). A web process whose search finds its host's index behind queues one
too (once a version). One waiting update a host is enough: it indexes whatever changed by
the time it runs.
"""

from django.conf import settings
from django_tasks import task

from catalog.infra.lazy import lazy_module
from catalog.write.tasks import queued

index = lazy_module("catalog.search.index")


@task(queue_name=settings.GUIDES_HOST_QUEUE)
def update_index_task():
    _forget_earlier_runs()
    index.update()


def _update_runs():
    """The index updates the task queue's table holds; None where tasks are not kept in the
    database (another backend)."""
    try:
        from django_tasks_db.models import DBTaskResult
    except ImportError:
        return None
    return DBTaskResult.objects.filter(task_path=update_index_task.module_path)


def _forget_earlier_runs():
    """This host's finished updates but the last are dropped from the queue's table, so that
    every content change's look for the known hosts (``host_queues``) reads a few rows, not
    one per change ever made."""
    runs = _update_runs()
    if runs is not None:
        runs.filter(queue_name=settings.GUIDES_HOST_QUEUE, finished_at__isnull=False).delete()


def queue_update(queue=None):
    """Queue an index update on ``queue`` (this host's if None), unless one is waiting."""
    queue = queue or settings.GUIDES_HOST_QUEUE
    if index.enabled() and not queued(update_index_task, queue=queue):
        update_index_task.using(queue_name=queue).enqueue()


def host_queues():
    """This host's queue and every other host's whose worker has taken an index update (its
    last finished update says so, until it is pruned; a host not known then has its index
    brought up by its first search after a change)."""
    runs = _update_runs()
    if runs is None:
        return {settings.GUIDES_HOST_QUEUE}
    return {settings.GUIDES_HOST_QUEUE, *runs.values_list("queue_name", flat=True).distinct()}


def content_changed(**kwargs):
    """Receiver of catalog.write.versions.content_changed: every host's index is behind."""
    if index.enabled():
        for queue in sorted(host_queues()):
            queue_update(queue)


def index_behind(**kwargs):
    """Receiver of catalog.search.index.index_behind: this host's index is."""
    queue_update()
