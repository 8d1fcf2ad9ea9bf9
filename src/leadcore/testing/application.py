"""The desk's application test case: every desk behaviour, run on the store you make.

Subclass in a pytest module and say how to make a fresh, empty store::

    from leadcore.testing import DeskApplicationCase

    class TestDeskOnMyStore(DeskApplicationCase):
        def make_store(self) -> MyStore:
            return MyStore(...)

pytest then runs every desk test (operations, views, assignment, scoring, conversion,
concurrency, the permission properties, duplicates, imports and merging, the pools' clocks and
the sweep, quotas and schedules, and what follows from any change: conditions, due dates, the
learned grade; and the edges: bad arguments, calls that change nothing, what a refusal may
tell) against a desk over ``MyStore``.
"""

from __future__ import annotations

from leadcore.testing.desk_assignment import AssignmentCase
from leadcore.testing.desk_concurrency import ConcurrencyCase
from leadcore.testing.desk_conversion import ConversionCase
from leadcore.testing.desk_edges import EdgesCase
from leadcore.testing.desk_followups import FollowUpCase
from leadcore.testing.desk_intake import IntakeCase
from leadcore.testing.desk_merging import MergingCase
from leadcore.testing.desk_operations import OperationsCase
from leadcore.testing.desk_peers import PeersCase
from leadcore.testing.desk_pools import PoolsCase
from leadcore.testing.desk_properties import PropertiesCase
from leadcore.testing.desk_reactions import ReactionsCase
from leadcore.testing.desk_regressions import RegressionsCase
from leadcore.testing.desk_scoring import ScoringCase
from leadcore.testing.desk_sla import SlaCase
from leadcore.testing.desk_views import ViewsCase

__all__ = ["DeskApplicationCase"]


class DeskApplicationCase(
    OperationsCase,
    ViewsCase,
    AssignmentCase,
    ScoringCase,
    ConversionCase,
    ConcurrencyCase,
    PropertiesCase,
    IntakeCase,
    MergingCase,
    SlaCase,
    FollowUpCase,
    PeersCase,
    PoolsCase,
    ReactionsCase,
    EdgesCase,
    RegressionsCase,
):
    """Subclass with ``make_store`` returning a fresh, empty store; pytest runs the tests."""
