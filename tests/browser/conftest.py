"""Headless Chromium for the browser tests: Debian's /usr/bin/chromium driven by Playwright.

Never ``playwright install`` (it downloads a browser from a CDN): ``tools/ensure_chromium.sh``
installs Debian's package. Chromium missing -> the tests are skipped only when we are not root and
not under CI; under ``CI=true`` (or as root, who can install it) a missing browser is a failure.

Every page records its console errors, uncaught page errors, dialogs (``alert``) and every request
whose URL is not ``file:`` or ``data:``; such requests are also aborted, so a page that needs the
network fails the test instead of quietly loading from a CDN.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from collections.abc import Callable

    from playwright.sync_api import Browser, BrowserContext, Page, Route

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
LOCAL_SCHEMES = ("file:", "data:", "about:", "blob:")


@dataclass
class PageLog:
    """What a page did that a self-contained map must not do."""

    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    external_requests: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)

    def problems(self) -> dict[str, list[str]]:
        """The non-empty lists, by name (empty dict when the page behaved)."""
        return {k: v for k, v in self.__dict__.items() if v}


@dataclass
class LoggedPage:
    """A Playwright page and its log, with the map helpers the browser tests share."""

    page: Page
    log: PageLog

    def open_map(self, path: Path) -> None:
        """Open a saved map and wait until Leaflet has drawn its vector layers."""
        self.page.goto(path.as_uri())
        self.page.wait_for_selector(".leaflet-overlay-pane svg path")

    def overlay_paths(self) -> int:
        """How many SVG paths the map's overlay pane holds now."""
        return self.page.locator(".leaflet-overlay-pane svg path").count()

    def toggle_layer(self, layer: str) -> None:
        """Click a layer's checkbox in the layer control."""
        self.page.locator(".leaflet-control-layers label", has_text=layer).locator("input").click()


def _missing_chromium() -> None:
    msg = f"{CHROMIUM} is missing: run tools/ensure_chromium.sh (make browser)"
    if os.environ.get("CI") == "true" or os.geteuid() == 0:
        pytest.fail(msg)
    pytest.skip(msg + " as root; skipped because this user cannot install it")


@pytest.fixture(scope="session")
def chromium() -> Iterator[Browser]:
    """One headless Debian Chromium for the whole session."""
    if not CHROMIUM.exists():
        _missing_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=str(CHROMIUM), args=list(CHROMIUM_ARGS), headless=True
        )
        yield browser
        browser.close()


@pytest.fixture
def logged_page(chromium: Browser) -> Iterator[LoggedPage]:
    """A fresh page (own context) that logs errors and blocks every non-local request."""
    context = chromium.new_context(service_workers="block", viewport={"width": 1280, "height": 800})
    yield _logged(context)
    context.close()


@pytest.fixture
def page_at(chromium: Browser) -> Iterator[Callable[[int, int], LoggedPage]]:
    """``page_at(width, height)``: a fresh logged page with that viewport (CSS px)."""
    contexts: list[BrowserContext] = []

    def make(width: int, height: int) -> LoggedPage:
        context = chromium.new_context(
            service_workers="block", viewport={"width": width, "height": height}
        )
        contexts.append(context)
        return _logged(context)

    yield make
    for context in contexts:
        context.close()


def _logged(context: BrowserContext) -> LoggedPage:
    """A page of ``context`` that logs errors and blocks every non-local request."""
    log = PageLog()

    def block_remote(route: Route) -> None:
        url = route.request.url
        if url.startswith(LOCAL_SCHEMES):
            route.continue_()
        else:
            route.abort()

    context.route("**/*", block_remote)
    page = context.new_page()
    page.set_default_timeout(10_000)  # a local page renders in well under a second
    page.on(
        "request",
        lambda req: (
            None if req.url.startswith(LOCAL_SCHEMES) else log.external_requests.append(req.url)
        ),
    )
    page.on(
        "console", lambda msg: log.console_errors.append(msg.text) if msg.type == "error" else None
    )
    page.on("pageerror", lambda exc: log.page_errors.append(str(exc)))

    def on_dialog(dialog: object) -> None:
        log.dialogs.append(dialog.message)  # type: ignore[attr-defined]
        dialog.dismiss()  # type: ignore[attr-defined]

    page.on("dialog", on_dialog)
    return LoggedPage(page, log)
