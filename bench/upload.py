"""What does one 10 MB phone photo cost the server?

Makes a realistic phone photo (4032 × 3024, camera-like noise, EXIF with GPS, an ICC
profile: ~10 MB as JPEG), then measures, each in a fresh subprocess so the peak memory
is that step's alone:

- decode (the baseline): ``Image.open`` + ``load`` of the same file at full size, the
  least any server that looks at the pixels must do
- process_image: the whole of ``images.process_image`` (checks, reduced-scale decode,
  Lanczos to 1568 px, sRGB, upright, JPEG re-encode, thumbnail)
- process_image without draft: the same with libjpeg's reduced-scale decode turned off,
  to show what ``draft()`` saves
- upload through the app (optional, ``--skip-app`` to leave out): ``POST /chat`` with the
  photo in ``images`` through the Flask test client, against the fake OpenRouter and
  SQLite, next to the same message without a photo

and prints the time (median of the repeats) and the peak RSS growth of each, with their
ratios to the baseline's. Pillow keeps pixels outside Python's allocator, so the memory
is the growth of the process's peak resident size (``VmHWM``, reset after start-up),
not tracemalloc's.

    .venv/bin/python bench/upload.py
    .venv/bin/python bench/upload.py --repeats 20 --skip-app
"""

from __future__ import annotations

import argparse
import io
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

LIMITS = {"max_bytes": 10 * 1024 * 1024, "max_edge": 1568, "max_pixels": 50_000_000}
VISION = "openai/gpt-4o-mini"


