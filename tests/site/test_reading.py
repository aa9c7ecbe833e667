"""Reading comforts on guide pages: coloured code in light and dark, a table of contents for
guides with enough headings, heading anchors kept."""

import re
from pathlib import Path

import pytest

pytestmark = pytest.mark.django_db

HIGHLIGHT_CSS = Path(__file__).resolve().parents[2] / "static" / "css" / "highlight.css"
CODE = """
```python
import os  # a comment
def main(x: int) -> str:
    return f"{x!r}" + 'text' * 3
```

```javascript
const a = [1, 2.5, "s", null]; // note
class B extends C { async m() { await fetch(`/x`); } }
```

```yaml
key: value
list:
  - 1
  - true
```

```bash
for f in *.md; do echo "$f" | grep -v x; done
```
"""
LONG = (
    "Intro.\n\n## Why it matters\n\nText.\n\n### A detail & more\n\nText.\n\n"
    "## How it works\n\nText.\n"
)


def _page(client, content, slug, body):
    content.category("c")
    content.guide(slug, title=slug.title(), categories=("c",), body=body)
    content.import_()
    response = client.get(f"/guides/{slug}")
    assert response.status_code == 200
    return response.content.decode()


def test_every_code_token_class_has_a_light_and_a_dark_colour(client, content):
    page = _page(client, content, "code", CODE)
    assert "css/highlight.css" in page
    css = HIGHLIGHT_CSS.read_text()
    # Each colour a light-dark() pair: the colour scheme in force picks one.
    colours = dict(re.findall(r"\.codehilite \.(\w+) \{[^}]*color: light-dark\(([^)]*)\)", css))
    classes = set(re.findall(r'<span class="([a-z0-9]+)"', page))
    assert {"k", "kn", "c1", "s2", "mi", "mf", "nf"} <= classes
    for name in ("k", "kn", "c1", "s2", "mi", "mf", "nf"):  # keywords, comments, …
        light, dark = (c.strip() for c in colours[name].split(","))
        assert light.startswith("#") and dark.startswith("#"), name
    for name in sorted(classes):  # a token coloured at all is coloured in both schemes
        if re.search(rf"\.codehilite \.{name} \{{[^}}]*color:", css):
            assert name in colours, name


def test_a_guide_with_three_headings_gets_a_table_of_contents(client, content):
    page = _page(client, content, "long", LONG)
    toc = re.search(r'<nav class="toc".*?</nav>', page, re.S).group(0)
    assert re.findall(r'<li class="toc-h(\d)"><a href="#([^"]+)">([^<]+)</a>', toc) == [
        ("2", "why-it-matters", "Why it matters"),
        ("3", "a-detail-more", "A detail &amp; more"),
        ("2", "how-it-works", "How it works"),
    ]
    for anchor in ("why-it-matters", "a-detail-more", "how-it-works"):
        assert f'id="{anchor}"' in page and f'href="#{anchor}"' in page


def test_a_short_guide_has_no_table_of_contents(client, content):
    page = _page(client, content, "short", "## One\n\nText.\n\n## Two\n\nText.\n")
    assert 'class="toc"' not in page
    assert 'class="headerlink" href="#one"' in page
