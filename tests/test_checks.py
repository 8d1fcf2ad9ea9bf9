"""The shared text checks: their quick paths give exactly what the full checks give."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from leadcore import checks
from leadcore.errors import ValidationError

_TEXTS = st.one_of(
    st.text(max_size=12),
    st.text(st.characters(codec="utf-8"), max_size=8),
    st.text("ab \t\n\x00\x7f\x85\xa0\u3000\u200b\ud800", max_size=6),
    st.text("x", min_size=98, max_size=102),
)


def _outcome(check: Callable[..., object], *args: object, **options: object) -> object:
    try:
        return check(*args, **options)
    except ValidationError as e:
        return [(p.field, p.reason) for p in e.problems]


@given(_TEXTS)
@example(" id")
@example("id\u3000")
@example("\ud800")
@example("")
def test_an_identifier_is_what_the_full_text_check_gives(value: str) -> None:
    full = _outcome(checks.text, value, "user_id", max_len=checks.MAX_ID)
    assert _outcome(checks.identifier, value, "user_id") == full


@given(_TEXTS, st.booleans())
@example("a\u2028b", False)
@example("a\u2029b", True)
def test_text_problem_is_the_control_and_surrogate_rule(value: str, long: bool) -> None:
    allowed = "\n\t" if long else ""
    separators = "" if long else "\u2028\u2029"
    bad = [
        c
        for c in value
        if ((ord(c) < 32 or 0x7F <= ord(c) <= 0x9F) and c not in allowed) or c in separators
    ]
    surrogate = any("\ud800" <= c <= "\udfff" for c in value)
    problem = checks.text_problem(value, long=long)
    assert (problem is None) == (not bad and not surrogate)


def test_a_whole_number_too_long_to_write_out_is_refused_by_name() -> None:
    # Python will not turn an int of more than 4,300 digits into text: the message must not try.
    huge = 10**5000
    with pytest.raises(ValidationError, match="too long to show"):
        checks.whole(huge, "interval", most=10)
    with pytest.raises(ValidationError, match="too long to show"):
        checks.stored_number(huge, "limit")


@pytest.mark.parametrize("invisible", ["\u200b", " \u200b\u200d ", "\ufeff", "\u200b\n\u200c"])
def test_required_text_of_only_invisible_characters_is_blank(invisible: str) -> None:
    with pytest.raises(ValidationError, match="content: must not be blank"):
        checks.text(invisible, "content", long=True)
    assert checks.text("a\u200db", "content") == "a\u200db"  # a joiner inside words is kept