def _status_mb(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024  # kB
    raise KeyError(field)


def reset_peak() -> float:
    """Reset the peak resident size to the current one (Linux: clear_refs 5) and return
    the current one. ``ru_maxrss`` would not do: a child inherits its parent's peak."""
    Path("/proc/self/clear_refs").write_text("5")
    return _status_mb("VmRSS")


def peak_mb() -> float:
    return _status_mb("VmHWM")


# ----------------------------------------------------------------- child steps


def step_decode(raw: bytes):
    from PIL import Image

    def run():
        img = Image.open(io.BytesIO(raw))
        img.load()
        img.close()

    return run


def step_process(raw: bytes, *, draft: bool = True):
    from PIL import JpegImagePlugin

    import images

    if not draft:
        JpegImagePlugin.JpegImageFile.draft = lambda self, mode, size: None  # type: ignore[method-assign]

    def run():
        images.process_image(raw, "IMG_4032.jpg", **LIMITS)

    return run


def step_app(raw: bytes, *, with_photo: bool):
    """A keyed visitor on a vision model posts the photo (or only the text) to /chat."""
    from flask_migrate import upgrade

    from app import create_app
    from tests.support import CANARY_KEY, Visitor, base_env, csrf_token
    from tests.support.fake_openrouter import FakeOpenRouter

    fake = FakeOpenRouter()
    folder = tempfile.mkdtemp(prefix="bench-upload-")
    env = base_env(fake, f"sqlite:///{folder}/bench.db")
    env.pop("REDIS_URL", None)
    env["LOG_LEVEL"] = "WARNING"
    app = create_app({"TESTING": True}, env=env, instance_path=os.path.join(folder, "instance"))
    with app.app_context():
        upgrade()
    visitor = Visitor(app.test_client())
    saved = visitor.save_key(CANARY_KEY, model=VISION)
    if saved.status_code != 303:
        raise RuntimeError(f"saving the key answered {saved.status_code}")

    token = csrf_token(visitor.client)

    def run():
        data = {"message": "What is this light on my dash?", "csrf_token": token}
        if with_photo:
            data["images"] = [(io.BytesIO(raw), "IMG_4032.jpg")]
        response = visitor.client.post(
            "/chat",
            data=data,
            content_type="multipart/form-data",
            headers={"Accept": "application/json"},
        )
        if response.status_code != 200:
            raise RuntimeError(f"POST /chat answered {response.status_code}: {response.text[:200]}")

    return run


STEPS = {
    "decode": lambda raw: step_decode(raw),
    "process": lambda raw: step_process(raw),
    "process-no-draft": lambda raw: step_process(raw, draft=False),
    "app-text": lambda raw: step_app(raw, with_photo=False),
    "app-photo": lambda raw: step_app(raw, with_photo=True),
}


def child(step: str, path: str, repeats: int) -> None:
    raw = Path(path).read_bytes()
    run = STEPS[step](raw)
    if step.startswith("app"):
        run()  # the first request builds caches (catalog, templates): not the upload's cost
    base = reset_peak()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    print(json.dumps({"ms": statistics.median(times) * 1000, "rss_mb": peak_mb() - base}))


# ----------------------------------------------------------------- parent


def measure(step: str, path: str, repeats: int) -> dict | str:
    done = subprocess.run(
        [sys.executable, __file__, "--child", step, path, "--repeats", str(repeats)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=600,
        check=False,
    )
    if done.returncode != 0:
        lines = (done.stderr or done.stdout).strip().splitlines()
        return lines[-1] if lines else f"exit {done.returncode}"
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--skip-app", action="store_true")
    parser.add_argument("--child", nargs=2, metavar=("STEP", "PATH"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], args.child[1], args.repeats)
        return

    from PIL import Image

    import images
    from tests.support import images as make

    with tempfile.TemporaryDirectory(prefix="bench-upload-") as folder:
        path = os.path.join(folder, "IMG_4032.jpg")
        raw = make.big_phone_jpeg(10_000_000)
        Path(path).write_bytes(raw)
        source = Image.open(io.BytesIO(raw))
        result = images.process_image(raw, "IMG_4032.jpg", **LIMITS)
        print(
            f"photo: {source.size[0]} × {source.size[1]} JPEG, {len(raw) / 1e6:.1f} MB, "
            f"EXIF {len(source.info.get('exif', b''))} bytes with GPS -> stored "
            f"{result.width} × {result.height}, {len(result.data) / 1e3:.0f} kB, thumbnail "
            f"{len(result.thumbnail) / 1e3:.1f} kB, "
            f"{images.image_tokens(result.width, result.height)} prompt tokens"
        )
        print(f"{args.repeats} repeats each, one subprocess per row; ratios against decode\n")

        rows = [
            ("decode (baseline): Image.open + load", "decode"),
            ("process_image", "process"),
            ("process_image without draft()", "process-no-draft"),
        ]
        if not args.skip_app:
            rows += [
                ("POST /chat, text only", "app-text"),
                ("POST /chat, text + photo", "app-photo"),
            ]
        measured = {step: measure(step, path, args.repeats) for _, step in rows}

    base = measured["decode"]
    ratio = "× decode"
    print(f"| {'step':<40} | {'time':>9} | {ratio:>8} | {'peak RSS +':>10} | {ratio:>8} |")
    print(f"|{'-' * 42}|{'-' * 11}|{'-' * 10}|{'-' * 12}|{'-' * 10}|")
    for label, step in rows:
        got = measured[step]
        if isinstance(got, str) or isinstance(base, str):
            print(f"| {label:<40} | skipped: {got if isinstance(got, str) else base}")
            continue
        print(
            f"| {label:<40} | {got['ms']:>6.0f} ms | {got['ms'] / base['ms']:>8.2f} "
            f"| {got['rss_mb']:>7.1f} MB | {got['rss_mb'] / base['rss_mb']:>8.2f} |"
        )
    text, photo = measured.get("app-text"), measured.get("app-photo")
    if isinstance(text, dict) and isinstance(photo, dict):
        print(
            f"\nthe photo adds {photo['ms'] - text['ms']:.0f} ms and "
            f"{photo['rss_mb'] - text['rss_mb']:.1f} MB of peak RSS to a message"
        )


if __name__ == "__main__":
    main()
