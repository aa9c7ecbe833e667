""" "Sync now": a ``sync_content`` run started from the admin, followed by the Content sync
page through its row (``SyncRun``): its lines as they happen, and its result."""

from __future__ import annotations

import datetime as dt
import os
import socket
import subprocess
import sys
import threading

from django.conf import settings
from django.utils import timezone

from catalog.models import SyncRun
from catalog.repository.sync import SyncError, sync_content

RUN_START_GRACE = dt.timedelta(minutes=1)


def start_run(user):
    """Start ``sync_content`` for the admin's "Sync now" in a process of its own (a request
    never waits for git); return the run, or the run already going (one at a time)."""
    running = next(
        (run for run in SyncRun.objects.filter(finished_at=None) if is_running(run)), None
    )
    if running is not None:
        return running
    run = SyncRun.objects.create(started_by=user, host=socket.gethostname())
    process = subprocess.Popen(
        [sys.executable, "manage.py", "sync_content", "--run", str(run.pk), "--verbosity", "0"],
        cwd=settings.BASE_DIR,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    threading.Thread(target=process.wait, daemon=True).start()  # no zombie left behind
    SyncRun.objects.filter(pk=run.pk).update(pid=process.pid)
    run.pid = process.pid
    return run


def is_running(run):
    """Whether an unfinished run is still going. A run whose process died (killed, or the
    machine restarted) is marked interrupted: the next run completes its work."""
    if run.finished_at is not None:
        return False
    alive = True
    if run.host == socket.gethostname() and run.pid:
        alive = _process_alive(run.pid)
    elif not run.pid:
        alive = timezone.now() - run.started_at < RUN_START_GRACE
    if not alive:
        _finish_run(
            run,
            False,
            [
                "The run stopped before it finished (was it killed?). What it "
                "wrote is complete; the next sync finishes the rest."
            ],
        )
    return alive


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


def carry_out_run(run_id, repo_dir, **options):
    """The process "Sync now" starts: run the sync, telling the run's row each line as it
    happens, and record the result."""
    run = SyncRun.objects.get(pk=run_id)

    def progress(line):
        run.lines.append(line)
        SyncRun.objects.filter(pk=run.pk).update(lines=run.lines)

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


def _finish_run(run, ok, lines):
    run.ok, run.lines, run.finished_at = ok, lines, timezone.now()
    SyncRun.objects.filter(pk=run.pk, finished_at=None).update(
        ok=ok, lines=lines, finished_at=run.finished_at
    )


def run_state(run):
    """A run as the page's progress poll reads it."""
    if run.finished_at is None and is_running(run):
        state = "running"
    else:
        state = "ok" if run.ok else "failed"
    return {
        "id": run.pk,
        "state": state,
        "lines": run.lines,
        "started_by": run.started_by.get_username() if run.started_by else "",
        "started_at": run.started_at.isoformat(),
        "started": f"{run.started_at:%Y-%m-%d %H:%M:%S} UTC",
        "finished_at": run.finished_at.isoformat() if run.finished_at else None,
    }
