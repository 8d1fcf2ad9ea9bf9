"""Score models: the sources' profile example (company size 20%, industry 20%, urgency 30%,
interaction 30%) as exact scores, config from data, errors naming paths."""

from __future__ import annotations

import contextlib
import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from leadcore import CompanySize, ConfigError, Money
from leadcore.scoring import Band, Dimension, ProfileCondition, ScoreModel
from leadcore.scoring.examples import SPEC_7_1, SPEC_7_1_WITH_BEHAVIOUR
from leadcore.testing import EPOCH, make_lead

NOW = EPOCH + timedelta(days=30)


def spec_lead(size: CompanySize | None, industry: str, urgency: str, interaction: str) -> Any:
    return make_lead(
        "L1",
        company_size=size,
        industry=industry,
        custom_fields={"urgency": urgency, "interaction": interaction},
    )


@pytest.mark.parametrize(
    "case",
    [
        (CompanySize.LARGE, "制造业", "urgent", "high", 10.0, "A"),
        (CompanySize.MEDIUM, "零售", "normal", "low", 5.6, "C"),
        (CompanySize.LARGE, "零售", "urgent", "low", 7.5, "B"),
        (CompanySize.MEDIUM, "SaaS", "urgent", "high", 9.6, "A"),
        (CompanySize.SMALL, "教育", "normal", "low", 4.0, "C"),
        (None, "零售", "", "", 1.0, "D"),
    ],
)
def test_the_profile_example_scores_exactly(
    case: tuple[CompanySize | None, str, str, str, float, str],
) -> None:
    size, industry, urgency, interaction, expected, grade = case
    scorer = ScoreModel.from_dict(SPEC_7_1).compile()
    score = scorer.score(spec_lead(size, industry, urgency, interaction), now=NOW)
    assert score.total == expected
    assert score.profile == expected
    assert score.behaviour == 0.0
    assert score.max == 10.0
    assert score.grade == grade
    assert score.mql is (expected >= 8)


def test_spec_example_round_trips_through_dict_json_and_toml() -> None:
    model = ScoreModel.from_dict(SPEC_7_1_WITH_BEHAVIOUR)
    assert ScoreModel.from_dict(model.to_dict()) == model
    assert ScoreModel.from_json(json.dumps(model.to_dict())) == model
    toml = """
        mql_at_least = 8
        [[dimensions]]
        field = "company_size"
        weight = 0.5
        values = { "大型" = 10, Medium = 8 }
        [[dimensions]]
        field = "custom_fields.urgency"
        weight = 0.5
        values = { urgent = 10 }
    """
    from_toml = ScoreModel.from_toml(toml)
    assert from_toml.dimensions[0].values == {"large": 10.0, "medium": 8.0}
    assert from_toml.grades[0].name == "A"


def test_a_model_can_be_built_in_python_too() -> None:
    model = ScoreModel(
        dimensions=(
            Dimension("budget", 0.5, bands=(Band(0, 2), Band(100_000, 6), Band(500_000, 10))),
            Dimension(
                "decision_maker_title",
                0.5,
                when=ProfileCondition(contains="总监"),
                points=10,
                default=3,
            ),
        )
    )
    scorer = model.compile()
    rich = make_lead("L1", budget=Money("800000"), decision_maker_title="销售总监")
    poor = make_lead("L2", budget=Money("50000"), decision_maker_title="专员")
    assert scorer.score(rich, now=NOW).total == 10.0
    assert scorer.score(poor, now=NOW).total == 2.5
    assert scorer.score(make_lead("L3"), now=NOW).total == 1.5
    assert [g.name for g in model.grades] == ["A", "B", "C", "D"]
    assert model.mql_at_least == model.grades[0].at_least == 7.5


def _with_dimension(i: int, **changes: object) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(json.dumps(SPEC_7_1))
    data["dimensions"][i].update(changes)
    return data


