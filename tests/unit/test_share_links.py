"""The helpers of share links and pairing: a browser's name for the owner's list, the QR code."""

from __future__ import annotations

import base64
from urllib.parse import unquote

import pytest

from share_links import browser_label, qr_data_uri


@pytest.mark.parametrize(
    ("agent", "label"),
    [
        (
            "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/126.0.0.0 Mobile Safari/537.36",
            "Chrome on Android",
        ),
        (
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 "
            "(KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1",
            "Safari on iPhone",
        ),
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/126.0 Safari/537.36 Edg/126.0",
            "Edge on Windows",
        ),
        (
            "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
            "Firefox on Linux",
        ),
        (
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) "
            "Version/17.5 Safari/605.1.15",
            "Safari on macOS",
        ),
        ("curl/8.5.0", "A browser"),
        ("", "A browser"),
        (None, "A browser"),
    ],
)
def test_a_browser_is_named_by_its_user_agent(agent, label):
    assert browser_label(agent) == label


def test_the_qr_code_is_an_svg_data_uri_black_on_white():
    uri = qr_data_uri("https://chat.example/pair/abc")
    assert uri.startswith("data:image/svg+xml")
    svg = unquote(uri.split(",", 1)[1]) if ";base64" not in uri else base64.b64decode(uri)
    assert "<svg" in svg and "<script" not in svg and "style=" not in svg
    assert "#000" in svg or "black" in svg
