"""Sync runs: carried out by a task worker (or ``sync_content`` itself), one at a time across
every server, and followed by any server's Content sync page through the run's row
(``SyncRun``). Queueing them is catalog.repository.tasks'.

- :func:`carry_out` is the task's body: it takes the one sync lock (an advisory lock on
  PostgreSQL, a lock row elsewhere: catalog.infra.db), marks the run started, keeps saying it
  is alive (``beat_at``) while ``sync_content`` runs, and records the result.
- :func:`is_dead`: a run whose worker died (killed, or its machine gone: no beat for
  ``STALE``, or a process of this machine that is not there); every step of a sync is all or
  nothing, so a retry finishes what the dead run started.
"""

from __future__ import annotations

import datetime as dt
import os
import socket
import threading

from django.conf import settings
from django.db import DatabaseError, connection
from django.utils import timezone

from catalog.infra.db import backend
from catalog.models import SyncLock, SyncRun
from catalog.repository.sync import SyncError, sync_content

# A run not heard from for this long died with its worker; a running one says it is alive
# every BEAT.
STALE = dt.timedelta(seconds=45)
BEAT = dt.timedelta(seconds=5)


def start_here(source="command"):
    """A run carried out by this process now (``sync_content`` on a command line or cron),
    which still waits for the one sync lock like a queued one."""
    return SyncRun.objects.create(source=source, waiting=None)


def worker_name():
    return f"{socket.gethostname()}:{os.getpid()}"


def carry_out(run_id, repo_dir=None, *, echo=None, **options):
    """Carry out a run (queued, or made by ``sync_content`` itself): the task's body. Returns
    the report, or None if the run was finished already (a task delivered twice); SyncError
    if the sync stopped (recorded in the run)."""
    run = SyncRun.objects.filter(pk=run_id, finished_at=None).first()
    if run is None:
        return None
    repo_dir = repo_dir or settings.GUIDES_CONTENT_REPO
    holder = f"{worker_name()}:{run.pk}"
    said_waiting = []

    def waiting():
        if not said_waiting:
            said_waiting.append(True)
            _add_line(run, "waiting for the sync in progress to finish")

    with backend().sync_lock(SyncLock, holder, stale=STALE, gone=_holder_gone, waiting=waiting):
        host, pid = socket.gethostname(), os.getpid()
        now = timezone.now()
        SyncRun.objects.filter(pk=run.pk).update(
            waiting=None, started_at=now, beat_at=now, host=host, pid=pid
        )
        run.refresh_from_db()
        with _beating(run):
            return _run(run, repo_dir, options, echo)


def _run(run, repo_dir, options, echo):
    def progress(line):
        _add_line(run, line)
        if echo is not None:
            echo(line)

    options = {"branch": settings.GUIDES_SYNC_BRANCH, **options}
    try:
        report = sync_content(repo_dir, progress=progress, **options)
    except SyncError as exc:
        _finish_run(run, False, run.lines + str(exc).splitlines())
        raise
    except Exception as exc:
        _finish_run(run, False, [*run.lines, f"the sync failed: {exc!r}"])
        raise
    _finish_run(run, True, report.lines)
    return report


def _add_line(run, line):
    run.lines.append(line)
    SyncRun.objects.filter(pk=run.pk).update(lines=run.lines)


class _beating:
    """While inside, a thread of the worker says every BEAT that the run is alive (and
    keeps a lock row fresh)."""

    def __init__(self, run):
        self.run, self.stop = run, threading.Event()
        self.thread = threading.Thread(target=self._beat, name="sync-beat", daemon=True)

    def __enter__(self):
        self.thread.start()

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join()

    def _beat(self):
        try:
            while not self.stop.wait(BEAT.total_seconds()):
                now = timezone.now()
                try:
                    SyncRun.objects.filter(pk=self.run.pk, finished_at=None).update(beat_at=now)
                    SyncLock.objects.filter(pk=1, holder__endswith=f":{self.run.pk}").update(
                        beat_at=now
                    )
                except DatabaseError:  # busy: the next beat says it (STALE is several)
                    pass
        finally:
            connection.close()


def _holder_gone(holder):
    """Whether the lock's holder (``host:pid:run``) is a process of this machine that is not
    there any more."""
    host, _, rest = holder.partition(":")
    pid = rest.partition(":")[0]
    return host == socket.gethostname() and pid.isdigit() and not _process_alive(int(pid))


def is_dead(run):
    """Whether a started, unfinished run's worker died."""
    if run.started_at is None:
        return False
    if run.host == socket.gethostname() and run.pid and not _process_alive(run.pid):
        return True
    return timezone.now() - (run.beat_at or run.started_at) > STALE


def _process_alive(pid):
    """Whether process ``pid`` runs: a zombie (dead, not yet reaped, as under a container's
    init that reaps nothing) counts as dead."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return True


def _finish_run(run, ok, lines):
    run.ok, run.lines, run.finished_at = ok, lines, timezone.now()
    SyncRun.objects.filter(pk=run.pk, finished_at=None).update(
        ok=ok, lines=lines, finished_at=run.finished_at, waiting=None
    )


def mark_interrupted(run):
    _finish_run(
        run,
        False,
        [
            *run.lines,
            "The run stopped before it finished (its worker died). What it wrote is "
            "complete; a new run was queued to finish the rest.",
        ],
    )


def run_state(run):
    """A run as the page's progress poll reads it."""
    if run.finished_at is not None:
        state = "ok" if run.ok else "failed"
    else:
        state = "queued" if run.started_at is None else "running"
    when = run.started_at or run.queued_at
    return {
        "id": run.pk,
        "state": state,
        "lines": run.lines,
        "source": run.get_source_display(),
        "started_by": run.started_by.get_username() if run.started_by else "",
        "started_at": when.isoformat(),
        "started": f"{when:%Y-%m-%d %H:%M:%S} UTC",
        "finished_at": run.finished_at.isoformat() if run.finished_at else None,
    }
