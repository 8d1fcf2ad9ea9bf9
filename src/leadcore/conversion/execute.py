"""Running a :class:`ConversionRequest` against a directory: the steps, in order, each
idempotent by the request's key, each answer checked against what was asked.

1. bind the key to the customer: ``create_customer`` (a new one) or ``link_customer``;
2. ``create_contact`` from the lead's person (unless a matching contact is associated);
3. ``create_deal``, if asked;
4. ``attach`` the follow-ups with their attachment references;
5. ``add_collaborators`` (the lead's owner, when the customer is someone else's), then the
   customer read back, so the receipt shows it as the directory now holds it.

The first step decides: if the key is already bound to another customer than this request
wants (an earlier attempt chose differently, or a concurrent conversion won), it raises
``DirectoryConflict`` before anything else is written. A directory error that is not a
``LeadcoreError``, or an answer that is not what the protocol promises (another type, a
record without an id, another customer than the one asked for), becomes ``DirectoryFailed``
naming the step. Either way nothing on the lead changes, and the same request run again
carries on where the last attempt stopped.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from leadcore.errors import LeadcoreError

from .directory import CustomerDirectory
from .errors import DirectoryConflict, DirectoryFailed
from .records import Contact, Customer, Deal
from .request import ConversionReceipt, ConversionRequest

WRONG_ANSWER = (
    "nothing was marked; the directory answered outside the CustomerDirectory protocol, "
    "so a retry fails the same way until the directory is fixed"
)
"""What ``DirectoryFailed`` adds when the directory answered, but not as promised."""

__all__ = ["STEPS", "WRONG_ANSWER", "asked_for", "directory_call", "execute", "record_problem"]

T = TypeVar("T")

STEPS = (
    "create_customer",
    "link_customer",
    "create_contact",
    "create_deal",
    "attach",
    "add_collaborators",
)
"""The directory calls a conversion makes (``create_customer`` or ``link_customer`` first)."""


def directory_call(
    doing: str,
    step: str,
    expected: type[T],
    function: Callable[[], object],
    check: Callable[[T], str | None] | None = None,
) -> T:
    """``function()`` (one directory call) with its answer checked to be an ``expected`` (a
    record's ``id`` non-blank text) and, when given, to pass ``check`` (which says what is
    wrong with it, or None); an error that is not a ``LeadcoreError``, or a wrong answer,
    becomes ``DirectoryFailed`` saying what was being done (``doing``) at which ``step``."""
    try:
        answer = function()
    except LeadcoreError:
        raise
    except Exception as e:  # the host's directory: its own driver errors
        raise DirectoryFailed(doing, step, e) from e
    if expected is not type(None) and not isinstance(answer, expected):
        shown = type(answer).__name__
        raise DirectoryFailed(
            doing,
            step,
            TypeError(f"returned {shown}, not {expected.__name__}"),
            after=WRONG_ANSWER,
        )
    problem = record_problem(answer)
    if problem is None and check is not None:
        problem = check(answer)  # type: ignore[arg-type]
    if problem is not None:
        raise DirectoryFailed(doing, step, ValueError(problem), after=WRONG_ANSWER)
    return answer  # type: ignore[return-value]


def record_problem(answer: object) -> str | None:
    """What is wrong with a directory's record (a customer, contact or deal) as leadcore
    reads it, or None: its ``id`` (and ``customer_id``) must be non-blank text."""
    if not isinstance(answer, Customer | Contact | Deal):
        return None
    name = type(answer).__name__.lower()
    fields = ("id",) if isinstance(answer, Customer) else ("id", "customer_id")
    for field in fields:
        value = getattr(answer, field)
        if not isinstance(value, str) or not value.strip():
            return f"returned a {name} whose {field} is {value!r}, not an id"
    return None


def asked_for(wanted: str) -> Callable[[Customer], str | None]:
    """A ``check`` for :func:`directory_call`: the customer answered is ``wanted``."""

    def check(customer: Customer) -> str | None:
        if customer.id != wanted:
            return f"returned customer {customer.id!r} when asked for {wanted!r}"
        return None

    return check


def execute(directory: CustomerDirectory, request: ConversionRequest) -> ConversionReceipt:
    """Ask ``directory`` for everything in ``request`` and say what it made or linked."""
    key = request.key
    doing = f"converting lead {request.lead_id!r}"

    def call(
        step: str,
        expected: type[T],
        function: Callable[[], object],
        check: Callable[[T], str | None] | None = None,
    ) -> T:
        return directory_call(doing, step, expected, function, check)

    if request.customer is not None:
        draft = request.customer
        customer = call("create_customer", Customer, lambda: directory.create_customer(key, draft))
        if customer.created_for != key:
            raise DirectoryConflict(key, f"customer {customer.id}", "a new customer")
    else:
        assert request.link_to is not None
        target = request.link_to
        customer = call("link_customer", Customer, lambda: directory.link_customer(key, target))
        if customer.id != target:
            raise DirectoryConflict(key, f"customer {customer.id}", f"customer {target}")
    contact_id = request.contact_id
    if request.contact is not None:
        person = request.contact
        contact = call(
            "create_contact", Contact, lambda: directory.create_contact(key, customer.id, person)
        )
        if contact.customer_id != customer.id:
            raise DirectoryConflict(
                key,
                f"contact {contact.id} of customer {contact.customer_id}",
                f"customer {customer.id}",
            )
        contact_id = contact.id
    deal = None
    if request.deal is not None:
        wanted = request.deal
        deal = call(
            "create_deal",
            Deal,
            lambda: directory.create_deal(key, customer.id, wanted, contact_id=contact_id),
        )
        if deal.customer_id != customer.id:
            raise DirectoryConflict(
                key, f"deal {deal.id} of customer {deal.customer_id}", f"customer {customer.id}"
            )
    if request.follow_ups:
        call("attach", type(None), lambda: directory.attach(key, customer.id, request.follow_ups))
    if request.collaborators:
        users = sorted(request.collaborators)
        call(
            "add_collaborators",
            type(None),
            lambda: directory.add_collaborators(key, customer.id, users),
        )
        # The receipt shows the customer as it ends up, its new collaborators included.
        bound_id = customer.id
        customer = call(
            "customer", Customer, lambda: directory.customer(bound_id), asked_for(bound_id)
        )
    return ConversionReceipt(
        key,
        customer,
        customer_created=request.customer is not None,
        contact_id=contact_id,
        contact_created=request.contact is not None,
        deal=deal,
        follow_ups=tuple(f.id for f in request.follow_ups),
        attachments=tuple(a.ref for f in request.follow_ups for a in f.attachments),
        collaborators=tuple(sorted(request.collaborators)),
    )
