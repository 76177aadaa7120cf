"""The figure definition schema: normalization, and an error naming the path, value and fix for each mistake."""

from __future__ import annotations

import importlib.metadata
import json
from types import SimpleNamespace

import hypothesis.strategies as st
import numpy as np
import pytest
from hypothesis import given, settings

from ploteries import figures
from ploteries.figures import (
    BUILTIN_CARDS,
    MAX_DEFINITION_BYTES,
    TRACE_TYPES,
    DefinitionError,
    DefinitionTypeError,
    card_types,
    check_json,
    merge_patch,
    validate_definition,
)


def minimal(**changes) -> dict:
    d = {
        "id": "loss",
        "series": {"loss": {"tag": "loss/*"}},
        "figure": {
            "data": [{"type": "scatter", "x": "$loss.step", "y": "$loss.value", "name": "$run: $tag"}]
        },
    }
    d.update(changes)
    return d


def trace(**fields) -> dict:
    return minimal(figure={"data": [{"type": "scatter", **fields}]})


FULL_BINDING = {"run": "*", "tag": "loss/*", "part": "", "field": None, "steps": "all", "aggregate": None}


def test_defaults_are_filled():
    assert validate_definition(minimal()) == {
        "schema": 1,
        "id": "loss",
        "title": "loss",
        "tab": None,
        "card": "plotly",
        "series": {"loss": FULL_BINDING},
        "figure": {
            "data": [{"type": "scatter", "x": "$loss.step", "y": "$loss.value", "name": "$run: $tag"}],
            "layout": {},
        },
        "options": {},
    }


def test_the_example_of_the_issue_validates():
    example = minimal(
        id="loss-vs-acc",
        title="Loss and accuracy",
        tab="training",
        card="plotly",
        series={"loss": dict(FULL_BINDING)},
        figure={
            "data": [
                {"type": "scatter", "mode": "lines", "x": "$loss.step", "y": "$loss.value", "name": "$run"}
            ],
            "layout": {"yaxis": {"type": "log"}},
        },
        options={"smoothing": True},
    )
    d = validate_definition(example)
    assert d == {"schema": 1, **example}


def test_trace_type_defaults_to_scatter_and_input_is_not_mutated():
    obj = trace(y="$loss.value")
    del obj["figure"]["data"][0]["type"]
    assert validate_definition(obj)["figure"]["data"][0]["type"] == "scatter"
    assert "type" not in obj["figure"]["data"][0]


def test_tuples_become_lists_and_steps_ranges_normalize():
    d = validate_definition(minimal(series={"loss": {"tag": "loss", "steps": (10, None)}}))
    assert d["series"]["loss"]["steps"] == [10, None]


def test_normalized_definitions_are_fixed_points():
    d = validate_definition(minimal(tab="t", options={"a": [1, {"b": None}]}))
    assert validate_definition(d) == d
    assert json.loads(json.dumps(d)) == d


def test_the_trace_type_list_matches_the_installed_plotly():
    go = pytest.importorskip("plotly.graph_objects")
    from plotly.basedatatypes import BaseTraceType

    installed = {
        cls().type
        for name in dir(go)
        if isinstance(cls := getattr(go, name), type)
        and issubclass(cls, BaseTraceType)
        and cls is not BaseTraceType
    }
    assert set(TRACE_TYPES) == installed, (
        f"update figures.TRACE_TYPES: missing {sorted(installed - set(TRACE_TYPES))}, "
        f"gone {sorted(set(TRACE_TYPES) - installed)}"
    )
    assert list(TRACE_TYPES) == sorted(TRACE_TYPES)


@pytest.mark.parametrize("kind", TRACE_TYPES)
def test_every_trace_type_validates(kind):
    assert validate_definition(trace(type=kind, y="$loss.value"))["figure"]["data"][0]["type"] == kind


# ------------------------------------------------------------------------------------------------ errors

