"""Dependencies point one way: handlers -> bot -> storage."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# The composition root wires the edges in; nothing else in bot/ may know them.
COMPOSITION_ROOTS = {"bot/cli.py"}
FORBIDDEN = {
    "storage": {"bot", "handlers", "sandbox"},
    "bot": {"handlers", "sandbox"},
    "handlers": {"storage", "sandbox"},
}


def imported_packages(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_no_module_imports_against_the_direction(package: str) -> None:
    offenders = []
    for path in sorted((ROOT / package).rglob("*.py")):
        relative = path.relative_to(ROOT).as_posix()
        if relative in COMPOSITION_ROOTS:
            continue
        wrong = imported_packages(path) & FORBIDDEN[package]
        if wrong:
            offenders.append(f"{relative} imports {', '.join(sorted(wrong))}")
    assert offenders == []


def test_listeners_leave_failures_to_bolts_error_handler() -> None:
    """A listener that raises is logged once, by handlers.middleware; none catches all to log."""
    broad = {None, "Exception", "BaseException"}
    catching = []
    for path in sorted((ROOT / "handlers").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            caught = getattr(node, "type", None)
            name = caught.id if isinstance(caught, ast.Name) else caught
            if isinstance(node, ast.ExceptHandler) and name in broad:
                catching.append(f"{path.relative_to(ROOT).as_posix()}:{node.lineno}")
    assert catching == []
