"""Every setting the code reads is documented in README.md and .env.example."""

from __future__ import annotations

import re

from tests.support import ROOT, settings_read_by_the_code


def test_the_scan_finds_settings():
    assert {"DATABASE_URL", "REDIS_URL", "SESSION_SECRET", "BIND", "WORKERS"} <= (
        settings_read_by_the_code()
    )


def test_every_setting_is_in_the_readme_table_and_env_example():
    readme = (ROOT / "README.md").read_text()
    example = (ROOT / ".env.example").read_text()
    names = settings_read_by_the_code()
    assert sorted(n for n in names if f"| `{n}` |" not in readme) == []
    assert sorted(n for n in names if not re.search(rf"^{n}=", example, re.M)) == []


def test_readme_quick_start_is_make_run_and_make_test():
    readme = (ROOT / "README.md").read_text()
    quick = readme.split("## Quick start", 1)[1].split("##", 1)[0]
    assert re.findall(r"^make (\w+)", quick, re.M) == ["run", "test"]
    assert "make test" in (ROOT / ".ci" / "run").read_text()
