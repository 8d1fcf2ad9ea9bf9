"""A misspelt keyword, a missing or an extra argument to a desk method or to the constructor of
a record, store or directory a host builds, refused as a ``LeadcoreError`` that names it.

Python refuses such a call with a bare ``TypeError``; a host catching ``LeadcoreError`` around
its calls would miss it, and the message suggests nothing. Each method is wrapped once, when
its class is made: a call runs as it is, and only when it raises a ``TypeError`` are its
arguments checked against the method's signature. When they do not fit, the error is an
:class:`~leadcore.errors.ArgumentError` (a ``ValidationError`` and a ``TypeError``) naming
each argument, with the closest name the method has; a ``TypeError`` from inside the method
passes through as it is.
"""

from __future__ import annotations

import difflib
import functools
import inspect
import re
from collections.abc import Callable
from typing import Any, Final, TypeVar

from leadcore.errors import ArgumentError, FieldProblem, LeadcoreError

__all__ = ["checked_arguments", "checked_constructor"]

_MISSING: Final = re.compile(r"missing a required argument: '(\w+)'")

C = TypeVar("C", bound=type)


def checked_arguments(cls: C) -> C:
    """``cls`` with its constructor and each public method (its own and inherited ones)
    refusing arguments that do not fit the signature as an ``ArgumentError``."""
    for name in dir(cls):
        if name.startswith("_") and name != "__init__":
            continue
        method = inspect.getattr_static(cls, name)
        if inspect.isfunction(method):
            shown = cls.__name__ if name == "__init__" else name
            setattr(cls, name, _checked(method, shown))
    return cls


def checked_constructor(cls: C) -> C:
    """``cls`` with its constructor refusing arguments that do not fit as an
    ``ArgumentError`` (for records, stores and directories a host builds; their other methods
    run on hot paths and are left as they are)."""
    init = _checked(inspect.getattr_static(cls, "__init__"), cls.__name__)
    setattr(cls, "__init__", init)  # noqa: B010 - the class's own method, replaced
    return cls


def _checked(method: Callable[..., Any], name: str) -> Callable[..., Any]:
    signature = inspect.signature(method)

    @functools.wraps(method)
    def call(*args: Any, **kwargs: Any) -> Any:
        try:
            return method(*args, **kwargs)
        except TypeError as error:
            if isinstance(error, LeadcoreError):
                raise
            try:
                signature.bind(*args, **kwargs)
            except TypeError as misfit:
                raise _refusal(name, signature, kwargs, misfit) from None
            raise

    return call


def _refusal(
    name: str, signature: inspect.Signature, kwargs: dict[str, Any], misfit: TypeError
) -> ArgumentError:
    parameters = signature.parameters
    named = [p for p in parameters if p != "self"]
    problems = [
        FieldProblem(key, f"is not an argument of {name}{_closest(key, named)}")
        for key in kwargs
        if key not in parameters
    ]
    if not problems:
        missing = _MISSING.search(str(misfit))
        problems = [
            FieldProblem(missing.group(1), "is required")
            if missing
            else FieldProblem("arguments", str(misfit))  # "too many positional arguments"
        ]
    return ArgumentError(problems, subject=f"arguments to {name}")


def _closest(key: str, named: list[str]) -> str:
    close = difflib.get_close_matches(key, named, n=1, cutoff=0.6)
    if close:
        return f"; did you mean {close[0]!r}?"
    return f" (its arguments: {', '.join(named)})"
