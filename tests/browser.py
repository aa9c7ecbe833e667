"""Playwright driving Debian's chromium, for the browser tests (pytest -m browser)."""

import functools
import io
import os
from pathlib import Path
from urllib.parse import urlparse

import pytest

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-sync",
    "--disable-background-networking",
    "--disable-component-update",
]


@pytest.fixture(scope="module")
def browser():
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"{CHROMIUM} is missing: apt-get install chromium")
    sync_api = pytest.importorskip("playwright.sync_api")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=LAUNCH_ARGS
        )
        yield browser
        browser.close()
    os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


class PageWatch:
    """Records console errors, failed requests and any request leaving 127.0.0.1."""

    def __init__(self, page):
        self.console_errors, self.failed, self.outside = [], [], []
        page.on("console", lambda m: m.type == "error" and self.console_errors.append(m.text))
        page.on("pageerror", lambda e: self.console_errors.append(str(e)))
        page.on("requestfailed", self._request_failed)
        page.on(
            "dialog", lambda d: (self.console_errors.append(f"dialog: {d.message}"), d.dismiss())
        )

        def route(route):
            host = urlparse(route.request.url).hostname
            if host in ("127.0.0.1", "localhost") or route.request.url.startswith("data:"):
                route.continue_()
            else:
                self.outside.append(route.request.url)
                route.abort()

        page.route("**/*", route)

    def _request_failed(self, request):
        """A request that got no answer. Not one the browser gave up itself because the
        page went on (a lazy image still loading when the test clicks a link: ERR_ABORTED,
        seen on a loaded machine); a server that fails to answer is ERR_EMPTY_RESPONSE,
        ERR_CONNECTION_* and the like."""
        if request.failure != "net::ERR_ABORTED":
            self.failed.append(f"{request.url} ({request.failure})")


CORPUS_IMAGE_HOST = "assets.bytebytego.com"


@functools.cache
def _diagram_png(size):
    """A picture of a diagram: boxes and arrows on white, ``size`` pixels."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(image)
    for n in range(12):
        x, y = 100 + (n % 3) * 500, 100 + (n // 3) * 450
        draw.rectangle((x, y, x + 380, y + 260), outline="navy", width=8, fill="lightblue")
        draw.line((x + 380, y + 130, x + 500, y + 130), fill="black", width=6)
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def stand_in_corpus_diagrams(page, size=(1600, 2000)):
    """Answer the real corpus's diagram URLs (on a host this machine cannot reach) with one
    picture of a diagram's usual size, so pages show a diagram where a reader's would.
    Registered after PageWatch, it answers first (Playwright runs routes newest first)."""
    body = _diagram_png(size)
    page.route(
        f"https://{CORPUS_IMAGE_HOST}/**",
        lambda route: route.fulfill(status=200, content_type="image/png", body=body),
    )


def log_in(page, base, next_path, password, username="editor"):
    """Log in to the admin through its form and land on ``next_path``; the corpus's
    diagrams stood in for on every page that follows."""
    stand_in_corpus_diagrams(page)
    page.goto(f"{base}/admin/login/?next={next_path}")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("input[type=submit]")
    page.wait_for_url("**" + next_path)


def broken_images(page):
    return page.evaluate(
        """() => [...document.images]
              .filter(img => !img.complete || img.naturalWidth === 0)
              .map(img => img.src)"""
    )


def load_all_images(page):
    page.evaluate(
        "() => document.querySelectorAll('img[loading=lazy]').forEach(i => i.loading = 'eager')"
    )
    page.wait_for_function("() => [...document.images].every(img => img.complete)")


def screenshot(page, name):
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