@pytest.mark.parametrize(
    ("data", "path", "words"),
    [
        (_with_dimension(2, weight=0.4), "$.dimensions", "add up to 1.1"),
        (_with_dimension(2, weight="heavy"), "$.dimensions[2].weight", "heavy"),
        (_with_dimension(1, field="sector"), "$.dimensions[1].field", "not a lead field"),
        (_with_dimension(0, values={"huge": 10}), "$.dimensions[0].values.huge", "company size"),
        (_with_dimension(0, values={"large": -1}), "$.dimensions[0].values.large", "negative"),
        (_with_dimension(3, bands=[{"at_least": 1, "points": 2}]), "$.dimensions[3].bands", "one"),
        (
            _with_dimension(1, values=None, bands=[{"at_least": 0, "points": 1}]),
            "$.dimensions[1].bands",
            "number field",
        ),
        ({**SPEC_7_1, "colour": "red"}, "$.colour", "not a known setting"),
        ({**SPEC_7_1, "mql_at_least": 11}, "$.mql_at_least", "above the maximum"),
        (
            {**SPEC_7_1, "grades": [{"name": "A", "at_least": 5}, {"name": "B", "at_least": 2}]},
            "$.grades[1].at_least",
            "start at 0",
        ),
        (
            {**SPEC_7_1, "behaviour": [{"kind": "email_open", "points": 3, "cap": 0}]},
            "$.behaviour[0].cap",
            "greater than 0",
        ),
        (
            {
                **SPEC_7_1,
                "behaviour": [{"kind": "email_open", "points": 3, "cap": 9, "decay": {"lose": 1}}],
            },
            "$.behaviour[0].decay.every",
            "goes with lose",
        ),
        (
            {
                **SPEC_7_1,
                "behaviour": [
                    {"kind": "email_open", "points": 3, "cap": 9},
                    {"kind": "email_open", "points": 1, "cap": 2},
                ],
            },
            "$.behaviour[1].kind",
            "already has a rule",
        ),
        ({"dimensions": []}, "$.dimensions", "at least one"),
    ],
)
def test_config_errors_name_the_path(data: dict[str, Any], path: str, words: str) -> None:
    with pytest.raises(ConfigError) as caught:
        ScoreModel.from_dict(data)
    assert caught.value.path == path
    assert words in str(caught.value)


def test_every_bad_path_is_reported_at_once() -> None:
    data = _with_dimension(0, weight="x")
    data["dimensions"][3]["field"] = "nope"
    with pytest.raises(ConfigError) as caught:
        ScoreModel.from_dict(data)
    fields = [p.field for p in caught.value.problems]
    assert fields == ["$.dimensions[0].weight", "$.dimensions[3].field"]


def test_explain_table_names_each_rule_and_its_points() -> None:
    scorer = ScoreModel.from_dict(SPEC_7_1).compile()
    score = scorer.score(spec_lead(CompanySize.MEDIUM, "零售", "normal", "low"), now=NOW)
    parts = score.breakdown.parts
    assert [p.rule for p in parts] == [
        "公司规模 company size",
        "行业 industry",
        "需求紧迫性 urgency",
        "互动记录 interaction",
    ]
    assert [p.points for p in parts] == pytest.approx([1.6, 1.0, 1.5, 1.5])
    assert parts[1].matched == "industry = 零售 (default)"
    text = str(score)
    assert "company_size = medium" in text
    assert "8 × 20%" in text
    assert "total 5.60 of 10.00" in text
    assert score.explain() == text
    assert "5.6" in repr(score) and "breakdown" not in repr(score)


def test_value_maps_read_multi_choice_and_booleans_in_custom_fields() -> None:
    model = ScoreModel(
        dimensions=(
            Dimension("custom_fields.products", 0.5, values={"crm": 10, "erp": 6}),
            Dimension("custom_fields.trial", 0.5, values={"true": 10, "false": 2}),
        )
    )
    scorer = model.compile()
    lead = make_lead("L1", custom_fields={"products": ("erp", "crm"), "trial": True})
    assert scorer.score(lead, now=NOW).total == 10.0
    other = make_lead("L2", custom_fields={"products": ("erp",), "trial": False})
    assert scorer.score(other, now=NOW).total == 4.0


def _junk_model(**changes: object) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(json.dumps(SPEC_7_1_WITH_BEHAVIOUR))
    for path, value in changes.items():
        target: Any = data
        *steps, last = path.split("__")
        for step in steps:
            target = target[int(step)] if step.isdigit() else target[step]
        if last.isdigit():
            target[int(last)] = value
        else:
            target[last] = value
    return data


