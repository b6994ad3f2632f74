"""Dependencies point one way: handlers -> bot -> storage; the bot's wheel has no sandbox."""

from __future__ import annotations

import ast
import fnmatch
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# The composition root wires the edges in; nothing else in bot/ may know them.
COMPOSITION_ROOTS = {"bot/app.py"}
# `surveybot demo` needs the development-only sandbox: imported there, when it runs.
LAZY_SANDBOX = ("bot/cli.py", "_demo")
FORBIDDEN = {
    "storage": {"bot", "handlers", "sandbox"},
    "bot": {"handlers", "sandbox"},
    "handlers": {"storage", "sandbox"},
    # The demo and the benchmarks run the bot the way `serve` does: through the root.
    "sandbox": {"handlers"},
    "bench": {"handlers"},
}
SHIPPED = {"bot", "handlers", "storage"}
# Every status, kind and source the product names; it imports nothing of ours.
VOCABULARY = "storage.vocabulary"


class _Imports(ast.NodeVisitor):
    """Absolute imports of a module, each with the function it sits in (None: module level)."""

    def __init__(self) -> None:
        self.found: list[tuple[str, str | None]] = []
        self._functions: list[str] = []

    def _inside(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        self._functions.append(node.name)
        self.generic_visit(node)
        self._functions.pop()

    visit_FunctionDef = _inside
    visit_AsyncFunctionDef = _inside

    def _add(self, module: str) -> None:
        # The vocabulary sits below every layer: importing it is no step against the flow.
        if module == VOCABULARY:
            return
        self.found.append((module.split(".")[0], self._functions[0] if self._functions else None))

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self._add(alias.name)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.module and node.level == 0:
            self._add(node.module)


def imports(path: Path) -> list[tuple[str, str | None]]:
    visitor = _Imports()
    visitor.visit(ast.parse(path.read_text(encoding="utf-8")))
    return visitor.found


def allowed(relative: str, package: str, function: str | None) -> bool:
    if package == "handlers" and relative in COMPOSITION_ROOTS:
        return True
    return package == "sandbox" and (relative, function) == LAZY_SANDBOX


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_no_module_imports_against_the_direction(package: str) -> None:
    offenders = []
    for path in sorted((ROOT / package).rglob("*.py")):
        relative = path.relative_to(ROOT).as_posix()
        wrong = {
            name
            for name, function in imports(path)
            if name in FORBIDDEN[package] and not allowed(relative, name, function)
        }
        if wrong:
            offenders.append(f"{relative} imports {', '.join(sorted(wrong))}")
    assert offenders == []


def test_the_composition_root_is_where_the_edges_are_wired_in() -> None:
    for root in COMPOSITION_ROOTS:
        assert ("handlers", None) in imports(ROOT / root), f"{root} no longer wires handlers"
    cli, function = LAZY_SANDBOX
    assert ("sandbox", function) in imports(ROOT / cli), f"{cli} moved its demo import"


def _top_level_packages() -> set[str]:
    return {p.parent.name for p in ROOT.glob("*/__init__.py")}


def test_the_bots_wheel_leaves_the_sandbox_out() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    find = pyproject["tool"]["setuptools"]["packages"]["find"]
    include, exclude = find.get("include", ["*"]), find.get("exclude", [])

    def shipped(name: str) -> bool:
        return any(fnmatch.fnmatch(name, p) for p in include) and not any(
            fnmatch.fnmatch(name, p) for p in exclude
        )

    assert {name for name in _top_level_packages() if shipped(name)} == SHIPPED
    assert not shipped("sandbox.demo")


def test_the_sandbox_is_its_own_development_package() -> None:
    pyproject = tomllib.loads((ROOT / "sandbox" / "pyproject.toml").read_text(encoding="utf-8"))
    assert pyproject["tool"]["setuptools"]["package-dir"] == {"sandbox": "."}
    assert "./sandbox" in (ROOT / "Makefile").read_text(encoding="utf-8")


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


PRODUCT = ("bot", "handlers", "storage")
MODULE_MAX_LINES = 500


def _product_modules() -> dict[str, Path]:
    modules = {}
    for package in PRODUCT:
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            dotted = ".".join(path.relative_to(ROOT).with_suffix("").parts)
            modules[dotted.removesuffix(".__init__")] = path
    return modules


def test_no_module_is_two_ideas_in_one_file() -> None:
    long = {
        name: lines
        for name, path in _product_modules().items()
        if (lines := len(path.read_text(encoding="utf-8").splitlines())) > MODULE_MAX_LINES
    }
    assert long == {}


def test_nothing_imports_in_a_circle() -> None:
    modules = _product_modules()
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        found: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                candidates = [node.module, *(f"{node.module}.{a.name}" for a in node.names)]
                found |= {c for c in candidates if c in modules}
            elif isinstance(node, ast.Import):
                found |= {a.name for a in node.names if a.name in modules}
        graph[name] = found - {name}
    done: set[str] = set()

    def circle_from(name: str, path: list[str]) -> list[str] | None:
        if name in path:
            return [*path[path.index(name) :], name]
        if name in done:
            return None
        for dependency in sorted(graph[name]):
            if found := circle_from(dependency, [*path, name]):
                return found
        done.add(name)
        return None

    circles = [c for name in sorted(graph) if (c := circle_from(name, []))]
    assert circles == []


COLLABORATORS = {"Database", "AsyncWebClient", "CustomerDirectory", "TeamLookup", "TeamDirectory"}


def test_flows_take_the_workspace_context_not_a_list_of_collaborators() -> None:
    """A function that needs two of these takes the `WorkspaceContext` that holds them."""
    offenders = []
    for path in sorted((ROOT / "bot").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            arguments = [*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs]
            named = [
                a.arg
                for a in arguments
                if a.annotation is not None and ast.unparse(a.annotation) in COLLABORATORS
            ]
            if len(named) > 1:
                offenders.append(f"{path.relative_to(ROOT).as_posix()}:{node.name}({named})")
    assert offenders == []


def test_the_vocabulary_imports_nothing_of_ours() -> None:
    path = ROOT / (VOCABULARY.replace(".", "/") + ".py")
    tree = ast.parse(path.read_text(encoding="utf-8"))
    ours = {"bot", "handlers", "storage", "sandbox"}
    imported = {
        (node.module or "").split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom)
    } | {
        alias.name.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    }
    assert imported & ours == set()


# bot/ by capability. Slack's side is the base; a capability leans only on those before it
# (Home shows everything, so it may read every other one).
CAPABILITIES = ("bot.slack", "bot.delivery", "bot.answering", "bot.digest", "bot.home")
MAY_USE = {
    "bot.slack": set(),
    "bot.delivery": {"bot.slack"},
    "bot.answering": {"bot.slack", "bot.delivery"},
    "bot.digest": {"bot.slack"},
    "bot.home": {"bot.slack", "bot.delivery", "bot.answering", "bot.digest"},
}
# Renderers are leaves: plain values in, Block Kit out; no I/O, no flows.
RENDERER_MAY_NOT = ("storage.db", "bot.context", "slack_sdk", "aiohttp", "sqlalchemy", "sqlmodel")


def _absolute_imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
    return found


def test_each_capability_leans_only_on_the_ones_below_it() -> None:
    offenders = []
    for capability in CAPABILITIES:
        folder = ROOT / capability.replace(".", "/")
        for path in sorted(folder.rglob("*.py")):
            for module in _absolute_imports(path):
                other = next((c for c in CAPABILITIES if module.startswith(c)), None)
                if other and other != capability and other not in MAY_USE[capability]:
                    offenders.append(f"{path.relative_to(ROOT).as_posix()} imports {module}")
    assert offenders == []


def test_renderers_are_leaves() -> None:
    renderers = [p for p in (ROOT / "bot").rglob("*.py") if p.stem.endswith("blocks")]
    renderers.append(ROOT / "bot" / "block_kit.py")
    assert len(renderers) > 5
    offenders = [
        f"{path.relative_to(ROOT).as_posix()} imports {module}"
        for path in sorted(renderers)
        for module in _absolute_imports(path)
        if module.startswith(RENDERER_MAY_NOT)
    ]
    assert offenders == []
