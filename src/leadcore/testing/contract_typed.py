"""The store contract, typed records: grants (by user, lead and expiry), ownership records
(counted by time and pool) and away periods (replaced whole). ``LeadStoreContract`` includes
these tests."""

from __future__ import annotations

from datetime import timedelta

import attrs
import pytest

from leadcore.errors import NotFound, ValidationError
from leadcore.records import Away, GrantStatus, OwnershipChange, OwnershipRecord
from leadcore.storage.protocol import LeadStore
from leadcore.testing.factories import EPOCH, make_grant

__all__ = ["TypedRecordContract"]


class TypedRecordContract:
    """Tests of ``put_grant``/``grants_of``, ``add_ownership_record``/``count_ownership``/
    ``last_ownership`` and ``set_away``/``away_periods``."""

    def make_store(self) -> LeadStore:
        """Return a new, empty store for one test."""
        raise NotImplementedError("subclass the contract and implement make_store()")

    # --- grants ----------------------------------------------------------------------------------
    def test_grants_by_user_lead_and_expiry(self) -> None:
        store = self.make_store()
        active = make_grant("G1", "u1", "L1", hours=3)
        expired = make_grant("G2", "u1", "L2", hours=1)
        pending = make_grant("G3", "u1", "L1", approved=False)
        with store.unit_of_work() as uow:
            for grant in (active, expired, pending, make_grant("G4", "u2", "L1")):
                uow.put_grant(grant)
            uow.commit()
        later = EPOCH + timedelta(hours=2)
        with store.unit_of_work() as uow:
            assert uow.get_grant("G1") == active
            with pytest.raises(NotFound):
                uow.get_grant("G404")
            assert [g.id for g in uow.grants_of("u1")] == ["G1", "G2", "G3"]
            assert [g.id for g in uow.grants_of("u1", lead_id="L1")] == ["G1", "G3"]
            assert [g.id for g in uow.grants_of("u1", active_at=later)] == ["G1"]
            assert uow.grants_of("u1", lead_id="L2", active_at=later) == []
            revoked = attrs.evolve(active, status=GrantStatus.REVOKED, expires_at=later)
            uow.put_grant(revoked)
            assert uow.grants_of("u1", active_at=later) == []
            assert uow.get_grant("G1") == revoked
            with pytest.raises(ValidationError):
                uow.put_grant(attrs.evolve(active, grantee_id="u2"))

    def test_a_grant_ends_at_its_expiry_and_keeps_its_lead(self) -> None:
        store = self.make_store()
        late = make_grant("G1", "u1", "L1", hours=3, start=EPOCH + timedelta(hours=1))
        early = make_grant("G2", "u1", "L1", hours=2)
        with store.unit_of_work() as uow:
            uow.put_grant(late)
            uow.put_grant(early)
            uow.commit()
        ends = EPOCH + timedelta(hours=2)
        with store.unit_of_work() as uow:
            assert uow.grants_of("u1") == [early, late], "oldest request first"
            assert uow.grants_of("u1", lead_id="L1") == [early, late]
            just_before = ends - timedelta(microseconds=1)
            assert uow.grants_of("u1", active_at=just_before) == [early, late]
            assert uow.grants_of("u1", active_at=ends) == [late], "over at its expiry"
            with pytest.raises(ValidationError):
                uow.put_grant(attrs.evolve(early, lead_id="L9"))
            assert uow.grants_of("u1", lead_id="L9") == []
            revoked = attrs.evolve(late, status=GrantStatus.REVOKED, revoked_by="u9")
            uow.put_grant(revoked)
            assert uow.grants_of("u1", active_at=just_before) == [early]
            assert uow.grants_of("u1", lead_id="L1") == [early, revoked]

    # --- ownership records -------------------------------------------------------------------------
    def test_ownership_records_count_by_time_and_pool(self) -> None:
        store = self.make_store()

        def record(
            hours: int, change: OwnershipChange, pool: str = "pool-a", lead: str = "L1"
        ) -> OwnershipRecord:
            return OwnershipRecord("u1", lead, pool, EPOCH + timedelta(hours=hours), change)

        with store.unit_of_work() as uow:
            for r in (
                record(1, OwnershipChange.CLAIMED),
                record(5, OwnershipChange.CLAIMED, "pool-b", "L2"),
                record(3, OwnershipChange.RELEASED),
                record(2, OwnershipChange.ASSIGNED, lead="L3"),
                record(6, OwnershipChange.RELEASED),
            ):
                uow.add_ownership_record(r)
            uow.commit()
        with store.unit_of_work() as uow:
            claimed = (OwnershipChange.CLAIMED,)
            assert uow.count_ownership("u1", changes=claimed, since=EPOCH) == 2
            assert uow.count_ownership("u1", changes=claimed, since=EPOCH + timedelta(hours=2)) == 1
            assert uow.count_ownership("u1", changes=claimed, since=EPOCH, pool_id="pool-a") == 1
            both = (OwnershipChange.CLAIMED, OwnershipChange.ASSIGNED)
            assert uow.count_ownership("u1", changes=both, since=EPOCH) == 3
            assert uow.count_ownership("u2", changes=both, since=EPOCH) == 0
            last = uow.last_ownership("u1", "L1", OwnershipChange.RELEASED)
            assert last == EPOCH + timedelta(hours=6)
            assert uow.last_ownership("u1", "L2", OwnershipChange.RELEASED) is None

    def test_ownership_counts_include_their_moment_and_the_latest_is_last(self) -> None:
        store = self.make_store()
        one, three = EPOCH + timedelta(hours=1), EPOCH + timedelta(hours=3)
        with store.unit_of_work() as uow:
            for at in (three, one):  # added out of time order
                uow.add_ownership_record(
                    OwnershipRecord("u1", "L1", "pool-a", at, OwnershipChange.CLAIMED)
                )
            uow.commit()
        claimed = (OwnershipChange.CLAIMED,)
        with store.unit_of_work() as uow:
            assert uow.count_ownership("u1", changes=claimed, since=one) == 2
            assert uow.count_ownership("u1", changes=claimed, since=three) == 1
            after = three + timedelta(microseconds=1)
            assert uow.count_ownership("u1", changes=claimed, since=after) == 0
            assert uow.last_ownership("u1", "L1", OwnershipChange.CLAIMED) == three

    # --- away periods ------------------------------------------------------------------------------
    def test_away_periods_replace_and_clear(self) -> None:
        store = self.make_store()
        first = Away("u1", EPOCH + timedelta(days=2), EPOCH + timedelta(days=3), "年假")
        second = Away("u1", EPOCH, EPOCH + timedelta(days=1))
        with store.unit_of_work() as uow:
            uow.set_away("u1", [first, second])
            with pytest.raises(ValidationError, match=r"periods\[0\]\.user_id"):
                uow.set_away("u2", [first])
            uow.commit()
        with store.unit_of_work() as uow:
            assert uow.away_periods(["u1", "u2"]) == {"u1": [second, first]}
            uow.set_away("u1", [])
            assert uow.away_periods(["u1"]) == {}

    def test_away_periods_are_replaced_not_added(self) -> None:
        store = self.make_store()
        days = [EPOCH + timedelta(days=n) for n in range(6)]
        first, second = Away("u1", days[0], days[1]), Away("u1", days[2], days[3])
        third = Away("u1", days[4], days[5], "出差")
        with store.unit_of_work() as uow:
            uow.set_away("u1", [first, second])
            uow.commit()
        with store.unit_of_work() as uow:
            uow.set_away("u1", [third])
            assert uow.away_periods(["u1"]) == {"u1": [third]}
            uow.commit()
        with store.unit_of_work() as uow:
            assert uow.away_periods(["u1"]) == {"u1": [third]}
            uow.set_away("u1", [])
        with store.unit_of_work() as uow:
            assert uow.away_periods(["u1"]) == {"u1": [third]}, "a rolled back clear is undone"
