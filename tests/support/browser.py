"""Steps and checks the browser tests share: saving a key, axe-core, layout measurements."""

from __future__ import annotations

import os

import pytest

from tests.support import CANARY_KEY, ROOT

# axe-core comes from npm (package.json; `make test` runs `npm ci`).
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
# The impacts that fail a page; "moderate" and "minor" ones are reported, not failed.
BLOCKING_IMPACTS = ("critical", "serious")

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}
NARROW = {"width": 320, "height": 640}
# Every page is looked at on a phone and a desktop, light and dark.
LAYOUTS = [
    pytest.param(PHONE, "light", id="phone-light"),
    pytest.param(PHONE, "dark", id="phone-dark"),
    pytest.param(DESKTOP, "light", id="desktop-light"),
    pytest.param(DESKTOP, "dark", id="desktop-dark"),
]


def save_key(page, base: str) -> None:
    """Save the canary key on the Settings page, as a visitor would."""
    page.goto(base + "/settings")
    page.fill("#api_key", CANARY_KEY)
    page.click("button:has-text('Save')")
    page.wait_for_selector(".masked-key")


def send(page, text: str, selector: str = ".msg-assistant:not(.status-streaming)") -> None:
    """Type a message, press Enter, and wait for one more finished reply (``selector``)."""
    before = page.locator(selector).count()
    page.fill("#message", text)
    page.press("#message", "Enter")
    page.wait_for_function(
        "([s, n]) => document.querySelectorAll(s).length > n", arg=[selector, before]
    )


def axe_source() -> str:
    """axe-core's script, or a skip (a failure under CI) when npm has not installed it."""
    if not AXE.exists():
        reason = f"axe-core is not installed ({AXE.relative_to(ROOT)}): run `npm ci`"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    return AXE.read_text()


def axe_violations(page) -> list[dict]:
    """Run axe-core (WCAG 2.x A and AA rules, plus best practices) on the page as it is now.

    The script is evaluated rather than added as a <script> tag: the page's CSP admits
    only scripts that carry its nonce.
    """
    if not page.evaluate("() => !!window.axe"):
        page.evaluate(axe_source())
    result = page.evaluate(
        """async () => {
            const results = await window.axe.run(document, {
                runOnly: {type: "tag", values: [
                    "wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]},
                resultTypes: ["violations"],
            });
            return results.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.slice(0, 5).map(n => ({
                    target: n.target.join(" "), summary: n.failureSummary,
                })),
            }));
        }"""
    )
    return list(result)


def blocking_violations(page, where: str) -> list[str]:
    """The critical and serious violations on the page, one readable line each."""
    return [
        f"{where}: {v['impact']} {v['id']} ({v['help']}): "
        + "; ".join(f"{n['target']} → {n['summary']}" for n in v["nodes"])
        for v in axe_violations(page)
        if v["impact"] in BLOCKING_IMPACTS
    ]


def horizontal_overflow(page) -> int:
    """How many CSS pixels the page is wider than the window (0 when nothing sticks out)."""
    return page.evaluate(
        "() => Math.max(0, document.documentElement.scrollWidth - window.innerWidth)"
    )


def box(page, selector: str) -> dict:
    """The element's box in the viewport (top, bottom, left, right, width, height)."""
    locator = page.locator(selector)
    return locator.evaluate(
        """el => { const r = el.getBoundingClientRect();
            return {top: r.top, bottom: r.bottom, left: r.left, right: r.right,
                    width: r.width, height: r.height}; }"""
    )


def css(page, selector: str, prop: str) -> str:
    """A computed style property of the first element matching the selector."""
    return page.locator(selector).first.evaluate(
        "(el, prop) => getComputedStyle(el).getPropertyValue(prop)", prop
    )
