"""The store contract, third part: the duplicate-key index and moving follow-ups.

A store keeps every lead's duplicate keys (read with its ``normaliser``) and finds leads by key
in one lookup. These tests check that the index follows every add, save, delete, rollback and
savepoint, that it agrees with reading the keys of every stored lead, and that a follow-up can
move to another lead and back.
"""

from __future__ import annotations

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from leadcore.dedup import DedupKey
from leadcore.errors import NotFound, ValidationError
from leadcore.model import Lead, LeadStatus
from leadcore.storage.protocol import LeadStore
from leadcore.testing.factories import make_follow_up, make_lead, stored
from leadcore.testing.strategies import per_store_settings

__all__ = ["KeyIndexContract"]

_per_store = per_store_settings()

_PHONES = ("+8613800138000", "+8613900139000", "+861012345678", None)
_EMAILS = ("zhang@qq.com", "Zhang@QQ.com", "li@163.com", None)
_COMPANIES = ("北京星河科技有限公司", "星河（北京）科技有限公司", "上海星河科技有限公司", "")
_WECHATS = ("zhangsan_88", "ZhangSan_88", None)


class _Failure(Exception):
    """Raised on purpose inside a unit of work."""


def _contact_leads() -> st.SearchStrategy[list[Lead]]:
    one = st.builds(
        lambda phone, email, company, wechat: (phone, email, company, wechat),
        st.sampled_from(_PHONES),
        st.sampled_from(_EMAILS),
        st.sampled_from(_COMPANIES),
        st.sampled_from(_WECHATS),
    )
    return st.lists(one, max_size=8).map(
        lambda rows: [
            make_lead(f"L{i}", phone=p, email=e, company=c, wechat=w)
            for i, (p, e, c, w) in enumerate(rows)
        ]
    )


