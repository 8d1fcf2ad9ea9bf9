"""Roles, permissions, data scopes, temporary grants, the claim rule, quotas and who may own a
lead: who may do what, and why. Everything here is pure."""

from leadcore.policy.claims import ClaimFacts, claim_refusal
from leadcore.policy.config import (
    DEFAULT_CONFIG,
    POOL_ACTIONS,
    PermissionRule,
    PolicyConfig,
)
from leadcore.policy.decision import Decision
from leadcore.policy.grants import (
    GrantApprovers,
    approve_grant,
    request_grant,
    revoke_grant,
)
from leadcore.policy.ownership import OwnerFacts, owner_problem, owner_refusal
from leadcore.policy.policy import Policy
from leadcore.policy.quotas import Quota, QuotaPeriod, QuotaPolicy, QuotaUse, load_quota_policies
from leadcore.policy.roles import SYSTEM_ADMIN_ROLE, DataScope, Role, roles_of
from leadcore.policy.scope import Reach, ViewScope
from leadcore.records import Grant, GrantStatus

__all__ = [
    "DEFAULT_CONFIG",
    "POOL_ACTIONS",
    "SYSTEM_ADMIN_ROLE",
    "ClaimFacts",
    "DataScope",
    "Decision",
    "Grant",
    "GrantApprovers",
    "GrantStatus",
    "OwnerFacts",
    "PermissionRule",
    "Policy",
    "PolicyConfig",
    "Quota",
    "QuotaPeriod",
    "QuotaPolicy",
    "QuotaUse",
    "Reach",
    "Role",
    "ViewScope",
    "approve_grant",
    "claim_refusal",
    "load_quota_policies",
    "owner_problem",
    "owner_refusal",
    "request_grant",
    "revoke_grant",
    "roles_of",
]
