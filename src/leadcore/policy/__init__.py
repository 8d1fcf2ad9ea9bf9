"""Roles, permissions, data scopes and temporary grants (SPEC §5): who may do what, and why."""

from leadcore.policy.decision import Decision
from leadcore.policy.grants import (
    Grant,
    GrantApprovers,
    GrantStatus,
    approve_grant,
    request_grant,
    revoke_grant,
)
from leadcore.policy.roles import SYSTEM_ADMIN_ROLE, DataScope, Role, roles_of
from leadcore.policy.rules import (
    DEFAULT_CONFIG,
    POOL_ACTIONS,
    PermissionRule,
    Policy,
    PolicyConfig,
    ViewScope,
)

__all__ = [
    "DEFAULT_CONFIG",
    "POOL_ACTIONS",
    "SYSTEM_ADMIN_ROLE",
    "DataScope",
    "Decision",
    "Grant",
    "GrantApprovers",
    "GrantStatus",
    "PermissionRule",
    "Policy",
    "PolicyConfig",
    "Role",
    "ViewScope",
    "approve_grant",
    "request_grant",
    "revoke_grant",
    "roles_of",
]
