"""``MemoryStore``'s follow-up records and duplicate-key reads, as unit-of-work methods.

The records themselves live on the store (``_follow_ups`` by id, ``_follow_ups_by_lead`` by
lead, in insertion order); every write registers its undo before it changes anything.
"""

from __future__ import annotations

from typing import Protocol

import attrs

from leadcore.dedup import DedupKey
from leadcore.errors import AlreadyExists, NotFound
from leadcore.model import FollowUp
from leadcore.storage import arguments as args
from leadcore.storage.memory_index import LeadIndex
from leadcore.storage.memory_records import Undo
from leadcore.storage.memory_times import FollowUpTimes

__all__ = ["FollowUpMethods"]


class _Holds(Protocol):
    """What these methods need of the store."""

    leads: LeadIndex
    _follow_ups: dict[str, FollowUp]
    _follow_ups_by_lead: dict[str, dict[str, None]]
    follow_up_times: FollowUpTimes


class FollowUpMethods:
    """The unit of work's follow-up methods and duplicate-key reads (see ``UnitOfWork``)."""

    _s: _Holds

    def _check_open(self) -> None:
        raise NotImplementedError

    def _will(self, undo: Undo) -> None:
        raise NotImplementedError

    def add_follow_up(self, follow_up: FollowUp) -> FollowUp:
        """See ``UnitOfWork.add_follow_up``."""
        self._check_open()
        follow_up = args.follow_up(follow_up)
        s = self._s
        if follow_up.lead_id not in s.leads.leads:
            raise NotFound("lead", follow_up.lead_id)
        if follow_up.id in s._follow_ups:
            raise AlreadyExists("follow-up", follow_up.id)

        def undo() -> None:
            s._follow_ups.pop(follow_up.id, None)
            ids = s._follow_ups_by_lead.get(follow_up.lead_id, {})
            ids.pop(follow_up.id, None)
            if not ids:
                s._follow_ups_by_lead.pop(follow_up.lead_id, None)

        self._will(undo)
        s.follow_up_times.add(follow_up, self._will)
        s._follow_ups[follow_up.id] = follow_up
        s._follow_ups_by_lead.setdefault(follow_up.lead_id, {})[follow_up.id] = None
        return follow_up

    def save_follow_up(self, follow_up: FollowUp) -> FollowUp:
        """See ``UnitOfWork.save_follow_up``."""
        self._check_open()
        follow_up = args.follow_up(follow_up)
        records = self._s._follow_ups
        old = records.get(follow_up.id)
        if old is None or old.lead_id != follow_up.lead_id:
            raise NotFound("follow-up", follow_up.id)
        self._will(lambda: records.__setitem__(old.id, old))
        self._s.follow_up_times.replace(old, follow_up, self._will)
        records[follow_up.id] = follow_up
        return follow_up

    def get_follow_up(self, follow_up_id: str) -> FollowUp:
        """See ``UnitOfWork.get_follow_up``."""
        self._check_open()
        try:
            return self._s._follow_ups[args.an_id(follow_up_id, "follow_up_id")]
        except KeyError:
            raise NotFound("follow-up", follow_up_id) from None

    def follow_ups(self, lead_id: str) -> list[FollowUp]:
        """See ``UnitOfWork.follow_ups``."""
        self._check_open()
        s = self._s
        lead_id = args.an_id(lead_id, "lead_id")
        found = [s._follow_ups[i] for i in s._follow_ups_by_lead.get(lead_id, ())]
        found.sort(key=lambda f: (f.at, f.id))
        return found

    def move_follow_up(self, follow_up_id: str, lead_id: str) -> FollowUp:
        """See ``UnitOfWork.move_follow_up``."""
        self._check_open()
        s = self._s
        follow_up_id = args.an_id(follow_up_id, "follow_up_id")
        lead_id = args.an_id(lead_id, "lead_id")
        old = s._follow_ups.get(follow_up_id)
        if old is None:
            raise NotFound("follow-up", follow_up_id)
        if lead_id not in s.leads.leads:
            raise NotFound("lead", lead_id)
        if old.lead_id == lead_id:
            return old
        new = attrs.evolve(old, lead_id=lead_id)

        def undo() -> None:
            _unfile(s._follow_ups_by_lead, new)
            s._follow_ups[old.id] = old
            s._follow_ups_by_lead.setdefault(old.lead_id, {})[old.id] = None

        self._will(undo)
        _unfile(s._follow_ups_by_lead, old)
        s._follow_ups[new.id] = new
        s._follow_ups_by_lead.setdefault(lead_id, {})[new.id] = None
        return new

    # --- duplicate keys ------------------------------------------------------------------------
    def leads_by_key(self, keys: object) -> dict[DedupKey, tuple[str, ...]]:
        """See ``UnitOfWork.leads_by_key``."""
        self._check_open()
        return self._s.leads.keys.leads_by_key(keys)

    def keys_of(self, lead_ids: object) -> dict[str, tuple[DedupKey, ...]]:
        """See ``UnitOfWork.keys_of``."""
        self._check_open()
        return self._s.leads.keys.keys_of(lead_ids)


def _unfile(by_lead: dict[str, dict[str, None]], follow_up: FollowUp) -> None:
    ids = by_lead.get(follow_up.lead_id)
    if ids is None:
        return
    ids.pop(follow_up.id, None)
    if not ids:
        del by_lead[follow_up.lead_id]
