"""Properties of the desk under the default policy:

* an operation succeeds if and only if ``can`` allows it, and a refused one writes nothing;
* a refusal about a lead the actor may not see says exactly what it says for a missing lead;
* every view returns only leads the actor may view; an expired grant gives nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import attrs
import pytest
from hypothesis import event, given
from hypothesis import strategies as st

from leadcore import (
    Action,
    AlreadyClaimed,
    EventKind,
    FollowUpMethod,
    GrantStatus,
    InvalidTransition,
    Lead,
    LeadQuery,
    LeadStatus,
    NotFound,
    PermissionDenied,
    ValidationError,
    View,
)
from leadcore.testing.desk_case import DeskCase
from leadcore.testing.strategies import per_store_settings
from leadcore.testing.world import ORG, T0, World

__all__ = ["PropertiesCase"]

USERS = ("sysadmin", "carol", "mgr", "bob", "dave", "erin", "mia", "zoe")
WORKERS = ("carol", "bob", "dave", "erin", "mia")
POOLS = ("east", "north", "off")

# The same property runs once per store the case is subclassed for.
_per_store = per_store_settings()


@st.composite
def leads(draw: st.DrawFn, index: int) -> Lead:
    """A lead in any status, with random owner, collaborators, followers and roles."""
    status = draw(st.sampled_from(LeadStatus))
    owner = None if status is LeadStatus.UNASSIGNED else draw(st.sampled_from(WORKERS))
    others = [u for u in WORKERS if u != owner]
    collaborators = draw(st.frozensets(st.sampled_from(others), max_size=2))
    roles = {u: "marketing_owner" for u in collaborators if draw(st.booleans())}
    return Lead(
        id=f"L{index}",
        pool_id=draw(st.sampled_from(POOLS)),
        created_by=draw(st.sampled_from(WORKERS)),
        created_at=T0 - timedelta(days=1, minutes=index),
        contact_name="王磊",
        phone="+8613800138000",
        status=status,
        owner_id=owner,
        department_id=None if owner is None else ORG.user(owner).department_id,
        collaborators=collaborators,
        collaborator_roles=roles,
        followers=draw(st.frozensets(st.sampled_from(USERS), max_size=2)),
        merged_into="L-survivor" if status is LeadStatus.MERGED else None,
        converted_customer_id="C1" if status is LeadStatus.CONVERTED else None,
        invalid_reason="空号" if status is LeadStatus.INVALID else None,
        lost_reason="预算不足" if status is LeadStatus.CLOSED_LOST else None,
        version=1,
    )


@attrs.frozen
class Scene:
    """What to put in a fresh world: leads, grant requests (grantee, lead, actions,
    approved?) and how many hours pass afterwards."""

    leads: tuple[Lead, ...]
    grants: tuple[tuple[str, int, tuple[Action, ...], bool], ...]
    hours_later: int


@st.composite
def scenes(draw: st.DrawFn) -> Scene:
    """A few random leads, maybe some temporary grants, maybe time passing."""
    count = draw(st.integers(1, 6))
    grants = tuple(
        (
            draw(st.sampled_from(WORKERS)),
            draw(st.integers(0, count - 1)),
            draw(st.sampled_from([(Action.VIEW,), (Action.VIEW, Action.FOLLOW_UP)])),
            draw(st.booleans()),
        )
        for _ in range(draw(st.integers(0, 2)))
    )
    return Scene(
        tuple(draw(leads(i)) for i in range(count)),
        grants,
        draw(st.sampled_from([0, 1, 3])),  # 3 h: every grant has expired
    )


def operation(world: World, actor: str, action: Action, lead: Lead) -> Callable[[], object]:
    """The desk call that takes ``action``, with arguments that are valid whenever it is allowed."""
    desk, lead_id = world.desk, lead.id
    other_owner = "dave" if lead.owner_id != "dave" else "bob"
    other_pool = "north" if lead.pool_id != "north" else "east"
    calls: dict[Action, Callable[[], object]] = {
        Action.VIEW: lambda: desk.history(actor, lead_id),
        Action.EDIT: lambda: desk.edit(actor, lead_id, company="新星河科技"),
        Action.DELETE: lambda: desk.delete(actor, lead_id),
        Action.ASSIGN: lambda: desk.assign(actor, lead_id, "dave"),
        Action.CLAIM: lambda: desk.claim(actor, lead_id),
        Action.RECLAIM: lambda: desk.reclaim(actor, lead_id),
        Action.RELEASE: lambda: desk.release(actor, lead_id),
        Action.RETURN: lambda: desk.return_lead(actor, lead_id, "不是目标客户"),
        Action.RECYCLE: lambda: desk.batch_recycle(actor, [lead_id]).outcomes[0].unwrap(),  # noqa: PLW0108
        Action.CHANGE_OWNER: lambda: desk.change_owner(actor, lead_id, other_owner),
        Action.TRANSFER: lambda: desk.transfer(actor, lead_id, other_pool),
        Action.FOLLOW_UP: lambda: desk.follow_up(
            actor, lead_id, method=FollowUpMethod.PHONE, content="电话沟通", result="有兴趣"
        ),
        Action.CONVERT: lambda: desk.convert(actor, lead_id),
        Action.INVALIDATE: lambda: desk.invalidate(actor, lead_id, "空号"),
        Action.CLOSE_LOST: lambda: desk.close_lost(actor, lead_id, "预算不足"),
        Action.REOPEN: lambda: desk.reopen(actor, lead_id),
        Action.MANAGE_COLLABORATORS: lambda: desk.add_collaborators(
            actor, lead_id, ["mia" if lead.owner_id != "mia" else "erin"]
        ),
        Action.FOLLOW: lambda: desk.follow(actor, lead_id),
        Action.RECORD_ACTIVITY: lambda: desk.record_activity(actor, lead_id, "pricing_page_visit"),
        Action.ACCEPT_SQL: lambda: desk.accept_sql(actor, lead_id),
    }
    return calls[action]


LEAD_ACTIONS = [a for a in Action if a not in (Action.CREATE, Action.CONFIGURE_POOL, Action.MERGE)]


class PropertiesCase(DeskCase):
    """Properties: an operation succeeds iff can allows it; refusals about unseen leads reveal
    nothing; views stay within what may be seen."""

    def scene_world(self, scene: Scene) -> World:
        """A world holding ``scene``."""
        world = self.world()
        with world.store.unit_of_work() as uow:
            for lead in scene.leads:
                uow.add_lead(lead)
            uow.commit()
        for grantee, index, actions, approved in scene.grants:
            grant = world.desk.request_access(
                grantee, f"L{index}", reason="跨部门协助", hours=2, actions=actions
            )
            if approved:
                world.desk.approve_access("sysadmin", grantee, grant.id)
        world.clock.advance(hours=scene.hours_later)
        return world

    @_per_store
    @given(
        scene=scenes(),
        actor=st.sampled_from(USERS),
        action=st.sampled_from(LEAD_ACTIONS),
        data=st.data(),
    )
    def test_an_operation_succeeds_iff_can_allows_it(
        self, scene: Scene, actor: str, action: Action, data: st.DataObject
    ) -> None:
        world = self.scene_world(scene)
        with world.store.unit_of_work() as uow:
            lead = data.draw(st.sampled_from(uow.find_leads(LeadQuery())))
        if not ORG.user(actor).active:  # a deactivated actor is refused by every call alike
            before = world.store.snapshot()
            with pytest.raises(PermissionDenied):
                world.desk.can(actor, action, lead.id)
            with pytest.raises(PermissionDenied):
                operation(world, actor, action, lead)()
            assert world.store.snapshot() == before
            return
        decision = world.desk.can(actor, action, lead.id)
        event("allowed" if decision.allowed else "refused")
        before = world.store.snapshot()
        try:
            operation(world, actor, action, lead)()
        except (PermissionDenied, InvalidTransition, NotFound, AlreadyClaimed) as refused:
            assert world.store.snapshot() == before
            if isinstance(refused, PermissionDenied) and "into pool" in refused.subject:
                # The target pool of a transfer refuses: a refusal about the argument (the
                # actor needs transfer rights in both pools), not about the lead's own pool.
                return
            assert not decision.allowed, (
                f"can allowed it ({decision.reason}) but the desk refused: {refused}"
            )
            assert world.store.snapshot() == before
            if isinstance(refused, PermissionDenied) and refused.subject.startswith("lead"):
                assert refused.reason == decision.reason
            if isinstance(refused, NotFound):
                assert str(refused) == str(NotFound("lead", lead.id)), "reveals nothing"
                assert "may see" in decision.reason
        except ValidationError as refused:
            # The new owner named in the call may be unable to take the lead (over the pool's
            # cap, …): a refusal about the argument, not about the actor's right.
            assert refused.fields == ("owner_id",), refused
            assert world.store.snapshot() == before
        else:
            assert decision.allowed, f"can refused it ({decision.reason}) but the desk did it"

    @_per_store
    @given(scene=scenes(), actor=st.sampled_from(USERS), action=st.sampled_from(LEAD_ACTIONS))
    def test_an_unseen_lead_is_answered_as_a_missing_one(
        self, scene: Scene, actor: str, action: Action
    ) -> None:
        world = self.scene_world(scene)
        for lead in scene.leads:
            if actor == "zoe" or world.desk.can(actor, Action.VIEW, lead.id).allowed:
                continue
            unseen = world.desk.can(actor, action, lead.id)
            missing = world.desk.can(actor, action, "no-such-lead")
            assert not unseen.allowed
            if not (action is Action.CLAIM and lead.owner_id is not None):
                assert unseen.reason == missing.reason.replace("no-such-lead", lead.id)
            assert world.desk.allowed_actions(actor, lead.id) == ()

    @_per_store
    @given(
        scene=scenes(),
        actor=st.sampled_from(USERS),
        view=st.sampled_from(View),
        pool=st.sampled_from(POOLS),
    )
    def test_every_view_is_within_what_can_view_allows(
        self, scene: Scene, actor: str, view: View, pool: str
    ) -> None:
        world = self.scene_world(scene)
        try:
            page = world.desk.leads(
                actor, view=view, pool_id=pool if view is View.POOL else None, limit=3
            )
        except PermissionDenied:
            assert (view is View.ALL and actor != "sysadmin") or actor == "zoe"
            return
        seen = list(page.leads)
        while page.next_cursor is not None:
            page = world.desk.leads(
                actor,
                view=view,
                pool_id=pool if view is View.POOL else None,
                limit=3,
                cursor=page.next_cursor,
            )
            seen.extend(page.leads)
        assert len({lead.id for lead in seen}) == len(seen)
        for lead in seen:
            assert world.desk.can(actor, Action.VIEW, lead.id).allowed
        with world.store.unit_of_work() as uow:
            everything = uow.find_leads(LeadQuery())
        if view is View.MINE:
            mine = [lead for lead in everything if lead.owner_id == actor]
            assert {lead.id for lead in seen} == {lead.id for lead in mine}

    def test_a_revoked_grant_ends_access_at_once_and_only_the_right_people_revoke(self) -> None:
        world = self.world()
        lead_id = world.desk.create("carol", "east", contact_name="王磊", phone="13800138000").id
        world.desk.assign("carol", lead_id, "bob")
        first = world.desk.request_access("erin", lead_id, reason="核对客户信息", hours=4)
        world.desk.approve_access("carol", "erin", first.id)
        assert world.desk.can("erin", Action.VIEW, lead_id)
        before = world.store.snapshot()
        with pytest.raises(PermissionDenied, match="revoke"):
            world.desk.revoke_access("dave", "erin", first.id)  # a fellow rep may not
        with pytest.raises(NotFound):
            world.desk.revoke_access("carol", "bob", first.id)  # not bob's grant
        assert world.store.snapshot() == before
        revoked = world.desk.revoke_access("carol", "erin", first.id)  # the pool admin may
        assert revoked.status is GrantStatus.REVOKED and revoked.expires_at == world.clock.now()
        assert not world.desk.can("erin", Action.VIEW, lead_id)
        with pytest.raises(ValidationError, match="already revoked"):
            world.desk.revoke_access("erin", "erin", first.id)
        second = world.desk.request_access("erin", lead_id, reason="再次核对", hours=1)
        world.desk.approve_access("bob", "erin", second.id)  # the owner approves too
        assert world.desk.revoke_access("erin", "erin", second.id).status is GrantStatus.REVOKED
        kinds = [e.kind for e in world.desk.history("carol", lead_id)]
        assert kinds.count(EventKind.GRANT_REVOKED) == 2

    def test_a_grant_gives_access_until_it_expires_and_nothing_after(self) -> None:
        world = self.world()
        lead = world.desk.create("carol", "east", contact_name="王磊", phone="13800138000")
        world.desk.assign("carol", lead.id, "bob")
        assert not world.desk.can("erin", Action.VIEW, lead.id), "erin (华北) has no role on it"
        grant = world.desk.request_access("erin", lead.id, reason="华北客户的华东分公司", hours=2)
        assert not world.desk.can("erin", Action.VIEW, lead.id), "a pending grant gives nothing"
        world.desk.approve_access("carol", "erin", grant.id)
        allowed = world.desk.can("erin", Action.VIEW, lead.id)
        assert allowed and "temporary grant" in allowed.reason
        assert not world.desk.can("erin", Action.EDIT, lead.id), "a view grant gives only viewing"
        world.clock.advance(hours=2)
        assert not world.desk.can("erin", Action.VIEW, lead.id)
        for view in (View.MINE, View.FOLLOWED, View.COLLABORATING, View.SUBORDINATES):
            assert lead.id not in world.desk.leads("erin", view=view).ids
        try:
            world.desk.history("erin", lead.id)
        except NotFound as e:
            assert str(e) == str(NotFound("lead", lead.id))
        else:
            raise AssertionError("an expired grant still gave access")
