"""Shared test set-up: hypothesis profiles (fast locally, thorough in CI) and the shared world."""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, settings

from leadcore import MemoryStore
from leadcore.testing.world import World, make_world

settings.register_profile(
    "dev", max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile(
    "ci", max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))


@pytest.fixture
def world() -> World:
    """The shared organisation's desk over a fresh MemoryStore (pools east, north, off)."""
    return make_world(MemoryStore())
