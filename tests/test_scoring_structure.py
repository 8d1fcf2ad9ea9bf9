"""How the scoring package is put together: its imports form no cycle, it needs no store, and
a score carries plain data rather than the scorer that made it.

The import graph is read from the source (every ``import`` statement, including those under
``if TYPE_CHECKING:`` and inside functions), starting from every module of ``leadcore.scoring``
and following each ``leadcore`` module they reach.
"""

from __future__ import annotations

import ast
import gc
from collections.abc import Iterable, Mapping
from datetime import timedelta
from pathlib import Path
from types import FunctionType, ModuleType

from leadcore import CompanySize
from leadcore.scoring import Activity, ScoreModel, Scorer
from leadcore.scoring.examples import SPEC_7_1_WITH_BEHAVIOUR
from leadcore.testing import EPOCH, make_lead

SRC = Path(__file__).resolve().parent.parent / "src"


def module_file(name: str, root: Path = SRC) -> Path | None:
    """The file of module ``name`` below ``root``, or ``None`` when there is none."""
    base = root.joinpath(*name.split("."))
    if (base / "__init__.py").is_file():
        return base / "__init__.py"
    if base.with_suffix(".py").is_file():
        return base.with_suffix(".py")
    return None


def _known(name: str, root: Path) -> str | None:
    """The longest prefix of ``name`` that is a module below ``root``."""
    while name and module_file(name, root) is None:
        name = name.rpartition(".")[0]
    return name or None


def imports_in(source: str, name: str, *, is_package: bool, root: Path = SRC) -> set[str]:
    """The ``leadcore`` modules that module ``name`` (with ``source``) imports, anywhere in it."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                package = name if is_package else name.rpartition(".")[0]
                for _ in range(node.level - 1):
                    package = package.rpartition(".")[0]
                base = f"{package}.{base}" if base else package
            targets = [f"{base}.{alias.name}" for alias in node.names]
        for target in targets:
            if target.split(".")[0] == "leadcore":
                module = _known(target, root)
                if module is not None and module != name:
                    found.add(module)
    return found


def import_graph(start: Iterable[str], root: Path = SRC) -> dict[str, set[str]]:
    """Every ``leadcore`` module reachable from ``start``, with the modules each imports."""
    graph: dict[str, set[str]] = {}
    todo = list(start)
    while todo:
        name = todo.pop()
        if name in graph:
            continue
        path = module_file(name, root)
        assert path is not None, name
        graph[name] = imports_in(
            path.read_text(encoding="utf-8"), name, is_package=path.name == "__init__.py", root=root
        )
        todo.extend(graph[name])
    return graph


def find_cycle(graph: Mapping[str, Iterable[str]]) -> list[str] | None:
    """One import cycle as a list of modules (the first repeated at the end), or ``None``."""
    state: dict[str, str] = {}
    trail: list[str] = []

    def visit(name: str) -> list[str] | None:
        state[name] = "open"
        trail.append(name)
        for target in sorted(graph.get(name, ())):
            if state.get(target) == "open":
                return [*trail[trail.index(target) :], target]
            if target not in state:
                found = visit(target)
                if found:
                    return found
        trail.pop()
        state[name] = "done"
        return None

    for name in sorted(graph):
        if name not in state:
            found = visit(name)
            if found:
                return found
    return None


def scoring_modules() -> list[str]:
    package = SRC / "leadcore" / "scoring"
    return ["leadcore.scoring"] + [
        f"leadcore.scoring.{path.stem}" for path in sorted(package.glob("*.py"))
    ]


def test_scoring_imports_form_no_cycle() -> None:
    graph = import_graph(scoring_modules())
    assert "leadcore.scoring.explain" in graph and "leadcore.model" in graph
    assert find_cycle(graph) is None, " → ".join(find_cycle(graph) or [])


def test_scoring_imports_nothing_from_storage_the_desk_or_testing() -> None:
    reached = set(import_graph(scoring_modules()))
    for outside in ("leadcore.storage", "leadcore.desk", "leadcore.testing"):
        assert not {m for m in reached if m == outside or m.startswith(outside + ".")}
    assert "leadcore" not in reached  # the package root imports everything, storage too


def test_the_graph_sees_type_checking_and_function_imports(tmp_path: Path) -> None:
    package = tmp_path / "leadcore" / "pkg"
    package.mkdir(parents=True)
    (tmp_path / "leadcore" / "__init__.py").write_text("")
    (package / "__init__.py").write_text("from leadcore.pkg.a import A\n")
    (package / "a.py").write_text(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n"
        "    from leadcore.pkg.b import B\n"
        "class A: ...\n"
    )
    (package / "b.py").write_text("def make():\n    from .a import A\n    return A\n")
    graph = import_graph(["leadcore.pkg"], root=tmp_path)
    assert graph["leadcore.pkg.a"] == {"leadcore.pkg.b"}
    assert graph["leadcore.pkg.b"] == {"leadcore.pkg.a"}
    assert find_cycle(graph) == ["leadcore.pkg.a", "leadcore.pkg.b", "leadcore.pkg.a"]


def _reachable(start: object) -> list[object]:
    """Every object reachable from ``start`` through instance data (not through classes,
    functions or modules, which reach everything)."""
    seen: dict[int, object] = {}
    todo = [start]
    while todo:
        item = todo.pop()
        if id(item) in seen or isinstance(item, type | ModuleType | FunctionType):
            continue
        seen[id(item)] = item
        todo.extend(gc.get_referents(item))
    return list(seen.values())


def test_a_score_carries_plain_data_not_its_scorer() -> None:
    scorer = ScoreModel.from_dict(SPEC_7_1_WITH_BEHAVIOUR).compile()
    lead = make_lead("L1", company_size=CompanySize.LARGE)
    now = EPOCH + timedelta(days=10)
    score = scorer.score(lead, [Activity("pricing_page_visit", EPOCH)], now=now)
    reached = _reachable(score)
    assert not any(isinstance(item, Scorer) for item in reached)
    assert any(item is lead for item in reached)
    workings = score.workings
    assert workings is not None and workings.sheet == scorer.sheet
    assert score.breakdown.parts == scorer.explain(lead, workings.activities, now=now).parts
    assert [p.rule for p in score.breakdown.parts][-1] == "pricing_page_visit"
