"""The SQLite host example, run twice on one file: the second run goes on where the first
stopped, the round-robin turn included."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "sqlite_host.py"


def test_a_second_run_continues_where_the_first_stopped(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = importlib.util.spec_from_file_location("sqlite_host", EXAMPLE)
    assert spec is not None and spec.loader is not None
    host = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(host)
    path = tmp_path / "host.sqlite3"
    assert host.main(path) == ["u1", "u2", "u3"]
    first = capsys.readouterr().out
    assert host.main(path) == ["u4", "u1", "u2"]
    second = capsys.readouterr().out
    assert "first run" in first and "first run" not in second
    assert "3 leads from earlier runs" in second
