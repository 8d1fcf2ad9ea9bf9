"""Who works with the owner on a lead: collaborators (协作人, several at once, optionally with
a named role such as the marketing co-owner) and followers (关注, a subscription)."""

from __future__ import annotations

from typing import ClassVar, Final

import attrs

from leadcore import checks
from leadcore.errors import FieldProblem, NotFound, ValidationError
from leadcore.model import Action, Lead
from leadcore.org import OrgDirectory

from ..outcome import Outcome
from ..reads import Subject
from .common import SubjectCommand

__all__ = ["AddCollaborators", "Follow", "RemoveCollaborators"]


@attrs.frozen(kw_only=True)
class AddCollaborators(SubjectCommand):
    """Add collaborators, each an existing active user other than the owner; ``role`` (one of
    the policy's collaborator roles) gives them that role's extra rights. Without a role, those
    who already collaborate keep the role they have. Adding who is already there, as they are,
    writes nothing."""

    action: ClassVar[Action] = Action.MANAGE_COLLABORATORS
    user_ids: object
    role: object = None

    def plan(self, facts: Subject) -> Outcome[Lead]:
        """The lead with the collaborators (and their role) added; nothing when that changes
        nothing."""
        wanted = checks.identifiers(self.user_ids, "user_ids", allow_empty=False)
        problems = []
        known_roles = self.setup.policy.collaborator_role_names
        role = checks.optional_text(self.role, "role")
        if role is not None and role not in known_roles:
            problems.append(
                FieldProblem(
                    "role",
                    f"{role!r} is not a collaborator role of this policy; known: "
                    f"{', '.join(sorted(known_roles)) or 'none'}",
                )
            )
        problems += _user_problems(self.setup.org, wanted, facts.lead.owner_id)
        if problems:
            raise ValidationError(problems, subject="collaborators")
        roles = dict(facts.lead.collaborator_roles)
        if role is not None:
            roles.update(dict.fromkeys(wanted, role))
        return _collaborate(facts, facts.lead.collaborators | wanted, roles)


@attrs.frozen(kw_only=True)
class RemoveCollaborators(SubjectCommand):
    """Remove collaborators; their access to the lead ends at once. Naming only users who do
    not collaborate on the lead writes nothing."""

    action: ClassVar[Action] = Action.MANAGE_COLLABORATORS
    user_ids: object

    def plan(self, facts: Subject) -> Outcome[Lead]:
        """The lead without those collaborators (or their roles); nothing when none of them
        collaborates on it."""
        gone = checks.identifiers(self.user_ids, "user_ids", allow_empty=False)
        lead = facts.lead
        roles = {u: r for u, r in lead.collaborator_roles.items() if u not in gone}
        return _collaborate(facts, lead.collaborators - gone, roles)


@attrs.frozen(kw_only=True)
class Follow(SubjectCommand):
    """Start (``on``) or stop watching a lead. Following shows the lead in "leads I follow"
    while the actor may see it; it gives no access of its own. Following a lead one already
    follows, or unfollowing one one does not, writes nothing."""

    action: ClassVar[Action] = Action.FOLLOW
    on: bool = True

    def plan(self, facts: Subject) -> Outcome[Lead]:
        """The lead with the actor added to or removed from its followers; nothing when that
        changes nothing."""
        me = frozenset({facts.actor.id})
        followers = facts.lead.followers | me if self.on else facts.lead.followers - me
        if followers == facts.lead.followers:
            return Outcome(facts.lead)
        done = facts.step(
            Action.FOLLOW,
            changes={"followers": followers, "updated_at": facts.lead.updated_at},
        )
        return Outcome.of_step(done, facts.lead.version)


_MOST_NAMED: Final = 20
"""The most users one refusal names, so that a huge list of wrong ids is refused with a short
message (as every list check does)."""


def _user_problems(
    org: OrgDirectory, wanted: frozenset[str], owner_id: str | None
) -> list[FieldProblem]:
    """Why each of ``wanted`` cannot collaborate — unknown, inactive, the owner — naming the
    first ``_MOST_NAMED`` of them (in id order) and counting the rest."""
    problems: list[FieldProblem] = []
    unnamed = 0
    for user_id in sorted(wanted):
        problem = _user_problem(org, user_id, owner_id)
        if problem is None:
            continue
        if len(problems) < _MOST_NAMED:
            problems.append(FieldProblem("user_ids", problem))
        else:
            unnamed += 1
    if unnamed:
        more = f"{unnamed} more cannot collaborate; only the first {_MOST_NAMED} are named"
        problems.append(FieldProblem("user_ids", more))
    return problems


def _user_problem(org: OrgDirectory, user_id: str, owner_id: str | None) -> str | None:
    if user_id == owner_id:
        return f"{user_id!r} owns the lead"
    try:
        active = org.user(user_id).active
    except NotFound:
        return f"no user {user_id!r}"
    return None if active else f"user {user_id!r} is inactive"


def _collaborate(
    facts: Subject, collaborators: frozenset[str], roles: dict[str, str]
) -> Outcome[Lead]:
    """The lead with these collaborators and roles; nothing when they are the lead's own."""
    lead = facts.lead
    if collaborators == lead.collaborators and roles == lead.collaborator_roles:
        return Outcome(lead)
    done = facts.step(
        Action.MANAGE_COLLABORATORS,
        changes={"collaborators": collaborators, "collaborator_roles": roles},
    )
    return Outcome.of_step(done, lead.version)
