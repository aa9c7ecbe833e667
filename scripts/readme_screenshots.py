"""Make the README's screenshots from the bundled sample content (docs/screenshots/*.png).

    .venv/bin/python scripts/readme_screenshots.py

Sets up a throw-away SQLite site with the sample data and an editor, serves it with gunicorn
on 127.0.0.1, and photographs it with Playwright and Debian's chromium. Only the project's own
sample content is shown (the real corpus may not be copied into the repository).
"""

import io
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from PIL import Image  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402

from bench.servers import Gunicorn, collectstatic, server_env  # noqa: E402

OUT = ROOT / "docs" / "screenshots"
PASSWORD = "a-long-editor-password-1"


def manage(env, *args):
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True)


def save(page, name, *, clip=None):
    """A viewport screenshot, reduced to 256 colours so the repository stays small."""
    png = page.screenshot(clip=clip) if clip else page.screenshot()
    image = Image.open(io.BytesIO(png)).convert("RGB").quantize(256)
    image.save(OUT / f"{name}.png", optimize=True)
    print(f"wrote docs/screenshots/{name}.png")


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="guides-shots-"))
    env = server_env(
        f"sqlite:///{work / 'site.sqlite3'}", work, MEDIA_ROOT=work / "media", EDITOR_PW=PASSWORD
    )
    manage(env, "migrate", "-v", "0")
    manage(env, "import_guides", "-v", "0")
    manage(env, "create_editor", "editor", "--password-env", "EDITOR_PW", "-v", "0")
    collectstatic(env)
    with Gunicorn(env) as server, sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", headless=True, args=["--no-sandbox"]
        )
        phone = browser.new_page(viewport={"width": 390, "height": 844})
        phone.goto(server.url + "/")
        save(phone, "home-phone")
        phone.goto(server.url + "/guides/cache-aside-vs-write-through")
        phone.locator("figure.diagram a").click()
        phone.locator("dialog.zoom .zoom-image").wait_for()
        phone.wait_for_timeout(300)
        save(phone, "diagram-phone")
        wide = browser.new_page(viewport={"width": 1280, "height": 900})
        wide.goto(server.url + "/guides/what-happens-when-you-type-a-url")
        wide.locator("#talk-to-it").scroll_into_view_if_needed()
        wide.evaluate("() => document.getElementById('talk-to-it').scrollIntoView()")
        wide.wait_for_timeout(300)
        save(wide, "guide-toc-1280")
        dark = browser.new_context(viewport={"width": 1280, "height": 900}, color_scheme="dark")
        page = dark.new_page()
        page.goto(server.url + "/guides/tls-handshake")
        save(page, "guide-dark")
        page.locator("figure.diagram a").click()
        save(page, "diagram-zoom")

        editor = browser.new_page(viewport={"width": 1400, "height": 1000})
        editor.goto(server.url + "/admin/login/?next=/admin/catalog/guide/")
        editor.fill("#id_username", "editor")
        editor.fill("#id_password", PASSWORD)
        editor.click("input[type=submit]")
        editor.wait_for_url("**/admin/catalog/guide/")
        editor.get_by_role("link", name="The TLS 1.3 Handshake").first.click()
        editor.wait_for_url("**/change/")
        body = editor.locator("#id_body")
        more = (
            "\n\n## Resuming a session\n\n- 0-RTT data rides on the first flight:\n"
            "  - only for idempotent requests\n  - replayable, so servers limit it\n\n"
            "```python\nimport ssl\ncontext = ssl.create_default_context()\n```\n"
        )
        body.fill(body.input_value() + more)
        editor.locator(".preview-page .codehilite").wait_for()
        editor.locator(".field-body").scroll_into_view_if_needed()
        save(editor, "editor-side-by-side")
        editor.wait_for_timeout(600)
        editor.reload()
        editor.locator(".unsaved-offer").scroll_into_view_if_needed()
        save(editor, "editor-unsaved-offer")
        editor.get_by_role("button", name="Discard them").click()
        editor.get_by_role("button", name="Create a review link").click()
        editor.locator(".messagelist").wait_for()
        save(editor, "review-link-made")
        browser.close()


if __name__ == "__main__":
    main()
