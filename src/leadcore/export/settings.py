"""Which labels exports and displays use: the stable values, Chinese or English.

Every export takes ``labels=``; left out, the process-wide default applies, which starts as
``"value"`` and is changed with :func:`set_labels` (``str()`` tables and notebook tables, which
take no arguments, always use the default).
"""

from __future__ import annotations

from typing import Final, Literal, get_args

from leadcore.errors import FieldProblem, ValidationError

__all__ = ["LABELS", "Labels", "get_labels", "resolve_labels", "set_labels"]

Labels = Literal["value", "zh", "en"]
"""``"value"``: enum values and column keys as stored (``assigned``, ``owner_id``); ``"zh"``:
Chinese labels and titles (待跟进, 负责人); ``"en"``: English ones (To follow up, Owner)."""

LABELS: Final[tuple[Labels, ...]] = get_args(Labels)
"""The allowed label settings."""

_default: Labels = "value"


def resolve_labels(labels: object = None) -> Labels:
    """``labels`` checked (``ValidationError`` naming the allowed values), or the default for
    None."""
    if labels is None:
        return _default
    return _allowed(labels)


def _allowed(labels: object) -> Labels:
    for allowed in LABELS:
        if labels == allowed and isinstance(labels, str):
            return allowed
    shown = repr(labels) if len(repr(labels)) < 40 else repr(labels)[:37] + "..."
    raise ValidationError(
        [FieldProblem("labels", f"must be one of: {', '.join(LABELS)}; not {shown}")],
        subject="label setting",
    )


def set_labels(labels: Labels) -> None:
    """Make ``labels`` the default for every export and display that is not given its own.
    Anything but ``"value"``, ``"zh"`` or ``"en"`` (``None`` too) is a ``ValidationError``."""
    global _default  # noqa: PLW0603 — one process-wide setting, by design
    _default = _allowed(labels)  # None means "the default" only where a call takes labels


def get_labels() -> Labels:
    """The default label setting (``"value"`` until :func:`set_labels` changes it)."""
    return _default
