"""What a newcomer runs first: the example scripts' options and the vocabulary they teach."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path
from types import ModuleType

import pytest

from leadcore import ActivityKind

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def load(name: str) -> ModuleType:
    """The example ``name`` as a module, without running its ``__main__`` block."""
    spec = importlib.util.spec_from_file_location(name, EXAMPLES / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_sqlite_host_help_explains_itself_and_creates_no_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as done:
        load("sqlite_host").cli(["--help"])
    assert done.value.code == 0
    assert "database file" in capsys.readouterr().out
    assert os.listdir(tmp_path) == []


def test_sqlite_host_takes_the_file_from_the_command_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert load("sqlite_host").cli([str(tmp_path / "host.db")]) == ["u1", "u2", "u3"]
    assert (tmp_path / "host.db").exists() and "first run" in capsys.readouterr().out


def test_import_csv_help_imports_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        load("import_csv").main(["--help"])
    assert done.value.code == 0
    out = capsys.readouterr().out
    assert "--out" in out and "rows read" not in out


def test_import_csv_writes_the_rows_to_fix_where_asked(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "fix.csv"
    load("import_csv").main(["--out", str(out)])
    assert f"rows to fix written to {out}" in capsys.readouterr().out
    assert out.read_text(encoding="utf-8-sig").count("\n") >= 4  # a heading and three rejected


def test_the_quickstart_scores_built_in_activity_kinds() -> None:
    """A demo request is the built-in kind, which conversion readiness also counts."""
    kinds = {rule["kind"] for rule in load("quickstart").SCORING.to_dict()["behaviour"]}
    assert kinds == {"pricing_page_visit", "demo_requested"}
    assert kinds <= {kind.value for kind in ActivityKind}
