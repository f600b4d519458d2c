"""The package layering of docs/architecture.md, enforced on the source with ``ast``.

Every import counts, at module level or inside a function (a function-level import is still an
arrow); imports under ``if TYPE_CHECKING:`` do not (they never run). The rules:

- the engine ``lift_memory`` imports no integration, CLI, harness or front-end library;
- the integration ``llama_index.memory.lift`` builds on the engine only;
- the service layer ``lift_memory_cli.core`` imports no typer / fastapi / rich / uvicorn and no
  command module;
- the server imports the service layer, never a command module;
- nothing but the harness imports the harness ``lift_memory_bench``;
- no import cycles between modules.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = {
    "lift_memory": ROOT / "lift_memory",
    "llama_index.memory.lift": ROOT / "integrations" / "llama_index" / "memory" / "lift",
    "lift_memory_cli": ROOT / "cli" / "lift_memory_cli",
    "lift_memory_bench": ROOT / "cli" / "lift_memory_bench",
}
FRONT_ENDS = ("typer", "fastapi", "starlette", "rich", "uvicorn", "click")


def _module_files() -> dict[str, Path]:
    modules = {}
    for package, folder in PACKAGES.items():
        for path in folder.rglob("*.py"):
            parts = list(path.relative_to(folder).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            modules[".".join([package, *parts])] = path
    return modules


MODULES = _module_files()


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(module: str, path: Path) -> set[str]:
    """Absolute names of everything ``module`` imports at run time."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    is_package = path.name == "__init__.py"
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".")
                base = base if is_package else base[:-1]
                base = base[: len(base) - (node.level - 1)]
                prefix = ".".join(base + ([node.module] if node.module else []))
            else:
                prefix = node.module or ""
            for alias in node.names:
                candidate = f"{prefix}.{alias.name}"
                found.add(candidate if candidate in MODULES else prefix)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return found


GRAPH = {module: _imports(module, path) for module, path in MODULES.items()}


def _within(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


def _violations(source_package: str, forbidden: tuple[str, ...], allow: tuple[str, ...] = ()):
    bad = []
    for module, imported in GRAPH.items():
        if not _within(module, source_package):
            continue
        for name in imported:
            if any(_within(name, f) for f in forbidden) and not any(
                _within(name, a) for a in allow
            ):
                bad.append(f"{module} imports {name}")
    return sorted(bad)


def test_the_packages_exist() -> None:
    assert {"lift_memory", "llama_index.memory.lift", "lift_memory_cli"} <= set(MODULES)
    assert len(MODULES) > 50


def test_engine_imports_nothing_above_it() -> None:
    forbidden = ("llama_index", "chromadb", "lift_memory_cli", "lift_memory_bench", *FRONT_ENDS)
    assert _violations("lift_memory", forbidden) == []


def test_integration_builds_on_the_engine_only() -> None:
    forbidden = ("lift_memory_cli", "lift_memory_bench", *FRONT_ENDS)
    assert _violations("llama_index.memory.lift", forbidden) == []


def test_service_layer_has_no_front_end() -> None:
    forbidden = ("lift_memory_cli", "lift_memory_bench", *FRONT_ENDS)
    assert _violations("lift_memory_cli.core", forbidden, allow=("lift_memory_cli.core",)) == []


def test_server_uses_the_service_layer_not_the_commands() -> None:
    allow = ("lift_memory_cli.core", "lift_memory_cli.server")
    forbidden = ("lift_memory_cli", "lift_memory_bench", "typer")
    assert _violations("lift_memory_cli.server", forbidden, allow=allow) == []


def test_nothing_below_imports_the_harness() -> None:
    for package in ("lift_memory", "llama_index.memory.lift", "lift_memory_cli"):
        assert _violations(package, ("lift_memory_bench",)) == []


def _cycles() -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    edges = {m: sorted(n for n in GRAPH[m] if n in GRAPH and n != m) for m in GRAPH}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []
    counter = [0]

    def connect(node: str) -> None:
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for successor in edges[node]:
            if successor not in index:
                connect(successor)
                low[node] = min(low[node], low[successor])
            elif successor in on_stack:
                low[node] = min(low[node], index[successor])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                components.append(sorted(component))

    for node in edges:
        if node not in index:
            connect(node)
    return components


def test_no_import_cycles() -> None:
    assert _cycles() == []


@pytest.mark.parametrize(
    "command", ["lift_memory_cli.ls", "lift_memory_cli.info", "lift_memory_cli.rm"]
)
def test_light_commands_do_not_import_the_model_stack_at_module_level(command: str) -> None:
    """ls / info / rm must start without torch: none of their module-level imports reach it."""
    heavy = ("torch", "transformers", "peft", "chromadb", "llama_index")
    seen: set[str] = set()
    todo = [command]
    while todo:
        module = todo.pop()
        if module in seen or module not in MODULES:
            continue
        seen.add(module)
        tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
        for node in tree.body:  # module level only: function bodies run on demand
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            for name in names:
                assert not any(_within(name, h) for h in heavy), f"{module} imports {name}"
                parts = name.split(".")  # importing a.b.c runs a/__init__ and a/b/__init__ too
                todo += [".".join(parts[:i]) for i in range(1, len(parts) + 1)]
