"""Stored HTML brought up to date after a renderer change (``render_guides``)."""

from catalog.fileformat import rendering
from catalog.models import Category, Guide


def render_stored_html(*, everything=False) -> int:
    """Fill the stored HTML of records that have none or an older renderer's; return how many.

    With ``everything``, re-render every record. Rendering happens outside any transaction;
    each record is then written only if its body is still the one rendered, so an edit made
    meanwhile is never paired with HTML of the old text. Pages look the same before and after
    (they render what is not stored), so no cached page needs to be refreshed.
    """
    count = 0
    for model in (Category, Guide):
        records = model.objects.all()
        if not everything:
            records = records.exclude(rendered_with=rendering.RENDERER_VERSION)
        for pk, body in list(records.values_list("pk", "body")):
            count += model.objects.filter(pk=pk, body=body).update(
                **rendering.stored_rendering(body)
            )
    return count
