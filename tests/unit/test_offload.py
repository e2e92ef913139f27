"""Picture work runs off the gevent loop: other greenlets (streamed replies) keep going."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from tests.support import ROOT

SCRIPT = textwrap.dedent(
    """
    from gevent import monkey
    monkey.patch_all()
    import gevent
    from PIL import Image
    from offload import run_off_loop

    ticks = []

    def ticker():
        while True:
            ticks.append(1)
            gevent.sleep(0)

    def work(size):
        image = Image.new("RGB", size, (90, 60, 30))
        for _ in range(4):
            image = image.resize((size[0] - 1, size[1] - 1)).resize(size)
        return image.size

    def failing():
        raise ValueError("refused")

    gevent.spawn(ticker)
    gevent.sleep(0)
    before = len(ticks)
    result = run_off_loop(work, (3000, 2000))
    during = len(ticks) - before
    try:
        run_off_loop(failing)
    except ValueError as exc:
        raised = str(exc)
    print(result, during > 0, raised)
    """
)


def test_under_gevent_the_loop_keeps_running_while_a_picture_is_processed():
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["(3000,", "2000)", "True", "refused"]
    # A refusal is an answer: no traceback is printed for it (the server log stays clean).
    assert "Traceback" not in done.stderr, done.stderr


def test_without_gevent_it_runs_in_place():
    from offload import run_off_loop

    assert run_off_loop(lambda a, b=0: a + b, 2, b=3) == 5
