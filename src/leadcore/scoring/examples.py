"""Ready-made score model configurations: the sources' profile example, and it with behaviour.

Plain data, exactly what a host would keep in JSON or TOML; build with
``ScoreModel.from_dict(SPEC_7_1)``. Urgency and interaction live in custom fields.
"""

from __future__ import annotations

from typing import Any, Final

__all__ = ["SPEC_7_1", "SPEC_7_1_WITH_BEHAVIOUR"]


def _dimension(name: str, field: str, weight: float, **rule: Any) -> dict[str, Any]:
    return {"name": name, "field": field, "weight": weight, **rule}


def _grades(a: float, b: float, c: float) -> list[dict[str, Any]]:
    return [
        {"name": name, "at_least": at_least}
        for name, at_least in (("A", a), ("B", b), ("C", c), ("D", 0))
    ]


SPEC_7_1: Final[dict[str, Any]] = {
    "dimensions": [
        _dimension("公司规模 company size", "company_size", 0.2, values={"large": 10, "medium": 8}),
        _dimension("行业 industry", "industry", 0.2, values={"制造业": 10, "SaaS": 10}, default=5),
        _dimension(
            "需求紧迫性 urgency", "custom_fields.urgency", 0.3, values={"urgent": 10, "normal": 5}
        ),
        _dimension(
            "互动记录 interaction", "custom_fields.interaction", 0.3, values={"high": 10, "low": 5}
        ),
    ],
    "grades": _grades(8, 6, 4),
    "mql_at_least": 8,
}
"""Company size 20% (large 10, medium 8), industry 20% (target 10, other 5), urgency 30% (urgent
10, normal 5), interaction 30% (high 10, low 5). Profile 0..10."""

SPEC_7_1_WITH_BEHAVIOUR: Final[dict[str, Any]] = {
    "dimensions": SPEC_7_1["dimensions"],
    "behaviour": [
        {"kind": "pricing_page_visit", "points": 10, "cap": 20},
        {"kind": "whitepaper_download", "points": 8, "cap": 16},
        {"kind": "webinar_attended", "points": 8, "cap": 16},
        {"kind": "form_submitted", "points": 6, "cap": 12},
        {
            "kind": "email_open",
            "points": 3,
            "cap": 6,
            "decay": {"lose": 1, "every": {"days": 7}},
        },
    ],
    "decay": {"half_life": {"days": 30}},
    "grades": _grades(30, 20, 10),
    "mql_at_least": 25,
}
"""The profile example plus behaviour: pricing-page visit high, whitepaper and webinar mid-high,
form mid, email open mid; points halve every 30 days (email opens lose a point a week instead).
Maximum 10 + 70 = 80; MQL from 25."""
