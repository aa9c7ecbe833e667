"""``POST /hooks/git``: the content repository's push webhook (GitHub or GitLab) queues a
sync (catalog.repository.webhook checks the call, catalog.repository.runs queues the run)."""

from django.conf import settings
from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from catalog.infra.lazy import lazy_module
from catalog.repository import webhook

# The queue of sync runs loads with the first push that asks for one.
tasks = lazy_module("catalog.repository.tasks")


@csrf_exempt
@require_POST
def git_push(request):
    body = request.read(webhook.MAX_BODY_BYTES + 1)
    try:
        push = webhook.check(
            request.headers, body, settings.GUIDES_WEBHOOK_SECRET, settings.GUIDES_SYNC_BRANCH
        )
    except webhook.Refused as exc:
        return JsonResponse({"error": str(exc)}, status=403)
    if not push.sync:
        return JsonResponse({"queued": False, "why": push.why}, status=202)
    run = tasks.request_sync(source="webhook")
    return JsonResponse({"queued": True, "run": run.pk, "why": push.why}, status=202)
