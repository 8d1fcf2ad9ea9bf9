"""The desk's merge behaviour, on any store: suggestions and dismissals, merge (survivor,
filled fields, moved follow-ups and people, read-only merged leads, who may), unmerge, and the
property that unmerge after merge gives back the leads and their follow-ups exactly."""

from __future__ import annotations

import contextlib
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, given
from hypothesis import strategies as st

from leadcore.dedup import DuplicateAction, DuplicatePolicy
from leadcore.errors import InvalidTransition, NotFound, PermissionDenied, ValidationError
from leadcore.events import EventKind
from leadcore.model import Lead, LeadStatus, Pool
from leadcore.testing.desk_case import DeskCase
from leadcore.testing.strategies import per_store_settings
from leadcore.testing.world import World

__all__ = ["MergingCase"]

_per_store = per_store_settings(HealthCheck.function_scoped_fixture, max_examples=20)


def _plain(lead: Lead) -> Lead:
    return attrs.evolve(lead, version=0, updated_at=None)


class MergingCase(DeskCase):
    """Merge suggestions, merge and unmerge through the desk."""

    def _pair(self, world: World) -> tuple[str, str]:
        first = world.desk.create(
            "carol",
            "east",
            contact_name="王磊",
            phone="13800138000",
            company="北京星河科技有限公司",
        ).id
        second = world.desk.create(
            "carol", "east", contact_name="王", phone="+86 138-0013-8000", email="wl@qq.com"
        ).id
        return first, second

    def test_suggestions_group_open_leads_with_the_reason_and_remember_dismissals(self) -> None:
        world = self.world()
        first, second = self._pair(world)
        third = world.desk.create(
            "carol", "east", contact_name="李", company="星河（北京）科技有限公司", wechat="li_88"
        ).id
        (suggestion,) = world.desk.merge_suggestions("carol", "east")
        assert suggestion.lead_ids == (first, second, third)
        assert "share phone:+8613800138000" in suggestion.reason
        assert world.desk.merge_suggestions("bob", "east") == []
        with pytest.raises(PermissionDenied):
            world.desk.dismiss_suggestion("bob", "east", [first, second])
        world.desk.dismiss_suggestion("carol", "east", [first, second, third])
        assert world.desk.merge_suggestions("carol", "east") == []
        fourth = world.desk.create("carol", "east", contact_name="王", phone="13800138000").id
        (again,) = world.desk.merge_suggestions("carol", "east")
        assert fourth in again.lead_ids

    def test_merge_keeps_the_latest_followed_up_and_fills_it_in(self) -> None:
        world = self.world()
        first, second = self._pair(world)
        world.desk.assign("carol", second, "bob")
        world.desk.follow_up("bob", second, method="phone", content="聊过", result="有意向")
        world.desk.follow("dave", first)
        survivor = world.desk.merge("carol", [first, second])
        assert survivor.id == second
        assert survivor.company == "北京星河科技有限公司" and survivor.email == "wl@qq.com"
        assert "dave" in survivor.followers
        merged = world.desk.get("carol", first)
        assert merged.status is LeadStatus.MERGED and merged.merged_into == second
        assert world.desk.get("carol", first, follow_merge=True).id == second
        with pytest.raises(ValidationError, match="follow_merge"):
            world.desk.get("carol", first, follow_merge="yes")  # type: ignore[arg-type]
        with pytest.raises(InvalidTransition):
            world.desk.edit("carol", first, company="x")
        kinds = [e.kind for e in world.desk.history("carol", second)]
        assert kinds.count(EventKind.MERGED) == 2 and kinds.count(EventKind.LEAD_CREATED) == 2
        plan = next(
            e
            for e in world.desk.history("carol", second)
            if e.lead_id == second and e.kind is EventKind.MERGED
        )
        assert plan.data["filled"] == {"company": first}

    def test_only_pool_and_system_admins_merge(self) -> None:
        world = self.world()
        first, second = self._pair(world)
        world.desk.assign("carol", first, "bob")
        world.desk.assign("carol", second, "bob")
        before = world.store.snapshot()
        with pytest.raises(PermissionDenied):
            world.desk.merge("bob", [first, second])
        with pytest.raises(NotFound):
            world.desk.merge("erin", [first, second])
        for bad in ([first], [first, first], "L1"):
            with pytest.raises(ValidationError):
                world.desk.merge("carol", bad)  # type: ignore[arg-type]  # a str, on purpose
        with pytest.raises(ValidationError):
            world.desk.merge("carol", [first, second], survivor_id="L404")
        assert world.store.snapshot() == before
        assert world.desk.merge("sysadmin", [first, second], survivor_id=first).id == first

    def test_a_host_rule_that_fails_or_ranks_garbage_is_refused_on_rule(self) -> None:
        world = self.world()
        first, second = self._pair(world)

        class Rule:
            def __init__(self, answer: Any) -> None:
                self.answer = answer

            def rank(self, leads: Any, follow_ups: Any) -> Any:
                if isinstance(self.answer, Exception):
                    raise self.answer
                return self.answer(leads) if callable(self.answer) else self.answer

        before = world.store.snapshot()
        for answer, said in (
            (None, "must return a list of the leads given, not NoneType"),
            ("ab", "must return a list of the leads given, not str"),
            ([1, 2], r"must return the leads given \(Lead\), not int"),
            (RuntimeError("model offline"), "rank\\(\\) failed: RuntimeError: model offline"),
            (lambda leads: [leads[0], leads[0]], "must rank exactly the leads given, each once"),
        ):
            with pytest.raises(ValidationError, match=f"rule: .*{said}"):
                world.desk.merge("carol", [first, second], rule=Rule(answer))
        assert world.store.snapshot() == before
        kept = world.desk.merge("carol", [first, second], rule=Rule(reversed))
        assert kept.id == second

    def test_a_rule_that_changes_what_it_is_handed_cannot_spoil_the_merge(self) -> None:
        """The rule is handed copies: clearing or blanking them never loses a follow-up."""
        world = self.world()
        first, second = self._pair(world)
        world.desk.assign("carol", first, "bob")
        moved = world.desk.follow_up(
            "bob", first, method="phone", content="打过电话", result="有意向"
        )

        class Greedy:
            def rank(self, leads: Any, follow_ups: Any) -> Any:
                for lead_id in list(follow_ups):
                    with contextlib.suppress(TypeError):  # a read-only copy refuses
                        follow_ups[lead_id] = ()
                return sorted(leads, key=lambda lead: lead.id != second)

        survivor = world.desk.merge("carol", [first, second], rule=Greedy())
        assert survivor.id == second
        assert [f.id for f in world.desk.follow_ups("carol", second)] == [moved.id]

    def test_unmerge_keeps_a_custom_field_edited_since_the_merge(self) -> None:
        from leadcore.custom_fields import CustomField, CustomFieldSet, FieldType

        fields = CustomFieldSet([CustomField("seats", FieldType.NUMBER)])
        world = self.world(custom_fields=fields)
        first = world.desk.create(
            "carol", "east", contact_name="A", phone="13800138000", custom_fields={"seats": 5}
        ).id
        second = world.desk.create("carol", "east", contact_name="B", phone="13800138000").id
        world.desk.merge("carol", [first, second], survivor_id=second)
        world.desk.edit("carol", second, custom_fields={"seats": 9})
        back = world.desk.unmerge("carol", second)
        assert dict(back.custom_fields) == {"seats": 9}
        other = self.world(custom_fields=fields)
        first = other.desk.create(
            "carol", "east", contact_name="A", phone="13800138000", custom_fields={"seats": 5}
        ).id
        second = other.desk.create("carol", "east", contact_name="B", phone="13800138000").id
        other.desk.merge("carol", [first, second], survivor_id=second)
        assert dict(other.desk.unmerge("carol", second).custom_fields) == {}

    def test_unmerging_an_earlier_merged_lead_says_which_merge_to_undo_first(self) -> None:
        world = self.world()
        ids = [
            world.desk.create("carol", "east", contact_name=name, phone="13800138000").id
            for name in ("A", "B", "C")
        ]
        world.desk.merge("carol", [ids[1], ids[0]], survivor_id=ids[1])
        world.desk.merge("carol", [ids[1], ids[2]], survivor_id=ids[1])
        before = world.store.snapshot()
        with pytest.raises(ValidationError, match=f"unmerge {ids[2]} first"):
            world.desk.unmerge("carol", ids[0])
        assert world.store.snapshot() == before
        world.desk.unmerge("carol", ids[2])
        assert world.desk.unmerge("carol", ids[0]).status is LeadStatus.UNASSIGNED
        assert world.desk.get("carol", ids[0]).status is LeadStatus.UNASSIGNED

    def test_a_converted_survivor_names_the_actions_it_still_allows(self) -> None:
        world = self.world()
        first, second = self._pair(world)
        world.desk.assign("carol", first, "bob")
        world.desk.convert("bob", first)
        for survivor in (first, second):
            with pytest.raises(InvalidTransition, match="allowed actions: view, reopen"):
                world.desk.merge("carol", [first, second], survivor_id=survivor)

    def test_unmerge_needs_a_merge(self) -> None:
        world = self.world()
        first, _ = self._pair(world)
        with pytest.raises(ValidationError):
            world.desk.unmerge("carol", first)

    def test_a_lead_others_are_merged_into_cannot_be_deleted_until_unmerged(self) -> None:
        world = self.world()
        desk = world.desk
        first, second = self._pair(world)
        desk.assign("carol", first, "bob")
        desk.follow_up("bob", first, method="phone", content="called", result="ok")
        desk.merge("carol", [first, second], survivor_id=second)
        before = world.store.snapshot()
        with pytest.raises(ValidationError, match=f"unmerge {first} first") as raised:
            desk.delete("carol", second)
        assert [p.field for p in raised.value.problems] == ["lead_id"]
        assert world.store.snapshot() == before
        desk.unmerge("carol", first)
        assert [f.content for f in desk.follow_ups("carol", first)] == ["called"]
        desk.delete("carol", second)
        assert desk.get("carol", first).status is LeadStatus.FOLLOWING

    def _chain(self, world: World) -> list[str]:
        """L1 merged into L2, then L2 into L3, each followed up once by bob."""
        ids = []
        for i, name in enumerate("ABC"):
            lead = world.desk.create("carol", "east", contact_name=name, phone=f"1380013800{i}")
            world.desk.assign("carol", lead.id, "bob")
            world.clock.advance(hours=1)
            world.desk.follow_up(
                "bob", lead.id, method="phone", content=f"call {name}", result="ok"
            )
            ids.append(lead.id)
        world.desk.merge("carol", ids[:2], survivor_id=ids[1])
        world.desk.merge("carol", ids[1:], survivor_id=ids[2])
        return ids

    def test_history_follows_the_whole_chain_of_merges(self) -> None:
        world = self.world(Pool(id="east", name="东", admins={"carol"}))
        first, second, third = self._chain(world)
        contents = [f.content for f in world.desk.follow_ups("carol", third)]
        assert contents == ["call A", "call B", "call C"]
        history = world.desk.history("carol", third)
        kinds = {(e.lead_id, e.kind) for e in history}
        for lead_id in (first, second, third):
            assert (lead_id, EventKind.LEAD_CREATED) in kinds
            assert (lead_id, EventKind.FOLLOWED_UP) in kinds
        positions = [e.position for e in history]
        assert positions == sorted(set(positions))

    def test_unmerge_inside_a_chain_says_which_merge_to_undo_first(self) -> None:
        world = self.world(Pool(id="east", name="东", admins={"carol"}))
        first, second, third = self._chain(world)
        before = world.store.snapshot()
        with pytest.raises(
            ValidationError, match=f"{second!r} is merged into {third!r}; unmerge {second} first"
        ):
            world.desk.unmerge("carol", first)
        assert world.store.snapshot() == before
        world.desk.unmerge("carol", second)
        assert world.desk.get("carol", second).merged_into is None
        world.desk.unmerge("carol", first)
        assert world.desk.get("carol", first).merged_into is None
        assert [f.content for f in world.desk.follow_ups("carol", first)] == ["call A"]

    @_per_store
    @given(
        st.lists(
            st.fixed_dictionaries(
                {
                    "company": st.sampled_from(["", "北京星河科技有限公司", "上海云帆"]),
                    "email": st.sampled_from([None, "a@qq.com", "b@163.com"]),
                    "industry": st.sampled_from([None, "软件", "制造"]),
                    "owner": st.sampled_from([None, "bob", "dave"]),
                    "follow_ups": st.integers(0, 2),
                    "follower": st.sampled_from([None, "carol", "sysadmin"]),
                }
            ),
            min_size=2,
            max_size=4,
        ),
        st.data(),
    )
    def test_unmerge_after_merge_gives_back_the_leads_and_follow_ups(
        self, specs: list[dict[str, Any]], data: st.DataObject
    ) -> None:
        world = self.world(Pool(id="crm", name="无上限线索池", admins={"carol"}))
        ids = []
        for n, spec in enumerate(specs):
            lead_id = world.desk.create(
                "carol",
                "crm",
                contact_name=f"客户{n}",
                phone="13800138000",
                company=spec["company"],
                email=spec["email"],
                industry=spec["industry"],
            ).id
            if spec["owner"]:
                world.desk.assign("carol", lead_id, spec["owner"])
                for k in range(spec["follow_ups"]):
                    world.desk.follow_up(
                        spec["owner"], lead_id, method="phone", content=f"第{k}次", result="跟进中"
                    )
            if spec["follower"]:
                world.desk.follow(spec["follower"], lead_id)
            ids.append(lead_id)
        leads = {i: world.desk.get("carol", i) for i in ids}
        follow_ups = {i: world.desk.follow_ups("carol", i) for i in ids}
        events = {e.position for i in ids for e in world.desk.history("carol", i)}
        survivor_id = data.draw(st.sampled_from([None, *ids]))
        survivor = world.desk.merge("carol", ids, survivor_id=survivor_id)
        kept = {f.id for f in world.desk.follow_ups("carol", survivor.id)}
        assert kept == {f.id for fs in follow_ups.values() for f in fs}
        assert events <= {e.position for e in world.desk.history("carol", survivor.id)}
        world.desk.unmerge("carol", survivor.id)
        for i in ids:
            assert _plain(world.desk.get("carol", i)) == _plain(leads[i])
            assert world.desk.follow_ups("carol", i) == follow_ups[i]

    def test_distribution_never_hands_two_copies_of_one_person_to_two_reps(self) -> None:
        pool = Pool(id="team", name="电销池", admins={"admin"}, auto_assign="rr")
        world = self.world(pool, duplicates=DuplicatePolicy(action=DuplicateAction.FLAG))
        ids = [
            world.desk.create("admin", "team", contact_name="张三", phone="13800138000").id,
            world.desk.create("admin", "team", contact_name="李四", phone="13900139000").id,
            world.desk.create("admin", "team", contact_name="张三", phone="+86 138 0013 8000").id,
            world.desk.create("admin", "team", contact_name="王五", phone="13700137000").id,
        ]
        for lead_id in ids:
            world.desk.release("admin", lead_id) if world.desk.get(
                "admin", lead_id
            ).owner_id else None
        result = world.desk.distribute("admin", ids, "rr")
        owners = {o.lead_id: o.lead.owner_id for o in result.outcomes if o.lead is not None}
        assert len(owners) == 4
        assert owners[ids[0]] == owners[ids[2]]
        assert len({owners[ids[0]], owners[ids[1]], owners[ids[3]]}) == 3
