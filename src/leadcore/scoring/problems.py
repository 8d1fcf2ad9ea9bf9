"""Collecting problems with configuration or saved data, and raising them together."""

from __future__ import annotations

from leadcore.checks import finite
from leadcore.errors import ConfigError, FieldProblem, ValidationError

__all__ = ["Problems", "finite"]


class Problems:
    """A list of ``FieldProblem``; :meth:`raise_if_any` raises them as one ``ConfigError``,
    :meth:`raise_invalid` as one ``ValidationError``."""

    def __init__(self) -> None:
        self.found: list[FieldProblem] = []

    def add(self, path: str, reason: str) -> None:
        """Record that ``path`` is wrong and what would be right."""
        self.found.append(FieldProblem(path, reason))

    def points(self, path: str, value: float | None, *, positive: bool = False) -> None:
        """Check that ``value`` is a finite number ≥ 0 (> 0 when ``positive``)."""
        if value is None:
            return
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.add(path, "must be a number")
        elif not finite(value):
            self.add(path, "must be a finite number")
        elif positive and value <= 0:
            self.add(path, f"must be greater than 0, not {value:g}")
        elif value < 0:
            self.add(path, f"must not be negative, not {value:g}")

    def raise_if_any(self) -> None:
        """Raise every problem found as one ``ConfigError`` naming the first path."""
        if self.found:
            raise ConfigError.from_problems(self.found)

    def raise_invalid(self, subject: str) -> None:
        """Raise every problem found as one ``ValidationError`` about ``subject``."""
        if self.found:
            raise ValidationError(self.found, subject=subject)
