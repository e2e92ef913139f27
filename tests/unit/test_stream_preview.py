"""A reply still streaming: its Markdown rendered like a stored one, at a bounded rate."""

from __future__ import annotations

import rendering
from rendering import StreamPreview, render_markdown


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_the_first_piece_is_rendered_at_once_as_a_stored_message_would_be():
    preview = StreamPreview(clock=Clock())
    html = preview.add("**P0420** means")
    assert html == render_markdown("**P0420** means")
    assert "<strong>P0420</strong>" in html
    assert preview.add(" the converter") is None  # the next one waits for its turn


def test_pieces_between_renders_wait_and_the_next_render_holds_them_all():
    clock = Clock()
    preview = StreamPreview(min_interval=0.25, clock=clock)
    assert preview.add("| a | b |\n") is not None
    clock.now += 0.1
    assert preview.add("|---|---|\n") is None
    clock.now += 0.2
    html = preview.add("| 1 | 2 |\n")
    assert html is not None and "<table" in html and "<td>1</td>" in html


def test_slow_renders_are_spaced_out_in_proportion_to_their_cost(monkeypatch):
    # A long reply that takes 0.1 s to render is rendered at most once a second (10x).
    clock = Clock()

    def slow_render(text):
        clock.now += 0.1
        return render_markdown(text)

    monkeypatch.setattr(rendering, "render_markdown", slow_render)
    preview = StreamPreview(min_interval=0.25, cost_factor=10.0, clock=clock)
    assert preview.add("word ") is not None
    rendered = 0
    for _ in range(100):
        clock.now += 0.05
        if preview.add("word ") is not None:
            rendered += 1
    # 100 pieces over about 5 s plus the render time: one render per ~1.1 s.
    assert 4 <= rendered <= 6


def test_raw_html_and_scripts_in_a_streaming_reply_are_sanitized():
    preview = StreamPreview(clock=Clock())
    html = preview.add("<script>alert(1)</script> [x](javascript:alert(1)) <img src=x onerror=1>")
    html = str(html)
    assert "&lt;script&gt;" in html and "<script" not in html
    assert "<img" not in html and 'href="javascript' not in html