ERRORS = [
    # (definition, exception, message pattern)
    (trace(type="scater"), DefinitionError, r"figure\.data\[0\]\.type 'scater' is not a Plotly trace type "
     r"\(did you mean 'scatter'"),
    (trace(type="nonsense"), DefinitionError, r"figure\.data\[0\]\.type 'nonsense'.*types: bar, barpolar"),
    (trace(type=3), DefinitionTypeError, r"figure\.data\[0\]\.type must be a Plotly trace type"),
    (trace(y="$los.value"), DefinitionError, r"figure\.data\[0\]\.y: '\$los\.value' refers to binding 'los', "
     r"which is not in series \(did you mean 'loss'\?\); bindings: \['loss'\]"),
    (trace(marker={"color": ["$other.value"]}), DefinitionError, r"figure\.data\[0\]\.marker\.color\[0\]: "
     r"'\$other\.value' refers to binding 'other'"),
    (trace(y="$loss.vlaue"), DefinitionError, r"'\$loss\.vlaue' names column 'vlaue' of binding 'loss'; "
     r"columns are step, wall_time, value and value\.<field> .*did you mean 'value'"),
    (trace(y="$loss.mean"), DefinitionError, r"names column 'mean' of binding 'loss'.*\(an aggregate column: set "
     r"the binding's aggregate to 'runs'\)"),
    (trace(name="$rnu"), DefinitionError, r"figure\.data\[0\]\.name: '\$rnu' uses \$rnu, which is not a "
     r"substitution \(did you mean 'run'\?\)"),
    (trace(name="$loss"), DefinitionError, r"uses \$loss, the binding 'loss' without a column"),
    (minimal(figure={"data": [{}], "layout": {"title": "$loss.value"}}), DefinitionError,
     r"figure\.layout\.title: '\$loss\.value' is a data binding, and bindings work in traces only"),
    (minimal(figure={"data": [], "frames": []}), DefinitionError, r"figure\.frames is not a known key"),
    (minimal(figure={"data": {}}), DefinitionTypeError, r"figure\.data must be a list of traces, got dict"),
    (minimal(figure={"data": ["scatter"]}), DefinitionTypeError, r"figure\.data\[0\] must be an object"),
    (minimal(figure=[]), DefinitionTypeError, r"figure must be an object"),
    (minimal(serie={}), DefinitionError, r"serie is not a known key \(did you mean 'series'\?\); known keys:"),
    ({"series": {}}, DefinitionError, r"id is required"),
    (minimal(id="a b"), DefinitionError, r"id 'a b' contains ' '; an id is 1-200 characters"),
    (minimal(id="x" * 201), DefinitionError, r"has 201 characters"),
    (minimal(id=""), DefinitionError, r"id '' has 0 characters"),
    (minimal(id=5), DefinitionTypeError, r"id must be a string such as 'loss-vs-acc', got int 5"),
    (minimal(id="auto/loss"), DefinitionError, r"id 'auto/loss' starts with 'auto/', which is reserved for "
     r"the viewer's default cards; pick another id, e.g. 'loss'"),
    (minimal(title=None), DefinitionTypeError, r"title must be a string, got NoneType"),
    (minimal(tab=""), DefinitionError, r"tab must be null \(by tag prefix\) or a non-empty tab name"),
    (minimal(tab=1), DefinitionTypeError, r"tab must be null"),
    (minimal(card="scalr"), DefinitionError, r"card 'scalr' is not a known card type \(did you mean 'scalar'"
     r"\?\); known: scalar, histogram.*entry-point group 'ploteries.cards'"),
    (minimal(card="scalar", series={}), DefinitionError, r"series is empty, but card 'scalar' draws from series"),
    ({"id": "x", "card": "scalar"}, DefinitionError, r"series is required for card 'scalar'"),
    (minimal(series=[]), DefinitionTypeError, r"series must be an object of named bindings"),
    (minimal(series={"loss": "loss/*"}), DefinitionTypeError, r"series\.loss must be an object"),
    (minimal(series={"loss": {}}), DefinitionError, r"series\.loss\.tag is required"),
    (minimal(series={"loss": {"tag": "loss", "tags": 1}}), DefinitionError,
     r"series\.loss\.tags is not a known key \(did you mean 'tag'\?\)"),
    (minimal(series={"loss": {"tag": ""}}), DefinitionError, r"series\.loss\.tag must not be empty"),
    (minimal(series={"loss": {"tag": "loss["}}), DefinitionError, r"series\.loss\.tag 'loss\[' has an "
     r"unclosed '\[' at position 4; write '\[\[\]' for a literal '\['"),
    (minimal(series={"loss": {"tag": "l", "run": ["a"]}}), DefinitionTypeError, r"series\.loss\.run must be a glob"),
    (minimal(series={"loss": {"tag": "l", "part": None}}), DefinitionTypeError, r"series\.loss\.part must be"),
    (minimal(series={"loss": {"tag": "l", "field": "a..b"}}), DefinitionError,
     r"series\.loss\.field 'a\.\.b' is not a field path"),
    (minimal(series={"loss": {"tag": "l", "field": 1}}), DefinitionTypeError, r"series\.loss\.field must be null"),
    (minimal(series={"loss": {"tag": "l", "steps": "last"}}), DefinitionError,
     r"series\.loss\.steps must be 'all', 'latest' or \[start, stop\]"),
    (minimal(series={"loss": {"tag": "l", "steps": [5, 5]}}), DefinitionError,
     r"series\.loss\.steps \[5, 5\] is empty: stop is exclusive"),
    (minimal(series={"loss": {"tag": "l", "steps": [0.5, None]}}), DefinitionTypeError,
     r"series\.loss\.steps\[0\] must be an integer step or null"),
    (minimal(series={"loss": {"tag": "l", "steps": [True, None]}}), DefinitionTypeError, r"steps\[0\] must be"),
    (minimal(series={"loss": {"tag": "l", "aggregate": "mean"}}), DefinitionError,
     r"series\.loss\.aggregate must be null or 'runs'"),
    (minimal(series={"loss": {"tag": "l", "aggregate": "runs", "steps": "latest"}}), DefinitionError,
     r"aggregate 'runs' aligns runs on step and cannot combine with steps 'latest'"),
    (minimal(series={"run": {"tag": "l"}}), DefinitionError, r"series\.run: 'run' is reserved for the text "
     r"substitution \$run"),
    (minimal(series={"2x": {"tag": "l"}}), DefinitionError, r"series\.2x: binding name '2x' must be an identifier"),
    (minimal(options=[]), DefinitionTypeError, r"options must be an object"),
    (minimal(schema=2), DefinitionError, r"schema 2 is not supported: this ploteries reads figure definitions "
     r"of schema 1"),
    (minimal(version=0), DefinitionError, r"version must be a positive integer"),
    (minimal(options={"w": float("inf")}), DefinitionError, r"options\.w is inf \(not a finite number\), which "
     r"JSON cannot hold; use null"),
    (minimal(options={"x": np.arange(3)}), DefinitionTypeError, r"options\.x is a numpy\.ndarray, which is not "
     r"JSON \(use \.tolist\(\)\)"),
    (minimal(options={"x": np.float32(1)}), DefinitionTypeError, r"options\.x is a numpy\.float32, which is not JSON \(use \.item\(\)\)"),
    (minimal(options={"f": print}), DefinitionTypeError, r"options\.f is a builtins\.builtin_function_or_method"),
    (minimal(options={1: "a"}), DefinitionTypeError, r"options has the key 1 \(int\); JSON keys are strings"),
    ([], DefinitionTypeError, r"definition must be an object"),
]  # fmt: skip


