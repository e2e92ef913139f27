"""What share links and pairing links need that is not Flask: a browser's name, a QR code.

No Flask import: the views call these with plain strings.
"""

from __future__ import annotations

import re

import segno

# Checked in order: Edge, Opera and Samsung Internet also say "Chrome", Chrome says
# "Safari", so the more specific names come first. A label is a hint for the owner's list
# ("which one was that?"), not an identification: a full parser's data would be overkill.
_BROWSERS = (
    ("Edge", re.compile(r"\bEdg(?:e|A|iOS)?/")),
    ("Opera", re.compile(r"\b(?:OPR|Opera)/")),
    ("Samsung Internet", re.compile(r"\bSamsungBrowser/")),
    ("Firefox", re.compile(r"\b(?:Firefox|FxiOS)/")),
    ("Chromium", re.compile(r"\bChromium/")),
    ("Chrome", re.compile(r"\b(?:HeadlessChrome|Chrome|CriOS)/")),
    ("Safari", re.compile(r"\bVersion/[\d.]+.*\bSafari/")),
)
_SYSTEMS = (
    ("Android", re.compile(r"\bAndroid\b")),
    ("iPhone", re.compile(r"\biPhone\b")),
    ("iPad", re.compile(r"\biPad\b")),
    ("ChromeOS", re.compile(r"\bCrOS\b")),
    ("Windows", re.compile(r"\bWindows\b")),
    ("macOS", re.compile(r"\bMacintosh\b")),
    ("Linux", re.compile(r"\bLinux\b")),
)


def browser_label(user_agent: str | None) -> str:
    """Name a browser from its User-Agent: "Chrome on Android", "Safari on iPhone"...

    Unknown parts read "A browser" / no system; the result is at most 80 characters.
    """
    agent = (user_agent or "")[:500]
    browser = next((name for name, pattern in _BROWSERS if pattern.search(agent)), None)
    system = next((name for name, pattern in _SYSTEMS if pattern.search(agent)), None)
    if browser and system:
        return f"{browser} on {system}"
    if browser:
        return browser
    return f"A browser on {system}" if system else "A browser"


def qr_data_uri(text: str) -> str:
    """Return a QR code of ``text`` as an SVG ``data:`` URI, black on white.

    For an ``<img src>``: the page's CSP admits ``data:`` images, and an image keeps the
    code's own colours in the dark theme (a scanner needs dark modules on a light ground).
    Error correction M survives a smudged or glaring phone screen.
    """
    code = segno.make(text, error="m", micro=False)
    return code.svg_data_uri(scale=6, border=4, dark="#000", light="#fff")
