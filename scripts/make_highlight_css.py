"""Write static/css/highlight.css: code colours for the classes Pygments gives fenced code
(catalog.fileformat.rendering, ``codehilite``), light by default, dark under the reader's
dark scheme unless they chose light, and dark when they chose it.

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
    css = HtmlFormatter(style=style).get_style_defs(".codehilite")
    kept = []
    for line in css.splitlines():
        if not line.startswith(".codehilite .") or line.startswith(".codehilite .hll "):
            continue
        line = re.sub(r"background-color: [^;]+;\s*", "", line)
        if re.search(r"\{\s*\}", line):
            continue
        kept.append(line)
    return kept


def main():
    # Dark when the reader's system is dark and they did not choose light, or when they
    # chose dark (the theme toggle sets data-theme on the root element).
    dark = rules(DARK)
    by_system = "\n".join("  :root:not([data-theme=light]) " + line for line in dark)
    chosen = "\n".join(":root[data-theme=dark] " + line for line in dark)
    TARGET.write_text(
        f"/* Code colours: Pygments '{LIGHT}' (light) and '{DARK}' (dark). Made by "
        "scripts/make_highlight_css.py; do not edit by hand. */\n"
        + "\n".join(rules(LIGHT))
        + f"\n@media (prefers-color-scheme: dark) {{\n{by_system}\n}}\n{chosen}\n"
    )
    print(f"wrote {TARGET}")


if __name__ == "__main__":
    main()