@pytest.mark.parametrize(
    ("data", "path", "words"),
    [
        ([], "$", "must be a table of settings, not a list"),
        ("dimensions", "$", "must be a table of settings"),
        (_junk_model(dimensions__0__weight=10**400), "$.dimensions[0].weight", "too large"),
        (_junk_model(mql_at_least=-(10**400)), "$.mql_at_least", "too large"),
        (_junk_model(dimensions__1__default=float("inf")), "$.dimensions[1].default", "finite"),
        (_junk_model(dimensions={"a": 1}), "$.dimensions", "must be a list, not a table"),
        (_junk_model(dimensions__0__values=["large"]), "$.dimensions[0].values", "table"),
        (_junk_model(behaviour__0="pricing"), "$.behaviour[0]", "must be a table of settings"),
        (_junk_model(decay={"half_life": {"days": 1e300}}), "$.decay.half_life", "reasonable size"),
        (_junk_model(decay={"half_life": {"days": float("inf")}}), "$.decay.half_life.days", ""),
        (
            _junk_model(
                dimensions__1={"field": "industry", "weight": 0.2, "when": {"one_of": "x"}}
            ),
            "$.dimensions[1].when.one_of",
            "must be a list",
        ),
    ],
)
def test_junk_config_is_a_config_error_naming_the_path(data: object, path: str, words: str) -> None:
    with pytest.raises(ConfigError) as caught:
        ScoreModel.from_dict(data)
    assert caught.value.path == path
    assert words in str(caught.value)


def _nested(depth: int) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for _ in range(depth):
        data = {"x": data}
    return data


def test_deeply_nested_plain_data_is_refused_without_recursing() -> None:
    data = _junk_model(dimensions__0__values=_nested(100_000))
    with pytest.raises(ConfigError, match="nests more than 32 levels deep"):
        ScoreModel.from_dict(data)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("[]", "must be a table of settings"),
        ('"x"', "must be a table of settings"),
        ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
        ('{"dimensions": ' + "[" * 3000 + "]" * 3000 + "}", "nested too deeply"),
        ('{"mql_at_least": ' + "9" * 5000 + "}", "not valid JSON"),
        ('{"mql_at_least": Infinity}', "finite"),
        ("{", "not valid JSON"),
    ],
)
def test_junk_json_is_a_config_error(text: str, words: str) -> None:
    with pytest.raises(ConfigError, match=words):
        ScoreModel.from_json(text)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("a = " + "[" * 100_000 + "]" * 100_000, "not valid TOML"),
        ("mql_at_least = " + "9" * 5000, "not valid TOML"),
        ("dimensions = 3", "must be a list"),
    ],
)
def test_junk_toml_is_a_config_error(text: str, words: str) -> None:
    with pytest.raises(ConfigError, match=words):
        ScoreModel.from_toml(text)


def test_unreadable_files_and_wrong_types_are_config_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read the JSON file"):
        ScoreModel.from_json(tmp_path / "missing.json")
    with pytest.raises(ConfigError, match="cannot read the TOML file"):
        ScoreModel.from_toml(tmp_path)
    bad = tmp_path / "bad.json"
    bad.write_bytes(b"\xff\xfe{")
    with pytest.raises(ConfigError, match="cannot read the JSON file"):
        ScoreModel.from_json(bad)
    with pytest.raises(ConfigError, match="must be text or a Path"):
        ScoreModel.from_json(None)  # type: ignore[arg-type]
    good = tmp_path / "model.json"
    good.write_text(json.dumps(SPEC_7_1), encoding="utf-8")
    assert ScoreModel.from_json(good) == ScoreModel.from_dict(SPEC_7_1)


JUNK = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(10**300, 10**400)
    | st.floats()
    | st.text(max_size=4),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(
            st.sampled_from(("dimensions", "behaviour", "decay", "grades", "field", "weight", "x")),
            inner,
            max_size=4,
        )
    ),
    max_leaves=15,
)


@given(JUNK, st.sampled_from(("", "dimensions", "behaviour", "decay", "grades")))
def test_any_junk_raises_only_config_errors(junk: object, where: str) -> None:
    data: object = {**SPEC_7_1_WITH_BEHAVIOUR, where: junk} if where else junk
    with contextlib.suppress(ConfigError):
        ScoreModel.from_dict(data)
    try:
        ScoreModel.from_json(json.dumps(data, default=str))
    except (ConfigError, ValueError) as e:
        assert isinstance(e, ConfigError)
