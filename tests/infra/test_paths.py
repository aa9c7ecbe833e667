"""catalog.infra.paths gives exactly what ``reverse`` gives, for every slug a route accepts."""

import pytest
from django.urls import NoReverseMatch, reverse, set_script_prefix

from catalog.infra.paths import slug_path

SLUGS = [
    "system-design",
    "a",
    "ü-straße",
    "数据库",
    "spaces and\ttabs",
    "100%-sure",
    "q?x=1#frag",
    "semi;colon,comma+plus=eq&amp'(paren)!*$",
    "tilde~at@colon:",
    "emoji-🙂",
    "..",
    "-",
]


@pytest.mark.parametrize("route", ["catalog:detail", "catalog:tag"])
@pytest.mark.parametrize("prefix", ["/", "/sub/site/"])
def test_a_slug_path_is_what_reverse_gives(route, prefix):
    set_script_prefix(prefix)
    try:
        for slug in SLUGS:
            assert slug_path(route, slug) == reverse(route, args=[slug]), slug
    finally:
        set_script_prefix("/")


@pytest.mark.parametrize("slug", ["", "a/b", "/lead"])
def test_a_slug_no_route_accepts_is_refused_as_reverse_refuses_it(slug):
    with pytest.raises(NoReverseMatch):
        reverse("catalog:detail", args=[slug])
    with pytest.raises(NoReverseMatch):
        slug_path("catalog:detail", slug)
