"""The errors of conversion: a customer that already exists, a conversion key bound to another
customer, and a directory that failed midway."""

from __future__ import annotations

from collections.abc import Sequence

from leadcore.errors import AlreadyExists, LeadcoreError

from .records import CustomerMatch

__all__ = ["DirectoryConflict", "DirectoryFailed", "DuplicateCustomer", "ExistingCustomer"]


class DuplicateCustomer(AlreadyExists):
    """Raised when a conversion to a new customer matches existing customers by a normalised
    name, phone or email; ``matches`` lists each (link to one with ``customer_id=`` instead)."""

    def __init__(self, lead_id: str, matches: Sequence[CustomerMatch]) -> None:
        self.lead_id = lead_id
        self.matches = tuple(matches)
        first = self.matches[0].customer_id if self.matches else ""
        listed = "; ".join(str(m) for m in self.matches)
        LeadcoreError.__init__(
            self,
            f"lead {lead_id!r} matches an existing customer: {listed}; "
            f"convert it with customer_id={first!r} to link to the customer instead",
        )
        self.kind = "customer"
        self.id = first


class DirectoryConflict(LeadcoreError, RuntimeError):
    """Raised when a conversion key is already bound to another customer than the one this
    conversion wants (an earlier attempt chose differently, or two conversions race): the
    earlier binding stands and nothing more is written."""

    def __init__(self, key: str, bound: str, wanted: str) -> None:
        self.key = key
        self.bound = bound
        self.wanted = wanted
        super().__init__(
            f"conversion {key!r} is already bound to {bound}, not {wanted}; retry the "
            "conversion with the same target, or undo the earlier one in the customer directory"
        )


class DirectoryFailed(LeadcoreError, RuntimeError):
    """Raised when the customer directory itself fails, or answers with something the
    ``CustomerDirectory`` protocol does not promise (``call`` names the call, the original
    error is the ``__cause__``; ``after`` says what that left behind). During a conversion the
    lead is left unconverted, and running the same conversion again is safe: every call is
    idempotent by the conversion key."""

    def __init__(
        self,
        doing: str,
        call: str,
        error: BaseException,
        *,
        after: str = "nothing was marked, and retrying is safe",
    ) -> None:
        self.doing = doing
        self.call = call
        self.after = after
        super().__init__(
            f"the customer directory failed at {call} while {doing} "
            f"({type(error).__name__}: {error}); {after}"
        )


class ExistingCustomer(AlreadyExists):
    """Raised when a new lead's details already belong to an existing customer (the intake
    duplicate check, under a ``reject`` or ``attach`` policy, looks at the customer directory
    too): "phone +8613800138000 already belongs to customer 星河科技 (C1), owned by bob".
    ``matches`` lists each customer found."""

    def __init__(self, matches: Sequence[CustomerMatch]) -> None:
        self.matches = tuple(matches)
        listed = "; ".join(str(m) for m in self.matches)
        LeadcoreError.__init__(
            self,
            f"not created: {listed}; add the details on the customer's side instead",
        )
        self.kind = "customer"
        self.id = self.matches[0].customer_id if self.matches else ""
