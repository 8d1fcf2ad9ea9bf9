"""The columns of leads, events and follow-ups — the records ``to_record()`` gives, and the
rows of pages, histories and follow-up lists.

Keys are stable (they are the fields' names, a money field split into ``_amount`` and
``_currency``, a duration in ``_seconds``); the titles are what a Chinese or English table
shows.
"""

from __future__ import annotations

from typing import Any, Final

from .columns import Column, Columns
from .settings import Labels
from .values import cell

__all__ = ["EVENT_COLUMNS", "FOLLOW_UP_COLUMNS", "LEAD_COLUMNS"]


LEAD_COLUMNS: Final = Columns(
    (
        Column("id", "线索编号", "Lead"),
        Column("pool_id", "线索池", "Pool"),
        Column("status", "状态", "Status"),
        Column("contact_name", "联系人", "Contact"),
        Column("company", "公司", "Company"),
        Column("phone", "电话", "Phone"),
        Column("email", "邮箱", "Email"),
        Column("wechat", "微信", "WeChat"),
        Column("source", "来源", "Source"),
        Column("industry", "行业", "Industry"),
        Column("region", "地区", "Region"),
        Column("company_size", "公司规模", "Company size"),
        Column("budget_amount", "预算金额", "Budget", "budget.amount", "decimal"),
        Column("budget_currency", "预算币种", "Budget currency", "budget.currency"),
        Column("decision_maker_title", "决策人职位", "Decision maker"),
        Column("owner_id", "负责人", "Owner"),
        Column("department_id", "部门", "Department"),
        Column("collaborators", "协作人", "Collaborators", kind="list"),
        Column("collaborator_roles", "协作人角色", "Collaborator roles", kind="data"),
        Column("followers", "关注人", "Followers", kind="list"),
        Column("stage", "销售阶段", "Stage"),
        Column("score", "评分", "Score", kind="number"),
        Column("grade", "等级", "Grade"),
        Column("created_by", "创建人", "Created by"),
        Column("created_at", "创建时间", "Created", kind="time"),
        Column("assigned_at", "分配时间", "Assigned", kind="time"),
        Column("last_followed_at", "最近跟进", "Last followed up", kind="time"),
        Column("next_due_at", "下次跟进", "Next follow-up due", kind="time"),
        Column("mql_at", "成为MQL", "Became MQL", kind="time"),
        Column("sql_at", "销售认可", "Accepted as SQL", kind="time"),
        Column("updated_at", "更新时间", "Updated", kind="time"),
        Column("lost_reason", "关闭原因", "Reason lost"),
        Column("invalid_reason", "无效原因", "Reason invalid"),
        Column("merged_into", "合并至", "Merged into"),
        Column("converted_customer_id", "转化客户", "Customer"),
        Column("custom_fields", "自定义字段", "Custom fields", kind="data"),
        Column("version", "版本", "Version", kind="number"),
    ),
    brief=(
        "id",
        "contact_name",
        "company",
        "status",
        "owner_id",
        "grade",
        "score",
        "next_due_at",
    ),
    item="Lead",
    item_name="leads",
)
"""A lead's record: every field, in this order (sets as sorted lists, custom fields and
collaborator roles as objects)."""


def _changes_text(changes: Any, labels: Labels) -> str:
    """``status: unassigned → assigned; owner_id: – → bob`` (a table cuts it to fit)."""
    return "; ".join(
        f"{c.field}: {cell(c.before, labels) or '–'} → {cell(c.after, labels) or '–'}"
        for c in changes
    )


EVENT_COLUMNS: Final = Columns(
    (
        Column("position", "序号", "#", kind="number"),
        Column("at", "时间", "Time", kind="time"),
        Column("kind", "事件", "Event"),
        Column("actor_id", "操作人", "By"),
        Column("lead_id", "线索编号", "Lead"),
        Column("pool_id", "线索池", "Pool"),
        Column("reason", "原因", "Reason"),
        Column("changes", "变更", "Changes", kind="data", show=_changes_text),
        Column("data", "附加信息", "Details", kind="data"),
    ),
    brief=("position", "at", "kind", "actor_id", "changes", "reason"),
    item="Event",
    item_name="events",
)
"""An event's record; ``changes`` is a list of ``{"field", "before", "after"}`` objects."""


def _seconds(follow_up: Any) -> float | None:
    return None if follow_up.duration is None else float(follow_up.duration.total_seconds())


FOLLOW_UP_COLUMNS: Final = Columns(
    (
        Column("id", "跟进编号", "Follow-up"),
        Column("lead_id", "线索编号", "Lead"),
        Column("at", "跟进时间", "Time", kind="time"),
        Column("author_id", "跟进人", "Author"),
        Column("owner_id", "归属人", "Owner"),
        Column("method", "跟进方式", "Method"),
        Column("content", "跟进内容", "Content"),
        Column("result", "跟进结果", "Result"),
        Column("duration_seconds", "时长(秒)", "Duration (s)", kind="number", get=_seconds),
        Column("customer_needs", "客户需求", "Customer needs"),
        Column("next_step", "下一步", "Next step"),
        Column("next_follow_up_at", "下次跟进", "Next follow-up", kind="time"),
        Column("emotion", "客户情绪", "Mood"),
        Column("priority", "优先级", "Priority"),
        Column("stage", "销售阶段", "Stage"),
        Column("mentions", "提及", "Mentions", kind="list"),
        Column("attachments", "附件", "Attachments", kind="data"),
    ),
    brief=("at", "author_id", "method", "content", "result", "next_follow_up_at"),
    item="FollowUp",
    item_name="follow-ups",
)
"""A follow-up's record; ``attachments`` is a list of ``{"kind", "ref", "name"}`` objects."""
