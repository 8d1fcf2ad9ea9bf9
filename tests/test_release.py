"""What a packager checks: the version, the licence, the metadata and a dated changelog."""

from __future__ import annotations

import re
import tomllib
from importlib.metadata import metadata, version
from pathlib import Path

import leadcore

ROOT = Path(__file__).resolve().parent.parent


def test_the_version_comes_from_the_package_metadata() -> None:
    assert leadcore.__version__ == version("leadcore")
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert leadcore.__version__ == project["version"]


def test_the_licence_ships_and_matches_the_metadata() -> None:
    assert (ROOT / "LICENSE").read_text(encoding="utf-8").startswith("MIT License")
    assert metadata("leadcore")["License-Expression"] == "MIT"


def test_the_metadata_names_its_home_and_classifiers() -> None:
    meta = metadata("leadcore")
    urls = dict(u.split(", ", 1) for u in meta.get_all("Project-URL") or [])
    assert {"Homepage", "Documentation", "Source", "Issues", "Changelog"} <= set(urls)
    classifiers = meta.get_all("Classifier") or []
    assert "Typing :: Typed" in classifiers
    assert "Programming Language :: Python :: 3.11" in classifiers


def test_the_changelog_has_a_dated_section_for_this_version_with_its_link() -> None:
    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    v = re.escape(leadcore.__version__)
    assert re.search(rf"^## \[{v}\] - \d{{4}}-\d{{2}}-\d{{2}}$", changelog, re.M)
    assert re.search(rf"^\[{v}\]: https://\S+$", changelog, re.M)
    assert re.search(r"^\[Unreleased\]: https://\S+$", changelog, re.M)
    assert "SPEC" not in changelog
