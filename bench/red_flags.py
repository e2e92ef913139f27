"""How well does red-flag triage tell "stop safely now" from everything else?

Runs automotive.triage over the labelled set in tests/support/red_flag_messages.py and
prints, for the tuned sections, the held-out section and the whole set: recall (red
flags raised, with the expected category) and the false-alarm rate (other messages
flagged), then the figures by language and every miss and false alarm. It measures
quality, not speed; the time per message is printed only for scale.

    .venv/bin/python bench/red_flags.py
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _flags(text: str) -> list[str]:
    from automotive.triage import find_red_flags

    return [flag.id for flag in find_red_flags(text)]


def _line(name: str, result) -> str:
    return (
        f"{name:<22} recall {result.recall:6.1%} ({result.positives - len(result.misses)}"
        f"/{result.positives})   false alarms {result.false_alarm_rate:6.1%} "
        f"({len(result.false_alarms)}/{result.negatives})"
    )


def main() -> None:
    from tests.support.red_flag_messages import HELD_OUT, MESSAGES, NEGATIVES, POSITIVES, score

    started = time.perf_counter()
    overall = score(MESSAGES, _flags)
    per_message_ms = (time.perf_counter() - started) * 1000 / len(MESSAGES)

    print(f"Red-flag triage on {len(MESSAGES)} labelled messages")
    print(_line("tuned on", score(POSITIVES + NEGATIVES, _flags)))
    print(_line("held out", score(HELD_OUT, _flags)))
    print(_line("all", overall))
    print()
    for language in sorted({message.language for message in MESSAGES}):
        group = tuple(message for message in MESSAGES if message.language == language)
        print(_line(f"  language {language}", score(group, _flags)))
    print()
    for message in overall.misses:
        print(f"MISSED      [{message.category}] {message.text!r} -> {_flags(message.text)}")
    for message in overall.false_alarms:
        print(f"FALSE ALARM {message.text!r} -> {_flags(message.text)}")
    print(f"\n({per_message_ms:.2f} ms a message, for scale only)")


if __name__ == "__main__":
    main()
