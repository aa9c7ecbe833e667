"""Admin lists: searches that count their matches only as far as a cap, and each row's
checkbox written without the template engine.

Django's change list counts every row its search matches to number its pages, so a common
word's page costs what all its matches do (every match's search document read again), not
what the rows shown do (bench/RESULTS.md). A search's list counts at most
``SEARCH_COUNT_CAP`` matches: beyond, it says "more than" that many and numbers the pages up
to it, and the editor narrows the search. Lists without a search count exactly (one
index-only count).
"""

from django.contrib.admin import helpers
from django.contrib.admin.views.main import SEARCH_VAR
from django.core.paginator import Paginator
from django.utils.functional import cached_property
from django.utils.html import format_html
from django.utils.translation import gettext as _

SEARCH_COUNT_CAP = 1000


class CappedCountPaginator(Paginator):
    """Django's paginator that counts at most ``cap`` objects; ``more``: there are more."""

    cap = SEARCH_COUNT_CAP

    @cached_property
    def _counted(self):
        # Unordered and cut at one past the cap, the count stops with its first cap + 1 rows.
        return self.object_list.order_by()[: self.cap + 1].count()

    @cached_property
    def count(self):
        return min(self._counted, self.cap)

    @property
    def more(self):
        return self._counted > self.cap


class SearchCountCap:
    """A ModelAdmin mixin: a search's list pages with a :class:`CappedCountPaginator`
    (the templates admin/pagination.html, search_form.html and actions.html say "more
    than")."""

    def get_paginator(self, request, queryset, per_page, orphans=0, allow_empty_first_page=True):
        if request.GET.get(SEARCH_VAR):
            return CappedCountPaginator(queryset, per_page, orphans, allow_empty_first_page)
        return super().get_paginator(request, queryset, per_page, orphans, allow_empty_first_page)


class RowCheckboxes:
    """A ModelAdmin mixin: each row's checkbox for the list's actions written as the markup
    Django's ``action_checkbox`` renders (the same element, name, value, class and label),
    without rendering a form widget through the template engine for every row, which was
    about two fifths of a revision row's cost (bench/RESULTS.md)."""

    def action_checkbox(self, obj):
        label = format_html(_("Select this object for an action - {}"), str(obj))
        return format_html(
            '<input type="checkbox" name="{}" value="{}" class="action-select" aria-label="{}">',
            helpers.ACTION_CHECKBOX_NAME,
            str(obj.pk),
            label,
        )
