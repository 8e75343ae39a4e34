"""The hand-written modules import each other without cycles, and the I/O-free core stays I/O-free.

Module-level imports only (those run at import time): imports inside functions and under
``if TYPE_CHECKING:`` are how a module defers a dependency on purpose. Generated packages
(``amocrm.v2``, ``amocrm.v4``, ``amocrm._default``) are leaves here: they are checked by
``tests/codegen`` and import only the runtime.
"""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src"
GENERATED = ("amocrm.v2", "amocrm.v4", "amocrm._default")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _hand_written() -> dict[str, Path]:
    out: dict[str, Path] = {}
    for path in sorted((SRC / "amocrm").rglob("*.py")):
        rel = path.relative_to(SRC / "amocrm").parts
        if rel[0] in ("v2", "v4", "_default"):
            continue
        out[_module_name(path)] = path
    return out


def _resolve(module: str, is_package: bool, node: ast.ImportFrom) -> str:
    if node.level == 0:
        return node.module or ""
    base = module.split(".") if is_package else module.split(".")[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _top_level_imports(module: str, path: Path, known: set[str]) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    is_package = path.name == "__init__.py"
    found: set[str] = set()

    def add(name: str) -> None:
        while name and name not in known:
            name = name.rpartition(".")[0]
        if name and name != module:
            found.add(name)

    def visit(body: list[ast.stmt]) -> None:
        for node in body:
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
                continue
            if isinstance(node, ast.Import):
                for alias in node.names:
                    add(alias.name)
            elif isinstance(node, ast.ImportFrom):
                target = _resolve(module, is_package, node)
                for alias in node.names:
                    add(f"{target}.{alias.name}" if f"{target}.{alias.name}" in known else target)
            elif isinstance(node, (ast.If, ast.Try)):
                visit(node.body)
                for handler in getattr(node, "handlers", []):
                    visit(handler.body)
                visit(node.orelse)

    visit(tree.body)
    return found


def _graph() -> dict[str, set[str]]:
    modules = _hand_written()
    known = set(modules) | set(GENERATED)
    return {
        name: {d for d in _top_level_imports(name, path, known) if not d.startswith(GENERATED)}
        for name, path in modules.items()
    }


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    found: list[list[str]] = []
    state: dict[str, int] = {}
    stack: list[str] = []

    def walk(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for dep in sorted(graph.get(node, ())):
            if dep not in graph:
                continue
            if state.get(dep) == 1:
                found.append(stack[stack.index(dep) :] + [dep])
            elif dep not in state:
                walk(dep)
        stack.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            walk(node)
    return found


def test_no_import_cycle_among_hand_written_modules() -> None:
    graph = _graph()
    assert len(graph) > 50
    # a package's __init__ re-exporting its submodules is not a cycle of the code itself
    pruned = {m: {d for d in deps if not m.startswith(d + ".")} for m, deps in graph.items()}
    assert _cycles(pruned) == []


def test_the_core_does_no_io() -> None:
    graph = _graph()
    io = {
        "socket",
        "urllib3",
        "time",
        "subprocess",
        "select",
        "http",
        "ssl",
        "os",
        "asyncio",
    }  # a lock is not I/O
    for name, path in _hand_written().items():
        if not name.startswith("amocrm._core"):
            continue
        imported = {
            n.names[0].name.split(".")[0]
            for n in ast.walk(ast.parse(path.read_text()))
            if isinstance(n, ast.Import)
        }
        imported |= {
            (n.module or "").split(".")[0]
            for n in ast.walk(ast.parse(path.read_text()))
            if isinstance(n, ast.ImportFrom) and n.level == 0
        }
        assert not imported & io, (name, imported & io)
        assert not any(d.startswith("amocrm._sync") for d in graph[name]), name
