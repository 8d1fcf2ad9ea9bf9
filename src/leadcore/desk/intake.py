"""The desk's intake methods: import, duplicates of a lead, merge suggestions, merge and
unmerge. ``LeadDesk`` takes them from :class:`IntakeMethods`; each builds its plan and hands
it to the runner, like every other desk method."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar, Unpack

from leadcore import checks
from leadcore.dedup import DuplicatePolicies, DuplicatePolicy
from leadcore.errors import FieldProblem, ValidationError
from leadcore.importing import ColumnMapping, ImportReport
from leadcore.model import IdCollection, Lead

from .arguments import LeadFields
from .plans.creating import Create
from .plans.duplicates import Attached, duplicate_error
from .plans.import_runs import ImportProgress, run_import
from .plans.merging import Merge, SurvivorRule, Unmerge
from .plans.suggestions import DismissSuggestion, MergeSuggestion, merge_suggestions
from .reads import Reads
from .runner import Operation, Runner
from .setup import Setup

__all__ = ["IntakeMethods", "policies"]

T = TypeVar("T")


def policies(given: object) -> DuplicatePolicies:
    """The duplicate policies a desk was given (one policy applies to every pool)."""
    if given is None:
        return DuplicatePolicies()
    if isinstance(given, DuplicatePolicy):
        return DuplicatePolicies.everywhere(given)
    if isinstance(given, DuplicatePolicies):
        return given
    raise ValidationError(
        [FieldProblem("duplicates", "must be a DuplicatePolicy, DuplicatePolicies or None")]
    )


class IntakeMethods:
    """Importing, duplicates and merging on the desk (mixed into ``LeadDesk``)."""

    setup: Setup
    _runner: Runner

    def _run(self, command: Callable[..., Operation[Any, T]], **arguments: Any) -> T:
        raise NotImplementedError

    def _read(self, question: Callable[[Reads], T]) -> T:
        raise NotImplementedError

    def create(
        self,
        actor_id: str,
        pool_id: str,
        *,
        custom_fields: Mapping[str, object] | None = None,
        owner_id: str | None = None,
        **fields: Unpack[LeadFields],
    ) -> Lead:
        """Create a lead in a pool and give it its first owner by the pool's rules. Pool off: the
        creator owns it. On: the default owner, else the pool strategy's choice, else nobody (a
        pool admin assigns it); an ineligible owner leaves it unassigned, with an event saying
        why. With ``owner_id``, whoever may assign the pool's leads creates it assigned to that
        user, who must be eligible as for ``assign``. ``ValidationError`` names every bad field
        at once.

        The pool's duplicate policy applies: under ``reject`` a match raises ``DuplicateLead``
        (nothing is written); under ``flag`` the lead is created with a
        ``duplicate_suspected`` event; under ``attach`` no lead is created, the details are
        added to the existing lead as an activity, and ``DuplicateLead`` with ``attached``
        set says so. A match the actor may not view is named only by its owner and the
        matching detail masked."""
        made = self._run(
            Create,
            actor_id=actor_id,
            pool_id=pool_id,
            fields=dict(fields),
            custom_fields=custom_fields,
            owner_id=owner_id,
        )
        if isinstance(made, Attached):
            raise duplicate_error(made.match, attached=True)
        return made

    def import_leads(
        self,
        actor_id: str,
        pool_id: str,
        rows: object,
        *,
        mapping: ColumnMapping | Mapping[str, str | None] | None = None,
        encoding: str = "utf-8",
        chunk_size: int = 500,
        progress: Callable[[ImportProgress], object] | None = None,
    ) -> ImportReport:
        """Import leads (批量导入) into a pool and account for every row.

        ``rows`` is an iterable of dicts (column → value) or a CSV file (a ``Path``, bytes or
        an open file) in ``encoding`` (``utf-8``, with or without BOM, or ``gbk``).
        ``mapping`` says which column holds which field (default: common Chinese and English
        headers). Each row is converted, validated with the pool's rules and checked against
        the pool's duplicate policy, in chunks of ``chunk_size`` rows, each chunk one unit of
        work; ``progress`` is called after each chunk. The report says for every row whether
        it was created, a duplicate (of which lead, by which key, also within the file),
        rejected (why) or failed: ``created + duplicates + rejected + failed == rows read``.
        A chunk in which the customer directory fails (it is the host's, outside the unit of
        work) is undone and its rows are reported *failed*, with the directory's error, to be
        imported again; the chunks before it stay imported and the import goes on. Only a
        source that cannot be read (a CSV header naming one column twice, two columns filling
        one field, a header naming no known column, a quote never closed, a UTF-8 or UTF-16
        file given as GBK), a bad argument (a mapping naming a column the source lacks or an
        undeclared custom field), or an importer who may not create leads in the pool
        raises, before any row is imported. Only created rows take a lead id."""
        return run_import(
            self._runner,
            self.setup,
            actor_id,
            pool_id,
            rows,
            mapping=mapping,
            encoding=encoding,
            chunk_size=chunk_size,
            progress=progress,
        )

    # --- duplicates and merging ----------------------------------------------------------------
    def merge_suggestions(self, actor_id: str, pool_id: str) -> list[MergeSuggestion]:
        """The pool's open leads that share a company, phone, email or WeChat id, grouped with
        the reason, among those the actor may see and merge; dismissed groups are left out.
        Accept one with :meth:`merge`, or :meth:`dismiss_suggestion`."""
        return self._read(lambda reads: merge_suggestions(reads, actor_id, pool_id))

    def dismiss_suggestion(self, actor_id: str, pool_id: str, lead_ids: IdCollection) -> None:
        """Remember that these leads are not duplicates: they are not suggested together
        again (the actor must be allowed to merge each)."""
        self._run(DismissSuggestion, actor_id=actor_id, pool_id=pool_id, lead_ids=lead_ids)

    def merge(
        self,
        actor_id: str,
        lead_ids: IdCollection,
        *,
        survivor_id: str | None = None,
        rule: SurvivorRule | None = None,
    ) -> Lead:
        """Merge duplicates into one lead (pool admins and system admins), in one unit of work.
        The survivor is ``survivor_id``, else the first by ``rule`` (default: the lead followed
        up most recently). Its empty fields are filled from the others, their collaborators,
        followers and follow-ups move to it, an open survivor takes the soonest due date of the
        open leads merged when it is sooner than its own (no promise is lost), and the others
        become read-only ``merged`` leads pointing at it. Returns the survivor; :meth:`unmerge`
        undoes it."""
        return self._run(
            Merge,
            actor_id=actor_id,
            lead_ids=tuple(checks.identifier_list(lead_ids, "lead_ids")),
            survivor_id=survivor_id,
            rule=rule,
        )

    def unmerge(self, actor_id: str, lead_id: str) -> Lead:
        """Undo the latest merge into ``lead_id`` (the survivor or one it merged): the merged
        leads (each due again on its own date), the survivor's filled fields and due date and
        the follow-ups are restored exactly; what was changed since the merge keeps the
        change. Returns the survivor."""
        return self._run(Unmerge, actor_id=actor_id, lead_id=lead_id)
