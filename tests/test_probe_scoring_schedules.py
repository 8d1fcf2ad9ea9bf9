"""Probes of activity kinds, learned-grade statuses and per-currency bins, schedule openings
and the desk's quota-user check: the mistakes a new user makes, each refused with a named
problem, and the good inputs next to them, working."""

from __future__ import annotations

import json
import math
import re
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from leadcore import (
    ConfigError,
    FixedClock,
    LeadDesk,
    MemoryStore,
    Money,
    NotFound,
    OrgChart,
    Schedule,
    User,
    ValidationError,
)
from leadcore.assignment import closed_reason, load_strategies
from leadcore.cadence.days import Weekday
from leadcore.cadence.schedule import Window
from leadcore.cadence.zones import to_utc, zone
from leadcore.policy import Quota, QuotaPolicy
from leadcore.scoring import (
    Activity,
    BehaviourRule,
    PredictiveModel,
    ScopedPredictiveModel,
    ScoreModel,
    activity_kind,
    fit_predictive,
    fit_scoped,
)
from leadcore.scoring.predictive_keys import edge_text
from leadcore.testing import make_lead

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
Row = dict[str, Any]


def _fields(error: ValidationError | ConfigError) -> list[str]:
    return [p.field for p in error.problems]


# --- activity kinds -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "why"),
    [
        (None, "not NoneType"),
        ("", "non-empty"),
        ("   ", "non-empty"),
        ("\u3000", "non-empty"),
        (["email_open"], "not list"),
        (3, "not int"),
        ("x" * 101, "at most 100"),
        ("email\nopen", "control characters"),
    ],
)
def test_a_kind_that_is_no_short_text_is_refused_naming_kind(given: object, why: str) -> None:
    for build in (
        lambda: activity_kind(given),  # type: ignore[arg-type]
        lambda: Activity(given, T0),  # type: ignore[arg-type]
        lambda: BehaviourRule(given, 5, cap=10),  # type: ignore[arg-type]
    ):
        with pytest.raises(ValidationError) as caught:
            build()
        assert _fields(caught.value) == ["kind"]
        assert why in caught.value.problems[0].reason


@pytest.mark.parametrize(
    "given", ["Ｄｅｍｏ ｒｅｑｕｅｓｔｅｄ", "ｄｅｍｏ＿ｒｅｑｕｅｓｔｅｄ", "\u3000申请演示\u3000"]
)
def test_a_built_in_kind_in_full_width_is_that_kind(given: str) -> None:
    assert activity_kind(given) == "demo_requested"
    assert Activity(given, T0).kind == BehaviourRule(given, 1, cap=1).kind == "demo_requested"


def test_a_hosts_kind_with_spaces_or_full_width_letters_meets_its_rule() -> None:
    scorer = ScoreModel(behaviour=(BehaviourRule("trial_started", 10, cap=30),)).compile()
    recorded = [Activity(" trial_started ", T0), Activity("ｔｒｉａｌ_ｓｔａｒｔｅｄ", T0)]
    assert {a.kind for a in recorded} == {"trial_started"}
    assert scorer.score(make_lead("L1"), recorded, now=T0).behaviour == 20.0


def test_a_loaded_rule_with_a_blank_kind_names_its_path() -> None:
    with pytest.raises(ConfigError) as caught:
        ScoreModel.from_dict({"behaviour": [{"kind": " ", "points": 5, "cap": 10}]})
    assert _fields(caught.value) == ["$.behaviour[0].kind"]


_FULL_WIDTH = {chr(c): chr(c + 0xFEE0) for c in range(0x21, 0x7F)}


@given(st.text(st.characters(codec="utf-8", categories=("L", "N", "P", "Zs")), max_size=30))
def test_a_kind_reads_the_same_trimmed_full_width_and_read_again(text: str) -> None:
    try:
        kind = activity_kind(text)
    except ValidationError as e:
        assert _fields(e) == ["kind"]
        return
    assert activity_kind(kind) == kind
    assert activity_kind(f" {text}\u3000") == kind
    assert activity_kind("".join(_FULL_WIDTH.get(c, c) for c in text)) == kind


# --- learned grade: statuses and outcome ----------------------------------------------------

PAST: list[Row] = [
    {"industry": "SaaS", "status": "converted"},
    {"industry": "制造业", "status": "closed_lost"},
]


