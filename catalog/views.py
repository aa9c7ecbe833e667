"""Public pages. Every queryset starts from the model's queryset methods."""

from django.db.models import Count, Prefetch, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render

from .models import Category, Guide, GuideCategory, TaggedGuide


def _categories_with_counts():
    published = Guide.objects.published()
    return Category.objects.in_readme_order().annotate(
        guide_count=Count("guides", filter=Q(guides__in=published), distinct=True)
    )


def home(request):
    return render(
        request,
        "catalog/home.html",
        {
            "categories": _categories_with_counts(),
            "latest": Guide.objects.published().order_by("-created_on", "slug").with_cards()[:12],
        },
    )


def category_list(request):
    return render(request, "catalog/category_list.html", {"categories": _categories_with_counts()})


def detail(request, slug):
    """``/guides/<slug>``: a category if one has this slug, otherwise a guide."""
    category = Category.objects.filter(slug=slug).first()
    if category is not None:
        return category_detail(request, category)
    return guide_detail(request, slug)


def category_detail(request, category):
    guides = category.guides.published().in_readme_order().with_cards()
    return render(
        request,
        "catalog/category_detail.html",
        {
            "category": category,
            "guides": guides,
            "other_categories": Category.objects.in_readme_order().exclude(pk=category.pk),
        },
    )


def guide_detail(request, slug):
    guide = get_object_or_404(
        Guide.objects.visible_to(request.user).prefetch_related(
            Prefetch("category_links", queryset=GuideCategory.objects.select_related("category")),
            Prefetch("tagged_items", queryset=TaggedGuide.objects.select_related("tag")),
        ),
        slug=slug,
    )
    response = render(request, "catalog/guide_detail.html", {"guide": guide})
    if guide.draft:
        response["Cache-Control"] = "private, no-cache, no-store, max-age=0"
    return response


def trailing_slash(request, slug):
    if not slug:
        raise Http404
    return redirect("catalog:detail", slug=slug, permanent=True)
