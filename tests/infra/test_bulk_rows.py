"""The database seam's bulk insert (``backend().insert_rows``) stores each row's own values:
prepared values that are reused for the same object (a write's shared moment) never leak
into a row whose value is another."""

import datetime

import pytest
from django.db import transaction

from catalog.infra.db import backend
from catalog.models import Guide, GuideRevision

pytestmark = pytest.mark.django_db


def test_rows_sharing_a_moment_and_rows_with_their_own_keep_each_theirs():
    guide = Guide.objects.create(slug="moments", title="Moments")
    shared = datetime.datetime(2026, 1, 2, 3, 4, 5, tzinfo=datetime.UTC)
    own = [
        shared,
        datetime.datetime(2025, 6, 7, 8, 9, 10, tzinfo=datetime.UTC),
        shared,
        # equal to the shared moment but another object, and another zone
        datetime.datetime(
            2026, 1, 2, 4, 4, 5, tzinfo=datetime.timezone(datetime.timedelta(hours=1))
        ),
        None,
        datetime.datetime(2024, 2, 29, 23, 59, 59, 999999, tzinfo=datetime.UTC),
        shared,
    ]
    rows = [
        {
            "guide_id": guide.pk,
            "source": "import",
            "title": f"row {n}",
            "body": "",
            "frontmatter": {},
            "created_at": when or shared,
        }
        for n, when in enumerate(own)
    ]
    before = set(GuideRevision.objects.values_list("pk", flat=True))
    with transaction.atomic():
        backend().insert_rows(GuideRevision, iter(rows))
    stored = dict(GuideRevision.objects.exclude(pk__in=before).values_list("title", "created_at"))
    assert stored == {f"row {n}": when or shared for n, when in enumerate(own)}
