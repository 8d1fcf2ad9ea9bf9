"""Export and display: records, DataFrames and tables from leads, events, follow-ups and
every desk result, with labels in Chinese or English by a setting.

* ``to_records()`` — on ``Page``, ``BatchResult``, ``History``, ``FollowUps``, ``Score`` and
  ``Breakdown``, ``PoolSummary`` — is a list of plain ``dict``s with stable keys and JSON-ready
  values; ``Lead``, ``Event`` and ``FollowUp`` have ``to_record()``.
* ``to_dataframe()`` is the same as a pandas DataFrame (the ``pandas`` extra; ``MissingExtra``
  names it when pandas is not installed — importing leadcore never needs pandas).
* ``labels="value" | "zh" | "en"`` on each; left out, :func:`get_labels`, which
  :func:`set_labels` changes (and which ``str()`` and notebook tables use).
* A new result type plugs in by declaring its :class:`Columns` and mixing in
  :class:`Exportable`.
"""

from leadcore.export.columns import Column, Columns, Exportable, Kind, MissingExtra, Record
from leadcore.export.display import event_repr, id_list, lead_repr, short, status_text
from leadcore.export.settings import LABELS, Labels, get_labels, resolve_labels, set_labels
from leadcore.export.shapes import EVENT_COLUMNS, FOLLOW_UP_COLUMNS, LEAD_COLUMNS
from leadcore.export.values import cell, enum_text, plain

__all__ = [
    "EVENT_COLUMNS",
    "FOLLOW_UP_COLUMNS",
    "LABELS",
    "LEAD_COLUMNS",
    "Column",
    "Columns",
    "Exportable",
    "Kind",
    "Labels",
    "MissingExtra",
    "Record",
    "cell",
    "enum_text",
    "event_repr",
    "get_labels",
    "id_list",
    "lead_repr",
    "plain",
    "resolve_labels",
    "set_labels",
    "short",
    "status_text",
]
