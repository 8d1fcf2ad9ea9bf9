"""The examples run as a new user would run them, and show what they promise."""

from __future__ import annotations

import runpy
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def run_quickstart(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    sys_argv = sys.argv
    sys.argv = ["quickstart.py", *argv]
    try:
        runpy.run_path(str(EXAMPLES / "quickstart.py"), run_name="__main__")
    finally:
        sys.argv = sys_argv
    return capsys.readouterr().out


def test_the_demo_shows_a_day_with_auto_assignment_and_scoring(
    capsys: pytest.CaptureFixture[str],
) -> None:
    out = run_quickstart(capsys)
    assert "claimed by dave" in out and "更换负责人" in out
    assert "L4 赵强 → bob (待跟进), score 100, grade A" in out  # round robin: bob, then dave
    assert "L5 Li Na → dave (待跟进)" in out
    assert "MQL since 15:20" in out and "behaviour  demo_request" in out


def test_the_demo_speaks_english_when_asked(capsys: pytest.CaptureFixture[str]) -> None:
    out = run_quickstart(capsys, "--labels", "en")
    assert "Owner changed (Bob 休假)" in out and "To follow up" in out
    assert "更换负责人" not in out