@pytest.mark.parametrize(("definition", "error", "message"), ERRORS)
def test_errors_name_the_path_the_value_and_the_fix(definition, error, message):
    with pytest.raises(error, match=message):
        validate_definition(definition)


def test_two_bindings_in_one_trace_are_an_error():
    d = minimal(
        series={"a": {"tag": "a"}, "b": {"tag": "b"}},
        figure={"data": [{"y": "$a.value"}, {"x": "$a.step", "y": "$b.value"}]},
    )
    with pytest.raises(DefinitionError, match=r"figure\.data\[1\] uses bindings 'a' and 'b'; a trace draws from "
                       r"exactly one binding: split it into one trace per binding"):  # fmt: skip
        validate_definition(d)


def test_aggregated_bindings_have_aggregate_columns_only():
    series = {"band": {"tag": "loss", "aggregate": "runs"}}
    for column in ("step", "mean", "min", "max", "std", "count", "mean-std", "mean+std"):
        validate_definition(minimal(series=series, figure={"data": [{"y": f"$band.{column}"}]}))
    with pytest.raises(DefinitionError, match=r"names column 'value', but binding 'band' aggregates runs; its "
                       r"columns are step, mean, min, max, std, count"):  # fmt: skip
        validate_definition(minimal(series=series, figure={"data": [{"y": "$band.value"}]}))


def test_record_field_columns_and_text_that_is_not_a_binding():
    d = validate_definition(
        trace(
            y="$loss.value.stats.mean",
            name="${tag}s: $$5, $%{y}, $run.png",
            hovertemplate="cost $%{y:.2f}<extra>$binding</extra>",
        )
    )
    assert d["figure"]["data"][0]["y"] == "$loss.value.stats.mean"


def test_layout_strings_are_kept_verbatim():
    d = validate_definition(minimal(figure={"data": [], "layout": {"title": {"text": "$run costs $5"}}}))
    assert d["figure"]["layout"]["title"]["text"] == "$run costs $5"


def test_static_figures_and_plugin_cards_may_have_no_series():
    static = {"id": "note", "figure": {"data": [{"type": "indicator", "mode": "number", "value": 3}]}}
    assert validate_definition(static)["series"] == {}
    assert (
        validate_definition({"id": "p", "card": "mycard"}, cards=[*BUILTIN_CARDS, "mycard"])["series"] == {}
    )


def test_a_binding_matching_nothing_is_valid():
    assert validate_definition(minimal(series={"loss": {"tag": "no/such/tag", "run": "nobody"}}))


def test_oversized_definitions_are_refused():
    big = minimal(figure={"data": [{"type": "scatter", "y": list(range(300_000))}]})
    with pytest.raises(DefinitionError, match=rf"definition 'loss' is \d+ bytes of JSON, more than the limit of "
                       rf"{MAX_DEFINITION_BYTES}; bind data with '\$binding.column'"):  # fmt: skip
        validate_definition(big)