def test_a_status_in_full_width_or_with_spaces_is_that_status() -> None:
    rows = [{**PAST[0], "status": " ｃｏｎｖｅｒｔｅｄ "}, PAST[1]]
    model = fit_predictive(rows, fields=("industry",), positive=["ｃｏｎｖｅｒｔｅｄ", " 已转化 "])
    assert (model.converted, model.lost) == (1, 1)
    assert model.positive == frozenset({"converted"})
    assert model.predict({"status": "Ｃｏｎｖｅｒｔｅｄ"}).probability == 1.0


def test_a_status_in_full_width_that_is_none_is_refused_as_given() -> None:
    with pytest.raises(ValidationError) as caught:
        fit_predictive([*PAST, {"industry": "SaaS", "status": "ｗｏｎ"}], fields=("industry",))
    assert _fields(caught.value) == ["records[2].status"]
    assert "'ｗｏｎ' is not a lead status" in caught.value.problems[0].reason


def test_a_blank_positive_is_named_once() -> None:
    with pytest.raises(ValidationError) as caught:
        fit_predictive(PAST, fields=("industry",), positive=["", "converted"])
    assert _fields(caught.value) == ["positive[0]"]


def test_an_outcome_field_with_spaces_around_it_is_refused_not_read_as_missing() -> None:
    with pytest.raises(ValidationError) as caught:
        fit_predictive(PAST, fields=("industry",), outcome=" status ")
    assert _fields(caught.value) == ["outcome"]
    assert "use 'status'" in caught.value.problems[0].reason


# --- learned grade: bins --------------------------------------------------------------------

MONEY_PAST: list[Row] = [
    {"budget": Money("800000"), "status": "converted"},
    {"budget": Money("20000"), "status": "closed_lost"},
    {"budget": Money("3000000", "JPY"), "status": "converted"},
    {"budget": Money("90000", "JPY"), "status": "closed_lost"},
]


def _fit_budget(bins: object, **options: Any) -> PredictiveModel:
    return fit_predictive(MONEY_PAST, fields=("budget",), bins=bins, **options)  # type: ignore[arg-type]


def test_decimal_edges_and_smoothing_are_numbers() -> None:
    model = _fit_budget(
        {"budget": {"CNY": [Decimal("100000")], "JPY": [Decimal("1E+6")]}},
        smoothing=Decimal("0.5"),
    )
    assert model.bins["budget"] == {"CNY": (100000.0,), "JPY": (1000000.0,)}
    assert model.smoothing == 0.5
    assert set(model.counts["budget"]) == {"< 100000", "≥ 100000", "JPY < 1e+06", "JPY ≥ 1e+06"}


@pytest.mark.parametrize(
    ("bins", "path", "why"),
    [
        ({"budget": [Decimal("NaN")]}, "bins.budget[0]", "finite"),
        ({"budget": [Decimal("Infinity")]}, "bins.budget[0]", "finite"),
        ({"budget": [Decimal("sNaN")]}, "bins.budget[0]", "finite"),
        ({"budget": [10**400]}, "bins.budget[0]", "finite"),
        ({"budget": [Money("100000", "JPY")]}, "bins.budget[0]", "{'JPY': [100000]}"),
        ({"budget": {"CNY": {"a": 1}}}, "bins.budget.CNY", "like [100000, 500000]"),
        ({"budget": {"CNY": {"JPY": [1]}}}, "bins.budget.CNY", "like [100000, 500000]"),
        ({"budget": {"CNY": "100000"}}, "bins.budget.CNY", "like [100000, 500000]"),
        ({"budget": {"cny": [1]}}, "bins.budget.cny", "did you mean 'CNY'"),
        ({"budget": {"XYZ": [1]}}, "bins.budget.XYZ", "not an ISO 4217 code"),
        ({"budget": {}}, "bins.budget", "at least one currency"),
        ({"budget": {"JPY": []}}, "bins.budget.JPY", "at least one edge"),
    ],
)
def test_each_wrong_bin_shape_is_named_by_its_path(bins: object, path: str, why: str) -> None:
    with pytest.raises(ValidationError) as caught:
        _fit_budget(bins)
    assert _fields(caught.value) == [path]
    assert why in caught.value.problems[0].reason


