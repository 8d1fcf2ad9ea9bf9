"""The shape of the code, checked: dependencies point one way, only the runner and the stores
write, calculators take their facts handed in, modules stay small."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parent.parent / "src"
PACKAGE = SRC / "leadcore"


def module_name(path: Path) -> str:
    parts = path.relative_to(SRC).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in PACKAGE.rglob("*.py")}


def imports_of(name: str) -> set[str]:
    """The leadcore modules ``name`` imports (``TYPE_CHECKING`` imports included; importing a
    name from a package counts as importing that name's module when it is one)."""
    path = MODULES[name]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("leadcore"))
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                target = f"{base}.{node.module}" if node.module else base
            else:
                target = node.module or ""
            if not target.startswith("leadcore"):
                continue
            for alias in node.names:
                candidate = f"{target}.{alias.name}"
                found.add(candidate if candidate in MODULES else target)
    return {m for m in found if m in MODULES and m != name}


GRAPH = {name: imports_of(name) for name in MODULES}


def test_there_are_no_import_circles() -> None:
    done: set[str] = set()

    def visit(name: str, trail: list[str]) -> None:
        if name in trail:
            cycle = [*trail[trail.index(name) :], name]
            pytest.fail("import circle: " + " → ".join(cycle))
        if name in done:
            return
        for dependency in sorted(GRAPH[name]):
            if (
                dependency != "leadcore"
            ):  # the package map re-exports everything; nothing imports it back
                visit(dependency, [*trail, name])
        done.add(name)

    for name in sorted(GRAPH):
        visit(name, [])


def depends_on(name: str, prefix: str) -> set[str]:
    """Every module ``name`` reaches through imports that lies under ``prefix``."""
    seen: set[str] = set()
    todo = [name]
    while todo:
        current = todo.pop()
        for dependency in GRAPH[current]:
            if dependency not in seen and dependency != "leadcore":
                seen.add(dependency)
                todo.append(dependency)
    return {m for m in seen if m == prefix or m.startswith(prefix + ".")}


@pytest.mark.parametrize(
    "calculator",
    [
        "leadcore.assignment",
        "leadcore.scoring",
        "leadcore.policy",
        "leadcore.sla",
        "leadcore.cadence",
        "leadcore.dedup",
        "leadcore.conversion",
        "leadcore.export",
    ],
)
def test_calculators_take_their_facts_handed_in(calculator: str) -> None:
    for name in MODULES:
        if name == calculator or name.startswith(calculator + "."):
            assert not depends_on(name, "leadcore.storage"), f"{name} reaches the store"
            assert not depends_on(name, "leadcore.desk"), f"{name} reaches the desk"


def test_no_library_module_imports_the_testing_package() -> None:
    for name in MODULES:
        if not name.startswith("leadcore.testing"):
            assert not {m for m in GRAPH[name] if m.startswith("leadcore.testing")}, name


WRITES = {
    "save_lead",
    "add_lead",
    "delete_lead",
    "append_events",
    "commit",
    "save_pool",
    "add_pool",
    "move_follow_up",
}
WRITERS = {"leadcore.desk.runner"}


def test_only_the_runner_and_the_stores_write() -> None:
    for name, path in MODULES.items():
        if name in WRITERS or name.startswith(("leadcore.storage", "leadcore.testing")):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                assert node.func.attr not in WRITES, f"{name}:{node.lineno} calls {node.func.attr}"


def test_modules_stay_small() -> None:
    for name, path in MODULES.items():
        lines = len(path.read_text(encoding="utf-8").splitlines())
        assert lines <= 500, f"{name} has {lines} lines; split it by what its parts do"