def test_deep_nesting_is_refused():
    deep: dict = {}
    node = deep
    for _ in range(100):
        node["a"] = {}
        node = node["a"]
    with pytest.raises(DefinitionError, match=r"nested more than 64 levels deep"):
        validate_definition(minimal(options=deep))


def test_code_in_a_definition_stays_text():
    text = "__import__('os').system('touch /tmp/pwned')"
    d = validate_definition(minimal(title=text, options={"callback": text}))
    assert d["title"] == text and d["options"]["callback"] == text


def test_plugin_cards_come_from_entry_points_without_importing_them(monkeypatch):
    ep = importlib.metadata.EntryPoint(
        "sankey_flow", "no_such_module_xyz:Card", figures.CARD_ENTRY_POINT_GROUP
    )

    def entry_points(*, group):
        return [ep] if group == figures.CARD_ENTRY_POINT_GROUP else []

    monkeypatch.setattr(importlib.metadata, "entry_points", entry_points)
    card_types.cache_clear()
    try:
        assert card_types() == (*BUILTIN_CARDS, "sankey_flow")
        assert validate_definition(minimal(card="sankey_flow"))["card"] == "sankey_flow"
    finally:
        monkeypatch.undo()
        card_types.cache_clear()
    assert "sankey_flow" not in card_types()


def test_allow_reserved_is_for_the_viewer():
    assert validate_definition(minimal(id="auto/loss"), allow_reserved=True)["id"] == "auto/loss"


def test_check_json_copies():
    src = {"a": [1, (2, 3)]}
    out = check_json(src)
    assert out == {"a": [1, [2, 3]]} and out["a"] is not src["a"]


def test_merge_patch_semantics():
    assert merge_patch({"a": 1, "b": {"c": 2}}, {"b": {"c": None, "d": [3]}}) == {"a": 1, "b": {"d": [3]}}
    assert merge_patch({"a": [1, 2]}, {"a": [3]}) == {"a": [3]}
    assert merge_patch("x", {"a": 1}) == {"a": 1}


# ------------------------------------------------------------------------------------------- hypothesis

names = st.from_regex(r"[a-z][a-z0-9_]{0,6}", fullmatch=True).filter(lambda n: n not in figures.TEXT_NAMES)
globs = st.sampled_from(["*", "loss/*", "seed=?", "a[bc]", "[!x]*", "exact"])
steps = st.one_of(
    st.sampled_from(["all", "latest"]),
    st.tuples(st.none() | st.integers(-5, 5), st.none() | st.integers(6, 10)).map(list),
)
bindings = st.fixed_dictionaries(
    {"tag": globs},
    optional={
        "run": globs,
        "part": st.sampled_from(["", "stats"]),
        "field": st.none() | st.sampled_from(["a", "a.b"]),
        "steps": steps,
    },
)
json_leaf = (
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text()
)
json_values = st.recursive(
    json_leaf, lambda kids: st.lists(kids, max_size=3) | st.dictionaries(st.text(), kids, max_size=3)
)


@st.composite
def definitions(draw):
    series = draw(st.dictionaries(names, bindings, min_size=1, max_size=3))
    data = []
    for _ in range(draw(st.integers(0, 4))):
        t = {"type": draw(st.sampled_from(TRACE_TYPES))}
        if draw(st.booleans()):
            b = draw(st.sampled_from(sorted(series)))
            t["x"] = f"${b}.step"
            t["marker"] = {"color": [f"${b}.value"], "size": draw(st.integers(1, 9))}
        t["name"] = draw(st.sampled_from(["$run", "$tag: $part", "${binding}", "plain", "$$ cost"]))
        data.append(t)
    return {
        "id": draw(st.from_regex(r"[A-Za-z0-9_.:=+@-][A-Za-z0-9_.:/=+@-]{0,20}", fullmatch=True)),
        "series": series,
        "figure": {"data": data, "layout": {"meta": draw(json_values)}},
        "options": {"free": draw(json_values)},
    }


@settings(max_examples=150, deadline=None)
@given(definitions())
def test_validation_is_idempotent_and_json_round_trips(definition):
    once = validate_definition(definition)
    assert validate_definition(once) == once
    assert validate_definition(json.loads(json.dumps(once))) == once
    assert set(once["series"]) == set(definition["series"])
    assert [t["type"] for t in once["figure"]["data"]] == [t["type"] for t in definition["figure"]["data"]]


def test_any_object_with_run_tag_part_is_accepted_by_match_series():
    from ploteries.figures import match_series

    info = SimpleNamespace(run="r", tag="t", part="", kind="scalar")
    assert match_series({"tag": "t"}, [info]) == [info]