def test_two_edges_that_print_alike_short_keep_two_bins() -> None:
    rows = [
        {"budget": Money("1000000.50"), "status": "closed_lost"},
        {"budget": Money("1000001.50"), "status": "converted"},
    ]
    model = fit_predictive(rows, fields=("budget",), bins={"budget": [1000000, 1000001]})
    assert dict(model.counts["budget"]) == {"≥ 1e+06": (0, 1), "≥ 1000001": (1, 0)}


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_an_edge_key_reads_back_as_that_edge(edge: float) -> None:
    assert float(edge_text(edge)) == edge


_CURRENCIES = ("CNY", "JPY", "USD", "KWD")
_amounts = st.integers(0, 10**9).map(lambda n: Decimal(n) / 100)


def _money(amount: Decimal, currency: str) -> Money:
    return Money(amount.quantize(Decimal(1)) if currency == "JPY" else amount, currency)


@st.composite
def _history(draw: st.DrawFn) -> tuple[list[Row], dict[str, list[float]]]:
    edges = draw(
        st.dictionaries(
            st.sampled_from(_CURRENCIES),
            st.lists(st.floats(0, 1e7, allow_nan=False), min_size=1, max_size=3),
            min_size=1,
        )
    )
    rows = [
        {"budget": _money(amount, currency), "status": status}
        for amount, currency, status in draw(
            st.lists(
                st.tuples(
                    _amounts,
                    st.sampled_from(_CURRENCIES),
                    st.sampled_from(["converted", "closed_lost"]),
                ),
                max_size=12,
            )
        )
    ]
    rows += [
        {"budget": Money("1"), "status": "converted"},
        {"budget": Money("2"), "status": "closed_lost"},
    ]
    return rows, edges


@given(_history())
def test_per_currency_bins_round_trip_through_json_and_key_each_amount(
    history: tuple[list[Row], dict[str, list[float]]],
) -> None:
    rows, edges = history
    model = fit_predictive(rows, fields=("budget",), bins={"budget": edges})
    saved = json.loads(json.dumps(model.to_dict()))
    again = PredictiveModel.from_dict(saved)
    assert again == model
    assert again.to_dict() == model.to_dict()
    for row in rows:
        money = row["budget"]
        assert again.predict(row) == model.predict(row)
        (key,) = dict(model.keys_of(row))["budget"]
        own = sorted(edges.get(money.currency, ()))
        prefix = "" if money.currency == "CNY" else f"{money.currency} "
        if not own:
            assert key == money.currency
            continue
        assert key.startswith(prefix)
        below = [e for e in own if e <= float(money.amount)]
        expected = f"≥ {edge_text(below[-1])}" if below else f"< {edge_text(own[0])}"
        assert key == prefix + expected
    scoped = fit_scoped(rows, fields=("budget",), bins={"budget": edges}, scope_field="status")
    assert ScopedPredictiveModel.from_dict(json.loads(json.dumps(scoped.to_dict()))) == scoped


# A model saved by the release before money was keyed per currency (its budgets all CNY).
_SAVED_BEFORE = {
    "fields": ["budget", "industry"],
    "converted": 2,
    "lost": 3,
    "counts": {
        "budget": {"(missing)": [0, 1], "< 100000": [0, 2], "≥ 100000": [1, 0], "≥ 500000": [1, 0]},
        "industry": {"SaaS": [2, 1], "制造业": [0, 2]},
    },
    "smoothing": 1.0,
    "grades": [["A", 0.5], ["B", 0.25], ["C", 0.1], ["D", 0.0]],
    "bins": {"budget": [100000.0, 500000.0]},
    "outcome": "status",
    "positive": ["converted"],
    "negative": ["closed_lost", "invalid"],
}


def test_a_model_saved_before_per_currency_keys_predicts_as_it_did() -> None:
    model = PredictiveModel.from_dict(json.loads(json.dumps(_SAVED_BEFORE, ensure_ascii=False)))
    # probabilities the previous release gave for these records
    assert model.predict({"budget": Money("300000"), "industry": "SaaS"}).probability == (
        pytest.approx(0.7552447552447553)
    )
    assert model.predict({"budget": 300000}).probability == pytest.approx(0.631578947368421)
    assert model.predict({"budget": Money("300000", "JPY")}).contributions[0].delta == 0.0
    assert model.to_dict() == _SAVED_BEFORE


# --- schedules ------------------------------------------------------------------------------

NEW_YORK = Schedule(["mon-fri 09:00-18:00"], "America/New_York")


