"""Write static/css/highlight.css: code colours for the classes Pygments gives fenced code
(catalog.fileformat.rendering, ``codehilite``): each colour as ``light-dark()``, so the
colour scheme in force picks the light or the dark style's.

    python scripts/make_highlight_css.py

Run it again after changing a style or upgrading Pygments; the file is committed so that the
site needs nothing generated at start-up. Backgrounds are left to site.css (``--code-bg``).
"""

import re
from pathlib import Path

from pygments.formatters import HtmlFormatter

LIGHT, DARK = "default", "github-dark"
TARGET = Path(__file__).resolve().parents[1] / "static" / "css" / "highlight.css"


def rules(style):
    """{selector: {property: value}} of a Pygments style's token rules, backgrounds left out."""
    css = HtmlFormatter(style=style).get_style_defs(".codehilite")
    found = {}
    for line in css.splitlines():
        match = re.match(r"(\.codehilite \.[\w-]+) \{([^}]*)\}", line)
        if not match or match[1] == ".codehilite .hll":
            continue
        declarations = dict(
            (part.split(":", 1)[0].strip(), part.split(":", 1)[1].strip())
            for part in match[2].split(";")
            if ":" in part and not part.strip().startswith("background")
        )
        if declarations:
            found[match[1]] = declarations
    return found


def main():
    # Each colour as light-dark(light, dark): the colour scheme in force decides (the
    # reader's system, the site's theme toggle, the admin's theme: each sets color-scheme),
    # also in the editor's preview, a shadow root. Other properties (bold, italic) are the
    # light style's.
    light, dark = rules(LIGHT), rules(DARK)
    lines = []
    for selector in sorted(light.keys() | dark.keys()):
        both = {**dark.get(selector, {}), **light.get(selector, {})}
        if "color" in light.get(selector, {}) or "color" in dark.get(selector, {}):
            shown = light.get(selector, {}).get("color", "currentcolor")
            dark_shown = dark.get(selector, {}).get("color", "currentcolor")
            both["color"] = f"light-dark({shown}, {dark_shown})"
        lines.append(f"{selector} {{ {'; '.join(f'{k}: {v}' for k, v in both.items())} }}")
    TARGET.write_text(
        f"/* Code colours: Pygments '{LIGHT}' (light) and '{DARK}' (dark). Made by "
        "scripts/make_highlight_css.py; do not edit by hand. */\n" + "\n".join(lines) + "\n"
    )
    print(f"wrote {TARGET}")


if __name__ == "__main__":
    main()
