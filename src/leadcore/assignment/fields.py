"""The lead fields routing rules and track records may look at, and how they read them."""

from __future__ import annotations

from typing import Final

from leadcore.errors import FieldProblem, ValidationError
from leadcore.model import Lead

__all__ = ["LEAD_FIELDS", "lead_values"]

LEAD_FIELDS: Final = (
    "region",
    "source",
    "industry",
    "grade",
    "company_size",
    "product_line",
    "department_id",
    "decision_maker_title",
    "pool_id",
)
"""Lead fields rules and performance records may look at, besides ``score`` and
``custom.<name>`` (a host-declared custom field). ``product_line`` reads the custom field
``product_line``."""


def lead_values(lead: Lead, field: str) -> tuple[str, ...]:
    """The lead's value(s) of ``field`` as strings; ``()`` when it has none.

    ``field`` is one of :data:`LEAD_FIELDS` or ``custom.<name>``; a multi-choice custom field
    gives several values. Raises ``ValidationError`` for any other field name."""
    if not isinstance(lead, Lead):
        raise ValidationError([FieldProblem("lead", f"must be a Lead, not {type(lead).__name__}")])
    if not isinstance(field, str):
        raise ValidationError([FieldProblem("field", "must name a lead field, e.g. industry")])
    if field.startswith("custom.") or field == "product_line":
        name = "product_line" if field == "product_line" else field.removeprefix("custom.")
        raw = lead.custom_fields.get(name)
        if raw is None:
            return ()
        if isinstance(raw, tuple):
            return tuple(str(v) for v in raw)
        return (str(raw),)
    if field not in LEAD_FIELDS:
        known = ", ".join((*LEAD_FIELDS, "custom.<name>"))
        raise ValidationError(
            [FieldProblem("field", f"unknown lead field {field!r}; use one of: {known}")]
        )
    value = getattr(lead, field)
    return () if value is None else (str(value),)
