"""Small builders for content folders and records used across the tests."""

import datetime as dt
from pathlib import Path

from django.core.management import call_command
from PIL import Image

GUIDE_TEMPLATE = """---
title: "{title}"
description: "{description}"
image: "{image}"
createdAt: "{created}"
draft: {draft}
categories:
{categories}
tags:
{tags}
---

{body}"""

CATEGORY_TEMPLATE = """---
title: '{title}'
description: '{description}'
image: ''
icon: ''
sort: {sort}
---

{body}"""


def _items(values):
    return "\n".join(f'  - "{v}"' for v in values) if values else "  []"


class ContentDir:
    """A content folder on disk; every writer returns the path it wrote."""

    def __init__(self, root: Path):
        self.root = root
        (root / "categories").mkdir(parents=True)
        (root / "guides").mkdir()

    def category(self, slug, title=None, sort=100, body="Intro.\n", description="About it."):
        text = CATEGORY_TEMPLATE.format(
            title=title or slug.title(), description=description, sort=sort, body=body
        )
        return self.raw("categories", slug, text)

    def guide(
        self,
        slug,
        title=None,
        created="2024-03-01",
        draft=False,
        categories=("cat",),
        tags=("Tag",),
        body="Body text.\n",
        description="A guide.",
        image="",
    ):
        text = GUIDE_TEMPLATE.format(
            title=title or slug.replace("-", " ").title(),
            description=description,
            image=image,
            created=created,
            draft=str(draft).lower(),
            categories=_items(categories),
            tags=_items(tags),
            body=body,
        )
        return self.raw("guides", slug, text)

    def raw(self, kind, slug, text, *, encoding="utf-8"):
        path = self.root / kind / f"{slug}.md"
        path.write_bytes(text.encode(encoding) if isinstance(text, str) else text)
        return path

    def public_image(self, relative, *, size=(4, 4), fmt="PNG"):
        """A real image at ``public/<relative>`` (served at ``/<relative>``)."""
        path = self.root / "public" / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        Image.new("RGB", size, (200, 30, 30)).save(path, fmt)
        return path

    def import_(self, *args, **options):
        call_command("import_guides", "--data-dir", str(self.root), *args, verbosity=0, **options)


def today():
    return dt.date.today().isoformat()


def editor_client(username, **fields):
    """A test client logged in as a new member of the Editors group."""
    from django.contrib.auth.models import User
    from django.test import Client

    from catalog.infra.roles import ensure_editors_group

    user = User.objects.create_user(username, password="pw", is_staff=True, **fields)
    user.groups.add(ensure_editors_group())
    client = Client()
    client.force_login(user)
    return client