@pytest.mark.parametrize(
    ("schedule", "at", "field"),
    [
        (NEW_YORK, datetime(2026, 3, 2, 9), "at"),
        (NEW_YORK, None, "at"),
        (NEW_YORK, "2026-03-02T09:00Z", "at"),
        (NEW_YORK, datetime(1, 1, 1, tzinfo=UTC), "at"),
        (["mon-fri 09:00-18:00"], T0, "schedule"),
        (None, T0, "schedule"),
    ],
)
def test_closed_reason_refuses_what_is_no_schedule_or_aware_time(
    schedule: object, at: object, field: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        closed_reason(schedule, at)  # type: ignore[arg-type]
    assert _fields(caught.value) == [field]


def test_a_window_opening_within_a_minute_says_the_second_it_opens() -> None:
    schedule = Schedule(["mon 09:00:30-10:00"], "UTC")
    why = closed_reason(schedule, datetime(2026, 3, 2, 9, 0, 10, tzinfo=UTC))
    assert why == "outside Mon 09:00:30–10:00 UTC; opens Mon 2026-03-02 09:00:30 UTC"


@pytest.mark.parametrize(
    ("windows", "at", "opens"),
    [
        # clocks go forward 02:00 → 03:00 on Sunday 2026-03-08: a start in the skipped hour
        # opens when they jump, a window wholly in it opens the next week
        (["sun 02:30-04:00"], datetime(2026, 3, 7, 12, tzinfo=UTC), "Sun 2026-03-08 03:00"),
        (["sun 02:00-03:00"], datetime(2026, 3, 7, 12, tzinfo=UTC), "Sun 2026-03-15 02:00"),
        # clocks go back 02:00 → 01:00 on Sunday 2026-11-01: the first 01:30
        (["sun 01:30-02:00"], datetime(2026, 10, 31, 12, tzinfo=UTC), "Sun 2026-11-01 01:30"),
        (["sat 22:00-02:00"], datetime(2026, 3, 8, 12, tzinfo=UTC), "Sat 2026-03-14 22:00"),
    ],
)
def test_openings_across_new_yorks_clock_changes(
    windows: list[str], at: datetime, opens: str
) -> None:
    why = closed_reason(Schedule(windows, "America/New_York"), at)
    assert why is not None and why.endswith(f"; opens {opens} America/New_York")


def test_a_schedule_that_never_opens_says_so_and_names_no_opening() -> None:
    assert closed_reason(Schedule([], "Asia/Shanghai"), T0) == (
        "no opening hours are set (Asia/Shanghai)"
    )
    end = datetime(9999, 12, 31, 23, 59, tzinfo=UTC)  # a Friday: Monday is past the calendar
    assert closed_reason(NEW_YORK, end) == "outside Mon–Fri 09:00–18:00 America/New_York"
    assert closed_reason(NEW_YORK, datetime(9999, 12, 31, 12, tzinfo=UTC)) == (
        "outside Mon–Fri 09:00–18:00 America/New_York; opens Fri 9999-12-31 09:00 America/New_York"
    )


def test_a_window_typed_in_full_width_reads_as_plain() -> None:
    typed = Schedule(["周一至周五\u300009：00－18：00", "ｓａｔ 10:00～12:00"], "Asia/Shanghai")
    assert typed == Schedule(["mon-fri 09:00-18:00", "sat 10:00-12:00"], "Asia/Shanghai")
    with pytest.raises(ValidationError) as caught:
        Schedule(["周一 ２５：００-18:00"])
    assert _fields(caught.value) == ["windows[0].hours"]


def test_a_schedule_given_as_one_text_is_refused_naming_what_it_got() -> None:
    with pytest.raises(ConfigError) as caught:
        load_strategies({"day": {"kind": "round_robin", "schedule": "mon-fri 09:00-18:00"}})
    assert _fields(caught.value) == ["$.day.schedule"]
    assert "not str" in caught.value.problems[0].reason


_ZONES = ("America/New_York", "Europe/London", "Australia/Lord_Howe", "America/Santiago", "UTC")
_times = st.builds(
    time, st.integers(0, 23), st.sampled_from([0, 15, 30, 59]), st.sampled_from([0, 0, 30])
)
_windows = st.builds(Window, st.sets(st.sampled_from(list(Weekday)), min_size=1), _times, _times)
_OPENS = re.compile(r"; opens \w{3} (\S+) (\d{2}:\d{2}(?::\d{2})?) (\S+)$")


@given(
    st.lists(_windows, max_size=3),
    st.sampled_from(_ZONES),
    st.datetimes(datetime(2025, 1, 1), datetime(2028, 1, 1)),
)
def test_the_opening_named_is_ahead_in_a_window_the_first_and_reads_back(
    windows: list[Window], timezone: str, naive: datetime
) -> None:
    schedule = Schedule(windows, timezone)
    at = naive.replace(tzinfo=UTC)
    why = closed_reason(schedule, at)
    if why is None:
        assert schedule.is_open(at)
        return
    opens = schedule.next_open(at)
    found = _OPENS.search(why)
    assert (found is None) == (opens is None) == (not windows)
    if found is None or opens is None:
        return
    assert opens > at and schedule.is_open(opens)
    assert not schedule.is_open(opens - timedelta(microseconds=1))
    local = datetime.fromisoformat(f"{found[1]}T{found[2]}")
    assert found[3] == timezone and to_utc(local, zone(timezone)) == opens


# --- quotas naming users of a host's directory ----------------------------------------------

_USERS = {"root": User("root", roles={"system_admin"}), "wang": User("wang")}


class _Directory:
    """A host's directory over a dict, answering as the protocol says."""

    def user(self, user_id: str) -> User:
        try:
            return _USERS[user_id]
        except KeyError:
            raise NotFound("user", user_id) from None

    def subordinates(self, user_id: str) -> frozenset[str]:
        return frozenset()


class _KeyErrors(_Directory):
    def user(self, user_id: str) -> User:
        return _USERS[user_id]


class _Nones(_Directory):
    def user(self, user_id: str) -> User:
        return _USERS.get(user_id)  # type: ignore[return-value]


class _Listing(_Directory):
    users = ("root", "wang")


class _BrokenListing(_Directory):
    @property
    def users(self) -> list[str]:
        raise RuntimeError("not loaded yet")


class _CaseFolding(_Directory):
    def user(self, user_id: str) -> User:
        return super().user(user_id.lower())


class _Down(_Directory):
    def user(self, user_id: str) -> User:
        raise ConnectionError("directory database is down")


def _desk(org: object, quota_users: list[str]) -> LeadDesk:
    policy = QuotaPolicy(users={u: [Quota(3, "day")] for u in quota_users})
    return LeadDesk(MemoryStore(), FixedClock(T0), org, quota_policies={"tele": policy})  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("org", "hint"),
    [
        (_Directory(), ""),
        (_KeyErrors(), ""),
        (_Nones(), ""),
        (_BrokenListing(), ""),
        (_Listing(), "did you mean 'wang'?"),
        (OrgChart(users=list(_USERS.values())), "did you mean 'wang'?"),
    ],
)
def test_a_quota_for_a_user_a_hosts_directory_does_not_know_is_named(
    org: object, hint: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        _desk(org, ["wang", "wnag"])
    assert _fields(caught.value) == ["quota_policies.tele.users.wnag"]
    reason = caught.value.problems[0].reason
    assert "does not know" in reason and hint in reason


def test_a_quota_for_an_id_the_directory_knows_by_another_is_named() -> None:
    with pytest.raises(ValidationError) as caught:
        _desk(_CaseFolding(), ["WANG"])
    assert _fields(caught.value) == ["quota_policies.tele.users.WANG"]
    assert "knows as 'wang'; use 'wang'" in caught.value.problems[0].reason


def test_quotas_for_known_users_of_a_hosts_directory_build_the_desk() -> None:
    for org in (_Directory(), _KeyErrors(), _Nones(), _BrokenListing(), _CaseFolding()):
        _desk(org, ["wang", "root"])


def test_a_directory_that_fails_otherwise_is_not_read_as_a_mistake() -> None:
    with pytest.raises(ConnectionError):
        _desk(_Down(), ["wang"])
    _desk(_Down(), [])  # no quota of a user's own: the directory is not asked


def test_a_decimal_nan_budget_is_missing_and_an_infinite_one_is_refused() -> None:
    model = _fit_budget({"budget": [100000]})
    assert model.predict({"budget": Decimal("NaN")}).contributions[0].value == "(missing)"
    with pytest.raises(ValidationError) as caught:
        model.predict({"budget": Decimal("-Infinity")})
    assert _fields(caught.value) == ["record.budget"]
    assert not math.isnan(model.predict({"budget": 1e5}).probability)
