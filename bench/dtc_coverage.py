"""How much of the generic trouble-code space has a title, and how much is curated?

Prints, for each generic range of SAE J2012 / ISO 15031-6 (P0, P2, the P3 generic block
P3400-P3FFF, U0, B0, C0), how many codes carry a standard title (automotive.dtc_titles) out
of the range's size (every hexadecimal number in it, most of them unassigned by the
standard), and how many have a curated entry (automotive.dtc_table); then the curated
entries by severity.

    .venv/bin/python bench/dtc_coverage.py
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from automotive.dtc import DTC_TABLE, Severity  # noqa: E402
from automotive.dtc_titles import TITLE_SOURCE, TITLES  # noqa: E402

# (label, first code, last code), inclusive, in hexadecimal as the standard counts.
RANGES = (
    ("P0", "P0000", "P0FFF"),
    ("P2", "P2000", "P2FFF"),
    ("P3 generic", "P3400", "P3FFF"),
    ("U0", "U0000", "U0FFF"),
    ("B0", "B0000", "B0FFF"),
    ("C0", "C0000", "C0FFF"),
)


def _in_range(code: str, first: str, last: str) -> bool:
    return code[0] == first[0] and int(first[1:], 16) <= int(code[1:], 16) <= int(last[1:], 16)


def coverage() -> list[tuple[str, int, int, int]]:
    """Return (label, titled, range size, curated) for each generic range."""
    rows = []
    for label, first, last in RANGES:
        size = int(last[1:], 16) - int(first[1:], 16) + 1
        titled = sum(_in_range(code, first, last) for code in TITLES)
        curated = sum(_in_range(code, first, last) for code in DTC_TABLE)
        rows.append((label, titled, size, curated))
    return rows


def main() -> None:
    print(f"Titles: {TITLE_SOURCE} (automotive/dtc_titles.py)")
    print(f"{'range':<12}{'titled':>8}{'of':>8}{'share':>8}{'curated':>9}")
    total_titled = total_curated = 0
    for label, titled, size, curated in coverage():
        total_titled += titled
        total_curated += curated
        print(f"{label:<12}{titled:>8}{size:>8}{titled / size:>8.1%}{curated:>9}")
    print(f"{'all':<12}{total_titled:>8}{'':>8}{'':>8}{total_curated:>9}")
    print()
    counts = Counter(entry.severity for entry in DTC_TABLE.values())
    print(f"Curated entries: {len(DTC_TABLE)} (automotive/dtc_table.py)")
    for severity in Severity:
        print(f"  {severity.value:<8}{counts[severity]:>5}  {severity.label}")


if __name__ == "__main__":
    main()