class KeyIndexContract:
    """The duplicate-key index and follow-up moves; part of ``LeadStoreContract``."""

    def make_store(self) -> LeadStore:
        """Return a new, empty store for one test."""
        raise NotImplementedError("subclass the contract and implement make_store()")

    def _stored(self, *leads: Lead) -> LeadStore:
        return stored(self.make_store(), *leads)

    def _key(self, store: LeadStore, kind: str, value: str) -> DedupKey:
        key = store.normaliser.key(kind, value)
        assert key is not None
        return key

    def test_a_lead_is_found_by_each_key_however_it_is_spelled(self) -> None:
        store = self._stored(
            make_lead(
                "L1",
                phone="+8613800138000",
                email="Zhang.San@QQ.com",
                company="北京星河科技有限公司",
                wechat="ZhangSan_88",
            ),
            make_lead("L2", company="上海星河科技有限公司"),
            make_lead("L3", phone="+8613800138000"),
        )
        phone = self._key(store, "phone", "138 0013 8000")
        email = self._key(store, "email", " zhang.san@qq.com ")
        company = self._key(store, "company", "星河（北京）科技有限公司")
        wechat = self._key(store, "wechat", "zhangsan_88")
        nobody = self._key(store, "phone", "13900139000")
        with store.unit_of_work() as uow:
            found = uow.leads_by_key([phone, email, company, wechat, nobody])
            assert found == {
                phone: ("L1", "L3"),
                email: ("L1",),
                company: ("L1",),
                wechat: ("L1",),
            }
            assert uow.keys_of(["L1", "L2", "L404"]) == {
                "L1": (phone, email, company, wechat),
                "L2": (self._key(store, "company", "上海星河科技有限公司"),),
            }
            assert uow.leads_by_key([]) == {}

    def test_keys_follow_saves_deletes_and_merges(self) -> None:
        store = self._stored(make_lead("L1", phone="+8613800138000"), make_lead("L2"))
        old = self._key(store, "phone", "13800138000")
        new = self._key(store, "phone", "13900139000")
        with store.unit_of_work() as uow:
            lead = uow.get_lead("L1")
            saved = uow.save_lead(attrs.evolve(lead, phone="+8613900139000"), expected_version=1)
            assert uow.leads_by_key([old, new]) == {new: ("L1",)}
            saved = uow.save_lead(attrs.evolve(saved, contact_name="张三"), expected_version=2)
            assert uow.leads_by_key([new]) == {new: ("L1",)}
            merged = attrs.evolve(saved, status=LeadStatus.MERGED, merged_into="L2")
            uow.save_lead(merged, expected_version=3)
            assert uow.leads_by_key([new]) == {new: ("L1",)}, "a merged lead keeps its keys"
            uow.delete_lead("L1", expected_version=4)
            assert uow.leads_by_key([old, new]) == {}
            assert uow.keys_of(["L1"]) == {}
            uow.commit()

    def test_rollback_and_savepoints_put_the_index_back(self) -> None:
        store = self._stored(make_lead("L1", phone="+8613800138000"))
        old = self._key(store, "phone", "13800138000")
        new = self._key(store, "phone", "13900139000")
        with store.unit_of_work() as uow:
            lead = uow.get_lead("L1")
            uow.save_lead(attrs.evolve(lead, phone="+8613900139000"), expected_version=1)
            uow.add_lead(make_lead("L2", phone="+8613800138000"))
        with store.unit_of_work() as uow:
            assert uow.leads_by_key([old, new]) == {old: ("L1",)}
            with pytest.raises(_Failure), uow.savepoint():
                uow.add_lead(make_lead("L3", phone="+8613900139000"))
                uow.delete_lead("L1", expected_version=1)
                raise _Failure
            assert uow.leads_by_key([old, new]) == {old: ("L1",)}

    def test_keys_must_be_keys(self) -> None:
        store = self.make_store()
        with store.unit_of_work() as uow:
            for junk in ("phone:+8613800138000", [object()], 7):
                with pytest.raises(ValidationError):
                    uow.leads_by_key(junk)  # type: ignore[arg-type]

    @_per_store
    @given(_contact_leads(), st.data())
    def test_the_index_agrees_with_reading_every_lead(
        self, leads: list[Lead], data: st.DataObject
    ) -> None:
        store = self._stored(*leads)
        current = {lead.id: lead for lead in leads}
        with store.unit_of_work() as uow:
            for lead in leads:
                action = data.draw(st.sampled_from(("keep", "swap", "delete")))
                if action == "swap" and leads:
                    other = data.draw(st.sampled_from(leads))
                    changed = attrs.evolve(
                        lead, phone=other.phone, email=other.email, company=other.company
                    )
                    current[lead.id] = uow.save_lead(changed, expected_version=1)
                elif action == "delete":
                    uow.delete_lead(lead.id, expected_version=1)
                    del current[lead.id]
            uow.commit()
        expected: dict[DedupKey, set[str]] = {}
        for lead in current.values():
            for key in store.normaliser.keys(lead):
                expected.setdefault(key, set()).add(lead.id)
        with store.unit_of_work() as uow:
            found = uow.leads_by_key(list(expected))
            assert {k: set(v) for k, v in found.items()} == expected
            assert all(list(v) == sorted(v) for v in found.values())
            assert uow.keys_of(list(current)) == {
                i: store.normaliser.keys(lead)
                for i, lead in current.items()
                if store.normaliser.keys(lead)
            }

    # --- moving follow-ups ---------------------------------------------------------------------
    def test_a_follow_up_moves_to_another_lead_and_back(self) -> None:
        store = self._stored(make_lead("L1"), make_lead("L2"))
        with store.unit_of_work() as uow:
            original = uow.add_follow_up(make_follow_up("F1", "L1"))
            uow.add_follow_up(make_follow_up("F2", "L2"))
            moved = uow.move_follow_up("F1", "L2")
            assert moved == attrs.evolve(original, lead_id="L2")
            assert uow.follow_ups("L1") == []
            assert {f.id for f in uow.follow_ups("L2")} == {"F1", "F2"}
            assert uow.get_follow_up("F1") == moved
            with pytest.raises(NotFound):
                uow.move_follow_up("F404", "L1")
            with pytest.raises(NotFound):
                uow.move_follow_up("F1", "L404")
            uow.commit()
        with store.unit_of_work() as uow:
            uow.move_follow_up("F1", "L1")
        with store.unit_of_work() as uow:
            assert uow.get_follow_up("F1").lead_id == "L2", "an uncommitted move is undone"
            assert uow.move_follow_up("F1", "L1") == original
            assert uow.follow_ups("L1") == [original]
