"""Public pages. Each starts from a queryset method of the models (drafts never leak), and
anonymous GETs go through the page cache (catalog.site.caching)."""

from django.conf import settings
from django.core.paginator import EmptyPage, PageNotAnInteger
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.templatetags.static import static
from django.urls import reverse
from django.views.decorators.http import require_safe

from catalog.fileformat.rules import is_slug
from catalog.infra.origin import absolute_url
from catalog.models import Category, Guide, SlugRedirect, published_tags
from catalog.search import (
    EXCERPT_FIELDS,
    SearchPaginator,
    add_headlines,
    search_guides,
    search_terms,
    suggestion,
)
from catalog.site import review as review_links
from catalog.site.caching import public_page
from catalog.write.listings import RankedPaginator

CATEGORY_PAGE_SIZE = 48
TAG_PAGE_SIZE = 48
SEARCH_PAGE_SIZE = 20


def _page_or_404(request, paginator):
    try:
        return paginator.page(request.GET.get("page", 1))
    except (EmptyPage, PageNotAnInteger):
        raise Http404("No such page") from None


@require_safe
@public_page
def home(request):
    return render(
        request,
        "catalog/home.html",
        {
            "categories": Category.objects.in_readme_order().with_guide_counts(),
            "latest": Guide.objects.latest().with_cards()[:12],
        },
    )


@require_safe
@public_page
def category_list(request):
    return render(
        request,
        "catalog/category_list.html",
        {"categories": Category.objects.in_readme_order().with_guide_counts()},
    )


@require_safe
@public_page
def detail(request, slug):
    """``/guides/<slug>``: the guide with this slug, or else the category.

    A slug never names both (the importer and the admin refuse it), so the order of the
    look-ups only decides which page pays for the miss: guides, the most visited, pay none.
    """
    if not is_slug(slug):
        raise Http404("Not a slug")
    visible = Guide.objects.visible_to(request.user)
    guide = visible.with_page().filter(slug=slug).first()
    if guide is not None:
        return _guide_page(request, guide)
    category = Category.objects.with_guide_counts().filter(slug=slug).first()
    if category is not None:
        return _category_page(request, category)
    renamed = SlugRedirect.objects.select_related("guide", "category").filter(old_slug=slug)
    target = renamed[0].target if renamed else None
    if target is None or (renamed[0].guide_id and not visible.filter(pk=target.pk).exists()):
        raise Http404("No guide or category has this slug")
    return redirect(target.get_absolute_url(), permanent=True)


def _category_page(request, category):
    paginator = RankedPaginator(
        Guide.objects.published().with_cards(),
        CATEGORY_PAGE_SIZE,
        links="category_links",
        within={"category": category},
        count=category.guide_count,
    )
    return render(
        request,
        "catalog/category_detail.html",
        {
            "category": category,
            "page": _page_or_404(request, paginator),
            "other_categories": Category.objects.in_readme_order().exclude(pk=category.pk),
            "canonical": f"{settings.GUIDES_BASE_URL}/{category.slug}",
        },
    )


def _guide_page(request, guide, *, review=False):
    category = guide.first_category()
    previous = following = None
    if category is not None:
        previous, following = Guide.objects.neighbours(guide, category)
    canonical = f"{settings.GUIDES_BASE_URL}/{guide.slug}"
    image = absolute_url(guide.image_url) if guide.image_url else ""
    response = render(
        request,
        "catalog/guide_detail.html",
        {
            "guide": guide,
            "category": category,
            "previous": previous,
            "next": following,
            "related": Guide.objects.related_to(guide),
            "canonical": canonical,
            "review": review,
            "image_absolute": image,
            "article": {
                "@context": "https://schema.org",
                "@type": "Article",
                "headline": guide.title,
                "description": guide.description,
                "image": image or None,
                "datePublished": guide.created_on.isoformat(),
                "dateModified": guide.updated_at.isoformat(),
                "url": canonical,
                "keywords": [item.spelling for item in guide.tagged_items.all()],
            },
        },
    )
    if guide.draft or guide.scheduled or review:
        response["Cache-Control"] = "private, no-cache, no-store, max-age=0"
    if review:
        response["X-Robots-Tag"] = "noindex, nofollow"
        response["Referrer-Policy"] = "no-referrer"  # the secret never leaves in a Referer
    return response


@require_safe
def review(request, token):
    """A guide shown through a review link (catalog.site.review); once the guide is public, the
    link leads to its public page (a scheduled guide is reviewed until its moment)."""
    guide = review_links.guide_for(token)
    if guide is None:
        raise Http404("No such review link")
    if not (guide.draft or guide.scheduled):
        response = redirect(guide.get_absolute_url())
        response["Referrer-Policy"] = "no-referrer"
        return response
    return _guide_page(request, Guide.objects.with_page().get(pk=guide.pk), review=True)


@require_safe
def trailing_slash(request, slug):
    return redirect("catalog:detail", slug=slug, permanent=True)


@require_safe
@public_page
def tag_list(request):
    tags = list(published_tags())
    most_used = sorted(tags, key=lambda tag: (-tag.guide_count, tag.name.casefold()))
    return render(
        request,
        "catalog/tag_list.html",
        {"most_used": most_used[:MOST_USED_TAGS], "index": _by_initial(tags), "count": len(tags)},
    )


MOST_USED_TAGS = 30


def _by_initial(tags):
    """``tags`` (in name order) as (initial, tags) pairs: letters, then "#" for the rest."""
    groups = {}
    for tag in tags:
        initial = tag.name[:1].upper()
        groups.setdefault(initial if initial.isalpha() else "#", []).append(tag)
    return sorted(groups.items(), key=lambda item: (item[0] == "#", item[0]))


@require_safe
@public_page
def tag_detail(request, slug):
    tag = get_object_or_404(published_tags(), slug=slug)
    paginator = RankedPaginator(
        Guide.objects.published().with_cards(),
        TAG_PAGE_SIZE,
        links="tagged_items",
        within={"tag": tag},
        count=tag.guide_count,
    )
    page = _page_or_404(request, paginator)
    return render(request, "catalog/tag_detail.html", {"tag": tag, "page": page})


def _search_results(request, query):
    matches = search_guides(query).with_cards(*EXCERPT_FIELDS)
    cards = Guide.objects.with_cards(*EXCERPT_FIELDS)
    return SearchPaginator(
        matches,
        SEARCH_PAGE_SIZE,
        request.GET.get("page"),
        cards,
        search_terms(query),
        getattr(request, "content_state", None),
    )


@require_safe
@public_page
def search(request):
    query = request.GET.get("q", "")
    terms = search_terms(query)
    page, corrected = None, ""
    if terms:
        paginator = _search_results(request, query)
        if not paginator.count:
            corrected = suggestion(query)  # typo tolerance: show what the nearest words find
            if corrected:
                paginator = _search_results(request, corrected)
        page = paginator.get_page(request.GET.get("page"))
        page.object_list = add_headlines(page.object_list, corrected or query)
    context = {"query": query, "terms": terms, "page": page, "corrected": corrected}
    return render(request, "catalog/search.html", context)


@require_safe
def favicon(request):
    """Browsers and crawlers ask for /favicon.ico whatever the page says: the site's icon."""
    return redirect(static("favicon.svg"), permanent=True)


@require_safe
def robots_txt(request):
    sitemap = absolute_url(reverse("sitemap"))
    return HttpResponse(
        f"User-agent: *\nDisallow: /admin/\nDisallow: /markdownx/\nDisallow: /review/\n"
        f"Sitemap: {sitemap}\n",
        content_type="text/plain; charset=utf-8",
    )
