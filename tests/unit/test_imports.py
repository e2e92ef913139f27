"""Imports point one way: views -> chat -> (models, session_store, catalog, openrouter, automotive).

Read from the source with ``ast``, so the rule holds for every module, including
ones no test imports.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SKIP = {".venv", "tests", "bench", "migrations", "deploy", "instance", "node_modules"}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _sources() -> dict[str, Path]:
    found = {}
    for path in ROOT.rglob("*.py"):
        relative = path.relative_to(ROOT)
        if relative.parts[0] in SKIP or relative.parts[0].startswith("."):
            continue
        found[_module_name(path)] = path
    return found


SOURCES = _sources()


def imports_of(module: str) -> set[str]:
    """Every module name a source file imports (absolute, as written)."""
    tree = ast.parse(SOURCES[module].read_text())
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def _top(name: str) -> str:
    return name.split(".", 1)[0]


def _modules_under(*prefixes: str) -> list[str]:
    return sorted(m for m in SOURCES if any(m == p or m.startswith(p + ".") for p in prefixes))


def test_the_scan_sees_the_house():
    assert {"app", "models", "openrouter", "chat.intake", "chat.stream", "views.chat"} <= set(
        SOURCES
    )
    assert "flask" in {_top(name) for name in imports_of("views.chat")}


@pytest.mark.parametrize("module", _modules_under("automotive", "provider", "openrouter", "states"))
def test_the_domain_and_the_provider_client_know_nothing_of_flask(module):
    tops = {_top(name) for name in imports_of(module)}
    assert not {t for t in tops if t == "flask" or t.startswith("flask_")}
    # Nor anything of the app above them.
    app_modules = {_top(m) for m in SOURCES}
    allowed = {"automotive"} if module.startswith("automotive") else {"provider", "states"}
    assert (tops & app_modules) - allowed - {_top(module)} == set()


@pytest.mark.parametrize("module", sorted(m for m in SOURCES if _top(m) != "views"))
def test_only_app_imports_the_views(module):
    imported = {_top(name) for name in imports_of(module)}
    if module == "app":
        assert "views" in imported
    else:
        assert "views" not in imported


def test_the_chat_turn_has_no_cycles():
    """A later step never calls back into the one that called it."""
    chat = _modules_under("chat")
    graph = {m: {i for i in imports_of(m) if i in chat and i != m} for m in chat}
    state: dict[str, str] = {}

    def visit(node: str, path: list[str]) -> None:
        state[node] = "open"
        for nxt in graph[node]:
            assert state.get(nxt) != "open", "import cycle: " + " -> ".join([*path, nxt])
            if nxt not in state:
                visit(nxt, [*path, nxt])
        state[node] = "done"

    for module in chat:
        if module not in state:
            visit(module, [module])
