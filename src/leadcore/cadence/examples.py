"""The house examples as plain data: an office calendar in Shanghai, and cadences per method
(phone 2–3 times a week for urgent needs, WeChat every 3 days, email 1–2 a month, a visit
each quarter for high intent) and per sales stage. ``CadencePlan.from_dict(HOUSE_PLAN)``."""

from __future__ import annotations

from typing import Any, Final

__all__ = ["HOUSE_PLAN", "SHANGHAI_OFFICE"]

SHANGHAI_OFFICE: Final[dict[str, Any]] = {
    "timezone": "Asia/Shanghai",
    "weekly": {"mon-fri": ["09:00-12:00", "13:30-18:00"]},
    # An illustrative 国庆 week with one make-up Saturday (调休); hosts load the real dates.
    "holidays": ["2026-10-01..2026-10-07"],
    "makeup": ["2026-10-10"],
}
"""Mon–Fri 09:00–12:00 and 13:30–18:00 in Asia/Shanghai, 1–7 October 2026 off, Saturday
10 October 2026 worked."""

HOUSE_PLAN: Final[dict[str, Any]] = {
    "stages": ["初步接触", "需求确认", "方案沟通", "意向跟进"],
    "by_stage": {
        "初步接触": {"every": {"days": 2}, "label": "初步接触：每2天"},
        "方案沟通": {"rrule": "FREQ=WEEKLY;BYDAY=MO,TH", "label": "方案沟通：每周一、周四"},
    },
    "by_method": {
        "phone": {"rrule": "FREQ=WEEKLY;BYDAY=MO,WE,FR", "label": "电话：每周2–3次（需求紧迫）"},
        "wechat": {"every": {"days": 3}, "label": "微信：每3天"},
        "email": {"rrule": "FREQ=MONTHLY;BYMONTHDAY=1,15", "label": "邮件：每月1–2次"},
        "visit": {"every": {"months": 3}, "label": "上门拜访：每季度（高意向）"},
    },
    "default": {"every": {"weeks": 1}, "label": "每周一次"},
    "calendar": SHANGHAI_OFFICE,
}
"""Cadences per stage and per method with a weekly default, snapped into the Shanghai office
calendar."""
