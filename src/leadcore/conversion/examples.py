"""The seed's field mapping (线索表字段 → 客户表字段), as TOML a host can start from:
线索行业 → 客户所属行业, 预计预算 → 客户预算区间 (a budget band), 决策人职位 → 关键人职务."""

from __future__ import annotations

from typing import Final

__all__ = ["SEED_MAPPING"]

SEED_MAPPING: Final = """\
[customer]
required = ["所属行业"]

[[customer.fields]]
from = "industry"
to = "所属行业"

[[customer.fields]]
from = "budget"
to = "预算区间"
bands = [
  { below = 100000, label = "10万以下" },
  { below = 500000, label = "10万-50万" },
  { label = "50万以上" },
]

[[customer.fields]]
from = "decision_maker_title"
to = "关键人职务"

[[customer.fields]]
from = "company_size"
to = "企业规模"
values = { micro = "小微企业", small = "小微企业", medium = "中型企业", large = "大型企业" }

[[customer.fields]]
from = "source"
to = "客户来源"
transform = "label"

[[contact.fields]]
from = "decision_maker_title"
to = "职务"

[[deal.fields]]
from = "budget"
to = "预计金额"
transform = "amount"
"""
"""The seed's mapping: industry, budget band and key person's title into the customer, the
company size by a value map, the source channel by its Chinese label; the title into the
contact; the budget's amount into the deal."""
