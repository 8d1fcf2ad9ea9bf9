"""Ready-made score model configurations: the SPEC §7.1 example, and it with behaviour rules.

Plain data, exactly what a host would keep in JSON or TOML; build with
``ScoreModel.from_dict(SPEC_7_1)``. Urgency and interaction live in custom fields.
"""

from __future__ import annotations

from typing import Any, Final

__all__ = ["SPEC_7_1", "SPEC_7_1_WITH_BEHAVIOUR"]

SPEC_7_1: Final[dict[str, Any]] = {
    "dimensions": [
        {
            "name": "公司规模 company size",
            "field": "company_size",
            "weight": 0.2,
            "values": {"large": 10, "medium": 8},
        },
        {
            "name": "行业 industry",
            "field": "industry",
            "weight": 0.2,
            "values": {"制造业": 10, "SaaS": 10},
            "default": 5,
        },
        {
            "name": "需求紧迫性 urgency",
            "field": "custom_fields.urgency",
            "weight": 0.3,
            "values": {"urgent": 10, "normal": 5},
        },
        {
            "name": "互动记录 interaction",
            "field": "custom_fields.interaction",
            "weight": 0.3,
            "values": {"high": 10, "low": 5},
        },
    ],
    "grades": [
        {"name": "A", "at_least": 8},
        {"name": "B", "at_least": 6},
        {"name": "C", "at_least": 4},
        {"name": "D", "at_least": 0},
    ],
    "mql_at_least": 8,
}
"""SPEC §7.1: company size 20% (large 10, medium 8), industry 20% (target 10, other 5),
urgency 30% (urgent 10, normal 5), interaction 30% (high 10, low 5). Profile 0..10."""

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
    "grades": [
        {"name": "A", "at_least": 30},
        {"name": "B", "at_least": 20},
        {"name": "C", "at_least": 10},
        {"name": "D", "at_least": 0},
    ],
    "mql_at_least": 25,
}
"""The SPEC profile plus behaviour (SPEC §7.2): pricing-page visit high, whitepaper and webinar
mid-high, form mid, email open mid; points halve every 30 days (email opens lose a point a
week instead). Maximum 10 + 70 = 80; MQL from 25."""
