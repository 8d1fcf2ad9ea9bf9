"""The vocabulary of lead management: statuses, actions, channels, sizes, follow-up methods,
moods, priorities and attachment kinds, each with a Chinese and an English label."""

from __future__ import annotations

from typing import Final

from leadcore.labels import LabelledEnum, rename_value

__all__ = [
    "DEFAULT_SALES_STAGES",
    "OPEN_STATUSES",
    "READ_ONLY_STATUSES",
    "Action",
    "AttachmentKind",
    "CompanySize",
    "Emotion",
    "FollowUpMethod",
    "LeadStatus",
    "Priority",
    "SourceChannel",
]


class LeadStatus(LabelledEnum):
    """Where a lead stands in its lifecycle (see ``leadcore.lifecycle`` for the moves)."""

    UNASSIGNED = "unassigned", "未分配", "Unassigned"
    ASSIGNED = "assigned", "待跟进", "To follow up"
    FOLLOWING = "following", "跟进中", "Following up"
    CONVERTED = "converted", "已转化", "Converted"
    INVALID = "invalid", "无效", "Invalid"
    CLOSED_LOST = "closed_lost", "关闭", "Closed (lost)"
    MERGED = "merged", "已合并", "Merged"


OPEN_STATUSES: Final = frozenset({LeadStatus.ASSIGNED, LeadStatus.FOLLOWING})
"""Statuses in which a lead is held by an owner and counts toward their load."""

READ_ONLY_STATUSES: Final = frozenset({LeadStatus.CONVERTED, LeadStatus.MERGED})
"""Statuses in which a lead may only be viewed."""


class Action(LabelledEnum):
    """Everything a user can do to a lead or pool; the unit of permissions and lifecycle."""

    VIEW = "view", "查看", "View"
    CREATE = "create", "新建", "Create"
    EDIT = "edit", "编辑", "Edit"
    DELETE = "delete", "删除", "Delete"
    ASSIGN = "assign", "分配", "Assign"
    CLAIM = "claim", "抢单", "Claim"
    RECLAIM = "reclaim", "收回", "Reclaim"
    RELEASE = "release", "释放", "Release"
    RETURN = "return", "退回", "Return"
    RECYCLE = "recycle", "回收", "Recycle"
    CHANGE_OWNER = "change_owner", "更换负责人", "Change owner"
    REASSIGN = "change_owner", "更换负责人", "Change owner"
    """Deprecated alias of ``CHANGE_OWNER`` (kept for one release)."""
    TRANSFER = "transfer", "转移", "Transfer"
    FOLLOW_UP = "follow_up", "跟进", "Follow up"
    CONVERT = "convert", "转化", "Convert"
    INVALIDATE = "invalidate", "设为无效", "Invalidate"
    CLOSE_LOST = "close_lost", "关闭", "Close as lost"
    REOPEN = "reopen", "重新激活", "Reopen"
    MERGE = "merge", "合并", "Merge"
    MANAGE_COLLABORATORS = "manage_collaborators", "管理协作人", "Manage collaborators"
    FOLLOW = "follow", "关注", "Follow"
    RECORD_ACTIVITY = "record_activity", "记录行为", "Record activity"
    ACCEPT_SQL = "accept_sql", "销售认可", "Accept as SQL"
    CONFIGURE_POOL = "configure_pool", "线索池设置", "Configure pool"

    def phrase(self, subject: str) -> str:
        """The action as an English verb phrase on ``subject``: ``REASSIGN.phrase("lead 'L1'")``
        is "change the owner of lead 'L1'"."""
        return _ACTION_WORDING[self.value][0].format(subject)

    @property
    def past(self) -> str:
        """What a lead is once the action is taken ("given a new owner", "closed as lost")."""
        return _ACTION_WORDING[self.value][1]


rename_value(Action, "reassign", Action.CHANGE_OWNER.value)

_ACTION_WORDING: Final[dict[str, tuple[str, str]]] = {
    "view": ("view {}", "viewed"),
    "create": ("create leads in {}", "created"),
    "edit": ("edit {}", "edited"),
    "delete": ("delete {}", "deleted"),
    "assign": ("assign {}", "assigned"),
    "claim": ("claim {}", "claimed"),
    "reclaim": ("reclaim {}", "reclaimed"),
    "release": ("release {}", "released"),
    "return": ("return {} to its pool", "returned"),
    "recycle": ("recycle {}", "recycled"),
    "change_owner": ("change the owner of {}", "given a new owner"),
    "transfer": ("transfer {}", "transferred"),
    "follow_up": ("follow up {}", "followed up"),
    "convert": ("convert {}", "converted"),
    "invalidate": ("invalidate {}", "invalidated"),
    "close_lost": ("close {} as lost", "closed as lost"),
    "reopen": ("reopen {}", "reopened"),
    "merge": ("merge {}", "merged"),
    "manage_collaborators": ("manage the collaborators of {}", "given collaborators"),
    "follow": ("follow {}", "followed"),
    "record_activity": ("record activity on {}", "given activity"),
    "accept_sql": ("accept {} as sales-qualified", "accepted as sales-qualified"),
    "configure_pool": ("configure {}", "configured"),
}


class SourceChannel(LabelledEnum):
    """Well-known intake channels (来源). Pools may allow any string; these are the usual ones."""

    WEB_FORM = "web_form", "官网表单", "Web form"
    ADVERTISING = "advertising", "广告投放", "Advertising"
    EVENT = "event", "展会活动", "Event / trade show"
    REFERRAL = "referral", "客户推荐", "Referral"
    PHONE = "phone", "电话咨询", "Phone inquiry"
    SOCIAL = "social", "社交媒体", "Social media"
    API_IMPORT = "api_import", "API导入", "API import"
    OTHER = "other", "其他", "Other"


class CompanySize(LabelledEnum):
    """The prospect company's size band (企业规模)."""

    MICRO = "micro", "微型", "Micro"
    SMALL = "small", "小型", "Small"
    MEDIUM = "medium", "中型", "Medium"
    LARGE = "large", "大型", "Large"


class FollowUpMethod(LabelledEnum):
    """How a follow-up reached the prospect (跟进方式)."""

    PHONE = "phone", "电话", "Phone"
    EMAIL = "email", "邮件", "Email"
    WECHAT = "wechat", "微信", "WeChat"
    VISIT = "visit", "上门拜访", "Visit"
    OTHER = "other", "其他", "Other"


class Emotion(LabelledEnum):
    """The prospect's mood in a follow-up (客户情绪标签)."""

    POSITIVE = "positive", "积极", "Positive"
    NEUTRAL = "neutral", "中立", "Neutral"
    NEGATIVE = "negative", "消极", "Negative"


class Priority(LabelledEnum):
    """How pressing the customer's need is (需求优先级)."""

    HIGH = "high", "高", "High"
    MEDIUM = "medium", "中", "Medium"
    LOW = "low", "低", "Low"


class AttachmentKind(LabelledEnum):
    """What an attachment reference points at (附件)."""

    RECORDING = "recording", "录音", "Recording"
    DOCUMENT = "document", "文档", "Document"
    IMAGE = "image", "图片", "Image"


DEFAULT_SALES_STAGES: Final = ("初步接触", "需求确认", "方案沟通", "意向跟进")
"""The standard sales stages inside "following": first contact → needs → proposal → intent."""
