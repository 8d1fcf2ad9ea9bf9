"""The docs show the real tables, not a copy that drifts."""

from __future__ import annotations

from pathlib import Path

from leadcore.lifecycle import transitions_markdown
from leadcore.policy import Policy

DOCS = Path(__file__).resolve().parent.parent / "docs"


def test_concepts_page_shows_the_lifecycle_table_from_code() -> None:
    assert transitions_markdown() in (DOCS / "concepts.md").read_text(encoding="utf-8")


def test_permissions_page_shows_the_default_policy_table_from_code() -> None:
    page = (DOCS / "permissions.md").read_text(encoding="utf-8")
    assert Policy.default().table_markdown() in page


def test_every_docs_page_is_linked_from_the_index() -> None:
    index = (DOCS / "index.md").read_text(encoding="utf-8")
    for page in sorted(DOCS.glob("*.md")):
        if page.name != "index.md":
            assert f"({page.name})" in index, f"docs/index.md does not link {page.name}"
