"""The first public pages: categories in README order, guides, drafts hidden from visitors."""

import pytest
from django.contrib.auth.models import User

from catalog.infra.roles import ensure_editors_group

pytestmark = pytest.mark.django_db


@pytest.fixture
def site(content, settings):
    settings.GUIDES_DATA_DIR = content.root  # the folder whose public/ the site serves
    content.category("net", title="Networking", sort=2, body="## Intro\n\nAll about <b>nets</b>.\n")
    content.category("db", title="Databases", sort=1)
    content.guide(
        "tcp",
        title="TCP",
        created="2024-02-01",
        categories=("net",),
        tags=("Protocols",),
        image="/images/tcp.png",
        body="# TCP\n\n<script>alert(1)</script>\n\n[x](javascript:alert(1))\n",
    )
    content.public_image("images/tcp.png", size=(30, 20))
    content.guide("dns", title="DNS", created="2024-01-01", categories=("net", "db"))
    content.guide(
        "hidden-draft",
        title="Unpublished zebra",
        categories=("net",),
        draft=True,
        tags=("Zebratag",),
    )
    content.import_()
    return content


def positions(html, *needles):
    return [html.index(n) for n in needles]


def test_home_lists_categories_in_sort_order_with_published_counts(client, site):
    html = client.get("/").content.decode()
    first, second = positions(html, ">Databases<", ">Networking<")
    assert first < second
    assert "2 guides" in html and "1 guide<" in html
    assert "zebra" not in html.lower()


def test_category_page_lists_published_guides_in_readme_order(client, site):
    response = client.get("/guides/net")
    html = response.content.decode()
    assert response.status_code == 200
    assert '<h2 id="intro">' in html and "<b>nets</b>" in html
    dns, tcp = positions(html, 'href="/guides/dns"', 'href="/guides/tcp"')
    assert dns < tcp
    assert "zebra" not in html.lower()


def test_guide_page_shows_title_diagram_markdown_categories_and_tags(client, site):
    html = client.get("/guides/tcp").content.decode()
    assert "<h1>TCP</h1>" in html
    assert (
        '<img src="/images/tcp.png" alt="Diagram: TCP" width="30" height="20" '
        'fetchpriority="high">' in html
    )
    assert 'href="/guides/net">Networking</a>' in html
    assert "Protocols" in html
    assert "<script>alert" not in html and "javascript:" not in html


def test_draft_is_404_for_visitors_and_shown_with_a_banner_to_editors(client, site):
    assert client.get("/guides/hidden-draft").status_code == 404
    staff = User.objects.create_user("ed", password="pw", is_staff=True)
    staff.groups.add(ensure_editors_group())
    client.force_login(staff)
    response = client.get("/guides/hidden-draft")
    assert response.status_code == 200
    assert "Draft — not published" in response.content.decode()
    assert "no-store" in response["Cache-Control"]


def test_trailing_slash_redirects_permanently(client, site):
    response = client.get("/guides/tcp/")
    assert (response.status_code, response["Location"]) == (301, "/guides/tcp")


def test_unknown_slug_is_a_friendly_404(client, site):
    response = client.get("/guides/nope")
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()


def test_sample_diagrams_are_served_from_the_data_folder(client, settings):
    response = client.get("/images/tcp-vs-udp.png")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"


def test_relative_links_and_pictures_as_on_github_reach_the_sites_pages(client, content, settings):
    """A guide written to work on GitHub (a picture in public/ and a link to another guide by
    their paths from its file) shows that picture and links to that guide here too, the
    frontmatter's picture included (with its size)."""
    settings.GUIDES_DATA_DIR = content.root
    content.category("net", title="Networking")
    content.public_image("images/flow.png", size=(30, 20))
    content.guide("udp", title="UDP", categories=("net",))
    content.guide(
        "tcp",
        title="TCP",
        categories=("net",),
        image="../public/images/flow.png",
        body="Compare [UDP](udp.md#why) and [the category](../categories/net.md).\n\n"
        "![Flow](../public/images/flow.png)\n",
    )
    content.import_()
    html = client.get("/guides/tcp").content.decode()
    assert '<img src="/images/flow.png" alt="Diagram: TCP" width="30" height="20"' in html
    assert 'src="/images/flow.png" alt="Flow"' in html
    assert 'href="/guides/udp#why"' in html and 'href="/guides/net"' in html
    assert client.get("/images/flow.png").status_code == 200
    assert 'src="/images/flow.png"' in client.get("/guides/net").content.decode()  # its card
    content.public_image("images/a flow.png", size=(40, 10))  # a name a URL spells with %20
    content.guide("sctp", title="SCTP", categories=("net",), image="/images/a%20flow.png")
    content.import_()
    html = client.get("/guides/sctp").content.decode()
    assert '<img src="/images/a%20flow.png" alt="Diagram: SCTP" width="40" height="10"' in html
