"""Edges of export tables and config loaders: wrong column keys and table cells, a string
where a list goes at any depth, router rules that give two user lists, and loader messages
that name the field at fault."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from leadcore import ConfigError, Policy, ScoreModel, ValidationError
from leadcore.assignment import build_strategy
from leadcore.config import structure
from leadcore.export import EVENT_COLUMNS, LEAD_COLUMNS
from leadcore.policy.config import PolicyConfig
from leadcore.scoring.examples import SPEC_7_1_WITH_BEHAVIOUR
from leadcore.table import render_html_table, render_table
from leadcore.testing import make_lead

LEAD = make_lead("L1")

# --- export: column keys ---------------------------------------------------------------------


@pytest.mark.parametrize("render", [LEAD_COLUMNS.table, LEAD_COLUMNS.html])
def test_an_unknown_column_key_names_its_place_and_lists_the_keys(render: Any) -> None:
    with pytest.raises(ValidationError) as caught:
        render([LEAD], keys=["id", "ownr_id"])
    assert caught.value.fields == ("keys[1]",)
    assert "'ownr_id' is not a column key" in str(caught.value)
    assert "owner_id" in str(caught.value)


@pytest.mark.parametrize("render", [LEAD_COLUMNS.table, LEAD_COLUMNS.html])
@pytest.mark.parametrize("keys", ["id", b"id", 5, {"id": 1}])
def test_keys_must_be_a_collection_of_keys(render: Any, keys: object) -> None:
    with pytest.raises(ValidationError) as caught:
        render([LEAD], keys=keys)
    assert caught.value.fields == ("keys",)
    assert "must be a list of column keys" in str(caught.value)
    assert "owner_id" in str(caught.value)


def test_a_key_that_is_not_text_is_refused() -> None:
    with pytest.raises(ValidationError) as caught:
        LEAD_COLUMNS.table([LEAD], keys=[1, None])  # type: ignore[list-item]
    assert caught.value.fields == ("keys[0]", "keys[1]")


def test_known_keys_and_no_keys_still_make_tables() -> None:
    assert LEAD_COLUMNS.table([LEAD], keys=("owner_id", "id")).startswith("owner_id  id")
    assert LEAD_COLUMNS.table([LEAD], keys=None) == LEAD_COLUMNS.table([LEAD], keys=[])
    assert "<th>id</th>" in LEAD_COLUMNS.html([LEAD], keys=["id"])


@given(st.text(max_size=12).filter(lambda k: k not in LEAD_COLUMNS.keys))
def test_any_unknown_key_is_a_validation_error(key: str) -> None:
    with pytest.raises(ValidationError) as caught:
        LEAD_COLUMNS.table([LEAD], keys=["id", key])
    assert caught.value.fields == ("keys[1]",)


@given(st.text(min_size=1, max_size=12))
def test_any_single_string_as_keys_is_refused(keys: str) -> None:
    with pytest.raises(ValidationError) as caught:
        LEAD_COLUMNS.html([LEAD], keys=keys)
    assert caught.value.fields == ("keys",)


def test_records_of_the_wrong_type_read_with_the_right_article() -> None:
    with pytest.raises(ValidationError, match="items\\[0\\]: must be an Event, not Lead"):
        EVENT_COLUMNS.records([LEAD])


def test_dataframe_titles_must_be_a_switch() -> None:
    with pytest.raises(ValidationError) as caught:
        LEAD_COLUMNS.dataframe([LEAD], titles="no")  # type: ignore[arg-type]
    assert caught.value.fields == ("titles",)


# --- export: the table renderer --------------------------------------------------------------


@pytest.mark.parametrize("render", [render_table, render_html_table])
def test_a_cell_that_is_not_text_names_its_row_and_column(render: Any) -> None:
    with pytest.raises(ValidationError) as caught:
        render(["a", "b"], [["x", "y"], ["z", None]], [])
    assert caught.value.fields == ("rows[1][1]",)
    assert "must be text, not None" in str(caught.value)


@pytest.mark.parametrize("render", [render_table, render_html_table])
@pytest.mark.parametrize("row", [["1"], ["1", "2", "3"]])
def test_a_row_of_the_wrong_length_names_the_row(render: Any, row: list[str]) -> None:
    with pytest.raises(ValidationError) as caught:
        render(["a", "b"], [["x", "y"], row], [])
    assert caught.value.fields == ("rows[1]",)
    assert "give one per heading (2)" in str(caught.value)


@pytest.mark.parametrize(
    ("headers", "rows", "right", "field"),
    [
        ("ab", [["1", "2"]], [], "headers"),
        (["a", 1], [["1", "2"]], [], "headers[1]"),
        (["a"], "x", [], "rows"),
        (["a"], ["x"], [], "rows[0]"),
        (["a"], [["x"]], [5], "right[0]"),
        (["a"], [["x"]], 2, "right"),
        (["a"], [["x"]], "0", "right"),
    ],
)
def test_wrong_table_arguments_are_named(
    headers: object, rows: object, right: object, field: str
) -> None:
    for render in (render_table, render_html_table):
        with pytest.raises(ValidationError) as caught:
            render(headers, rows, right)  # type: ignore[arg-type]
        assert caught.value.fields == (field,)


def test_max_width_and_caption_are_checked() -> None:
    with pytest.raises(ValidationError) as caught:
        render_table(["a"], [["x"]], [], max_width=0)
    assert caught.value.fields == ("max_width",)
    with pytest.raises(ValidationError) as caught:
        render_html_table(["a"], [["x"]], [], caption=5)  # type: ignore[arg-type]
    assert caught.value.fields == ("caption",)


@given(
    st.lists(
        st.lists(st.text(max_size=3) | st.none() | st.integers(), min_size=2, max_size=2),
        max_size=4,
    )
)
def test_any_grid_renders_or_names_the_bad_cells(rows: list[list[object]]) -> None:
    bad = {
        f"rows[{i}][{j}]"
        for i, row in enumerate(rows)
        for j, cell in enumerate(row)
        if not isinstance(cell, str)
    }
    try:
        table = render_table(["a", "b"], rows, [])  # type: ignore[arg-type]
    except ValidationError as e:
        assert bad
        assert set(e.fields) <= bad
    else:
        assert not bad
        assert len(table.splitlines()) == len(rows) + 3


# --- config: a string where a list goes, at any depth ----------------------------------------


@attrs.frozen
class Node:
    """A config shape with lists, sets, tables and mappings nested in each other."""

    tags: frozenset[str] = frozenset()
    children: tuple[Node, ...] = ()
    named: Mapping[str, Node] = attrs.field(factory=dict)
    grid: tuple[tuple[str, ...], ...] = ()


@attrs.frozen
class Item:
    """A table with one list of text."""

    tags: frozenset[str]


@attrs.frozen
class Top:
    """A list of tables."""

    items: tuple[Item, ...]


def test_a_string_in_a_list_of_tables_is_not_split_into_characters() -> None:
    with pytest.raises(ConfigError) as caught:
        structure({"items": [{"tags": ["a"]}, {"tags": "abc"}]}, Top)
    assert caught.value.path == "$.items[1].tags"
    assert "must be a list, not str 'abc'" in str(caught.value)
    assert structure({"items": [{"tags": ["a", "b"]}]}, Top) == Top((Item(frozenset("ab")),))


def test_a_string_in_a_mapping_value_or_a_list_of_lists_is_refused() -> None:
    with pytest.raises(ConfigError) as caught:
        structure({"named": {"x": {"tags": "ab"}}}, Node)
    assert caught.value.path == "$.named['x'].tags"
    with pytest.raises(ConfigError) as caught:
        structure({"grid": [["a"], "bc"]}, Node)
    assert caught.value.path == "$.grid[1]"


_STEPS = st.lists(
    st.sampled_from(("children", "named")), max_size=6
)  # how to go one level down: a list of tables or a mapping of tables


def _nest(steps: list[str], leaf: object) -> tuple[dict[str, Any], str]:
    """``leaf`` placed ``steps`` down (each a list of tables or a mapping of tables), and the
    path to it."""
    data, path = leaf, ""
    for step in reversed(steps):
        if step == "children":
            data, path = {"children": [{}, data]}, f".children[1]{path}"
        else:
            data, path = {"named": {"k": data}}, f".named['k']{path}"
    assert isinstance(data, dict)
    return data, path


@given(_STEPS, st.sampled_from(("tags", "grid")), st.text(max_size=5))
def test_any_string_where_a_list_goes_is_refused_at_any_depth(
    steps: list[str], field: str, text: str
) -> None:
    data, path = _nest(steps, {field: text})
    with pytest.raises(ConfigError) as caught:
        structure(data, Node)
    assert caught.value.path == f"${path}.{field}"
    assert "must be a list" in str(caught.value)


@given(_STEPS, st.none() | st.text(max_size=3) | st.integers() | st.lists(st.none(), max_size=2))
def test_anything_but_a_table_where_a_table_goes_is_refused_at_any_depth(
    steps: list[str], value: object
) -> None:
    data, path = _nest([*steps, "children"], value)
    with pytest.raises(ConfigError) as caught:
        structure(data, Node)
    assert caught.value.path == f"${path}"
    assert "must be a table (mapping) of settings" in str(caught.value)


def test_a_policy_rule_with_one_action_as_text_is_one_problem() -> None:
    data = Policy.default().to_dict()
    data["rules"].append({"role": "everyone", "actions": "view"})
    with pytest.raises(ConfigError) as caught:
        Policy.from_dict(data)
    where = f"$.rules[{len(data['rules']) - 1}].actions"
    assert caught.value.problems[0].field == where
    assert len(caught.value.problems) == 1
    assert "must be a list, not str 'view'" in str(caught.value)


def test_collaborator_actions_as_text_are_refused_in_a_mapping_value() -> None:
    data = Policy.default().to_dict()
    data["collaborator_roles"] = {"marketing_owner": "edit"}
    with pytest.raises(ConfigError) as caught:
        Policy.from_dict(data)
    assert caught.value.path == "$.collaborator_roles['marketing_owner']"
    assert "must be a list" in str(caught.value)


# --- config: the router's rules --------------------------------------------------------------

_TEAMS = {"e": ["w"], "n": ["x"]}


def _router(rule: dict[str, object]) -> dict[str, object]:
    return {"kind": "router", "teams": _TEAMS, "rules": [rule], "default": "n"}


def test_a_rule_giving_a_team_and_users_is_refused() -> None:
    with pytest.raises(ConfigError) as caught:
        build_strategy(_router({"when": {"region": "x"}, "team": "e", "users": ["v"]}))
    assert caught.value.path == "$.rules[0]"
    assert "give one of them" in str(caught.value)
    assert "'e'" in str(caught.value)


def test_a_rule_giving_only_a_team_or_only_users_is_read() -> None:
    by_team = build_strategy(_router({"when": {"region": "x"}, "team": "e"}))
    by_users = build_strategy(_router({"when": {"region": "x"}, "users": ["v"]}))
    assert by_team.rules[0].users == ("w",)  # type: ignore[attr-defined]
    assert by_users.rules[0].users == ("v",)  # type: ignore[attr-defined]


@given(st.integers() | st.floats(allow_nan=False))
def test_a_number_in_a_rule_test_is_refused_like_other_text(number: float) -> None:
    with pytest.raises(ConfigError) as caught:
        build_strategy(_router({"when": {"grade": number}, "team": "e"}))
    assert caught.value.path == "$.rules[0].when.grade"
    assert "write it as text" in str(caught.value)
    with pytest.raises(ConfigError) as caught:
        build_strategy(_router({"when": {"grade": ["A", number]}, "team": "e"}))
    assert caught.value.path == "$.rules[0].when.grade[1]"


def test_text_values_in_rule_tests_are_still_read() -> None:
    router = build_strategy(_router({"when": {"grade": ["A", "1"]}, "team": "e"}))
    assert router.rules[0].when[0].values == {"A", "1"}  # type: ignore[attr-defined]


# --- config: loader messages -----------------------------------------------------------------


@pytest.mark.parametrize("value", [None, 5, "x"])
def test_a_config_that_is_not_a_table_says_so(value: object) -> None:
    for load in (ScoreModel.from_dict, Policy.from_dict):
        with pytest.raises(ConfigError) as caught:
            load(value)  # type: ignore[arg-type]
        assert caught.value.path == "$"
        assert "must be a table" in str(caught.value)
        assert "not iterable" not in str(caught.value)
    with pytest.raises(ConfigError, match="must be a table \\(mapping\\) of settings, not None"):
        structure(None, PolicyConfig)


def _model_with_points(points: float) -> dict[str, Any]:
    data: dict[str, Any] = copy.deepcopy(SPEC_7_1_WITH_BEHAVIOUR)
    first = data["dimensions"][0]["values"]
    first[next(iter(first))] = points
    return data


@given(st.floats(min_value=1e303, max_value=1.7e308))
def test_points_so_large_the_totals_overflow_are_named_at_their_path(points: float) -> None:
    data = _model_with_points(points)
    key = next(iter(data["dimensions"][0]["values"]))
    with pytest.raises(ConfigError) as caught:
        ScoreModel.from_dict(data)
    assert caught.value.path == f"$.dimensions[0].values.{key}"
    assert "too large a number" in str(caught.value)


def test_ordinary_points_still_load() -> None:
    assert ScoreModel.from_dict(_model_with_points(9)).max_score > 0
