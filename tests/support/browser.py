"""Steps the browser tests share."""

from __future__ import annotations

from tests.support import CANARY_KEY


def save_key(page, base: str) -> None:
    """Save the canary key on the Settings page, as a visitor would."""
    page.goto(base + "/settings")
    page.fill("#api_key", CANARY_KEY)
    page.click("button:has-text('Save')")
    page.wait_for_selector(".masked-key")
