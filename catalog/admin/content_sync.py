"""The Content sync page: what is not in step between the files and the database, deciding a
conflict for one record, the drafts held out of the repository, and "Sync now" (a queued
run: catalog.repository.runs) with its progress, whichever server runs it."""

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse

from catalog.fileformat import ContentError
from catalog.infra import roles
from catalog.infra.lazy import lazy_module
from catalog.models import SyncRun

# The sync, git and the status of every file load when an editor opens the page.
status = lazy_module("catalog.repository.status")
sync = lazy_module("catalog.repository.sync")
tasks = lazy_module("catalog.repository.tasks")


def page(model_admin, request):
    """The page, its conflict decisions and its "Sync now" (the guide admin's URL)."""
    if not roles.may(request.user, roles.SYNC):
        raise PermissionDenied
    try:
        data_dir = status.content_data_dir()
    except sync.SyncError as exc:
        model_admin.message_user(request, str(exc), messages.ERROR)
        data_dir = None
    if request.method == "POST" and data_dir is not None:
        if "sync" in request.POST:
            return _sync_now(model_admin, request)
        kind, slug, side = (request.POST.get(k, "") for k in ("kind", "slug", "side"))
        if kind in ("guides", "categories") and side in ("files", "database"):
            return _decide(model_admin, request, kind, slug, side, data_dir)
    run = SyncRun.objects.select_related("started_by").first()

    statuses, errors = status.sync_status(data_dir) if data_dir else ([], [])
    return TemplateResponse(
        request,
        "admin/catalog/content_sync.html",
        {
            **model_admin.admin_site.each_context(request),
            "opts": model_admin.opts,
            "title": "Content sync",
            "data_dir": data_dir,
            "repo": settings.GUIDES_CONTENT_REPO,
            "statuses": statuses,
            "conflicts": sum(status.conflict for status in statuses),
            "held": [record.slug for record in statuses if record.held],
            "errors": errors,
            "run": tasks.state_of(run) if run else None,
        },
    )


def _sync_now(model_admin, request):
    if not settings.GUIDES_CONTENT_REPO:
        model_admin.message_user(
            request, "GUIDES_CONTENT_REPO is not set: there is no clone to sync.", messages.ERROR
        )
    else:
        tasks.request_sync(request.user)
    return HttpResponseRedirect(request.path)


def _decide(model_admin, request, kind, slug, side, data_dir):
    try:
        title = status.decide(kind, slug, side, data_dir, author=request.user)
    except status.UnknownRecord as exc:
        raise Http404(str(exc)) from None
    except ContentError as exc:
        problems = "; ".join(str(p) for p in exc.problems)
        model_admin.message_user(request, problems, messages.ERROR)
        return HttpResponseRedirect(request.path)
    taken = "the file's" if side == "files" else "the database's"
    model_admin.message_user(
        request,
        f"“{title}”: {taken} version will be taken at the next sync; the other is kept "
        "as a revision.",
        messages.SUCCESS,
    )
    return HttpResponseRedirect(request.path)


def run_progress(request, run_id):
    """A "Sync now" run's progress and result, for the page's poll."""
    if not roles.may(request.user, roles.SYNC):
        raise PermissionDenied
    run = get_object_or_404(SyncRun.objects.select_related("started_by"), pk=run_id)
    return JsonResponse(tasks.state_of(run), headers={"Cache-Control": "no-store"})
