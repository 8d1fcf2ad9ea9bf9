"""Plain-text tables for explanations (a score's breakdown, a learned grade's evidence): the
project's one renderer, :func:`leadcore.table.render_table`, importable from here as before."""

from __future__ import annotations

from leadcore.table import render_table

__all__ = ["render_table"]
