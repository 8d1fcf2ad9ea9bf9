"""Every ``LeadcoreError`` pickles whole, so an error raised in a worker process (a pool of
processes, a task queue) reaches the parent as itself, with its attributes."""

from __future__ import annotations

import pickle
from datetime import UTC, datetime

import pytest

from leadcore.errors import (
    AlreadyClaimed,
    AlreadyExists,
    ConcurrencyConflict,
    ConfigError,
    DuplicateLead,
    FieldProblem,
    InvalidTransition,
    LeadcoreError,
    LimitReached,
    NoOwnerFound,
    NotFound,
    PermissionDenied,
    ValidationError,
)
from leadcore.storage.sqlite_errors import StoreFileError, StoreLocked

ERRORS: list[LeadcoreError] = [
    LeadcoreError("plain"),
    ValidationError([FieldProblem("phone", "must be text")], subject="lead"),
    ConfigError("$.pools[0]", "unknown key", [FieldProblem("$.pools[0].x", "unknown key")]),
    NotFound("lead", "L1"),
    NoOwnerFound("L1", "round_robin", "everyone is away", {"bob": "away"}),
    PermissionDenied("bob", "claim", "lead L1", "not a member"),
    LimitReached(
        "bob", "open", "pool 华东", count=5, limit=5, resets_at=datetime(2026, 3, 6, tzinfo=UTC)
    ),
    InvalidTransition("L1", "converted", "claim", ["view"]),
    ConcurrencyConflict("lead", "L1", 2, 3),
    AlreadyClaimed("L1", "amy"),
    AlreadyExists("pool", "east"),
    DuplicateLead("phone", "138****8000", None, owner_id="amy"),
    StoreLocked("/tmp/leads.db", 15.0),
    StoreFileError("/tmp/leads.db", "corrupt"),
]


@pytest.mark.parametrize("error", ERRORS, ids=lambda e: type(e).__name__)
def test_an_error_pickles_with_its_message_and_attributes(error: LeadcoreError) -> None:
    again = pickle.loads(pickle.dumps(error))
    assert type(again) is type(error)
    assert str(again) == str(error)
    assert vars(again) == vars(error)
