"""Debian's chromium, headless, driven by Playwright: the browser the workspace's tests use.

Screenshots go to the test's temporary folder and to `.ccflink/screenshots/` (kept as test
artifacts; the README's pictures come from there).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect, sync_playwright

from emulator.config import PROJECT_ROOT

CHROMIUM = shutil.which("chromium")
SCREENSHOTS = PROJECT_ROOT / ".ccflink" / "screenshots"


@contextmanager
def workspace_page(url: str) -> Iterator[Page]:
    """A browser tab on the workspace at `url`, once its first cell is shown."""
    if CHROMIUM is None:
        pytest.skip(
            "Debian's chromium is missing (the browser these tests drive): `make setup` "
            "installs it as root (apt-get install chromium)"
        )
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        try:
            tab = browser.new_page(viewport={"width": 1400, "height": 900})
            tab.goto(url)
            expect(tab.locator(".cell").first).to_be_visible()
            yield tab
        finally:
            browser.close()


def screenshot(page: Page, folder: Path, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for where in (folder / f"{name}.png", SCREENSHOTS / f"{name}.png"):
        page.screenshot(path=str(where), full_page=True)
