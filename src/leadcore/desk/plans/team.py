"""Who works with the owner on a lead: collaborators (协作人, several at once, optionally with
a named role such as the marketing co-owner) and followers (关注, a subscription)."""

from __future__ import annotations

from typing import ClassVar

import attrs

from leadcore import checks
from leadcore.errors import FieldProblem, NotFound, ValidationError
from leadcore.model import Action, Lead

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
        for user_id in sorted(wanted):
            try:
                if not self.setup.org.user(user_id).active:
                    problems.append(FieldProblem("user_ids", f"user {user_id!r} is inactive"))
            except NotFound:
                problems.append(FieldProblem("user_ids", f"no user {user_id!r}"))
        if facts.lead.owner_id in wanted:
            problems.append(FieldProblem("user_ids", f"{facts.lead.owner_id!r} owns the lead"))
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
