"""Every admin list's row checkbox is the element Django's own ``action_checkbox`` renders
(catalog.admin.lists.RowCheckboxes writes it without the template engine), whatever the
record's name holds, and the list's actions still take the rows it selects."""

import pytest
from django.contrib import admin
from django.contrib.admin import ModelAdmin
from django.contrib.auth.models import User
from django.test import Client
from django.utils import translation

from catalog.admin.lists import RowCheckboxes
from catalog.models import Category, Deletion, Guide, GuideRevision, Tag

pytestmark = pytest.mark.django_db

NAMES = ["plain", "quotes \" and '", "<b>tags</b> & ampersands", "ünïcödé ✨", "{braces} %s"]


def test_every_list_writes_its_checkboxes_without_the_template_engine():
    ours = {
        model: model_admin
        for model, model_admin in admin.site._registry.items()
        if type(model_admin).__module__.startswith("catalog.admin.")
    }
    assert set(ours) >= {Guide, Category, GuideRevision, Deletion, Tag}
    assert [
        model for model, model_admin in ours.items() if not isinstance(model_admin, RowCheckboxes)
    ] == []


@pytest.mark.parametrize("language", ["en", "de"])
@pytest.mark.parametrize("name", NAMES)
def test_a_row_checkbox_is_the_markup_django_renders(name, language):
    guide = Guide.objects.create(slug="checkbox", title=name)
    model_admin = admin.site._registry[Guide]
    with translation.override(language):
        assert model_admin.action_checkbox(guide) == ModelAdmin.action_checkbox(model_admin, guide)


def test_the_rows_a_list_selects_are_the_rows_its_action_takes():
    editor = Client()
    editor.force_login(User.objects.create_superuser("boxes", password=None))
    guides = [Guide.objects.create(slug=f"g{n}", title=f"G {n}", draft=True) for n in range(3)]
    page = editor.get("/admin/catalog/guide/").content.decode()
    for guide in guides:
        assert f'name="_selected_action" value="{guide.pk}" class="action-select"' in page
    editor.post(
        "/admin/catalog/guide/",
        {"action": "publish", "_selected_action": [guides[0].pk, guides[2].pk]},
    )
    drafts = dict(Guide.objects.values_list("slug", "draft"))
    assert drafts == {"g0": False, "g1": True, "g2": False}
