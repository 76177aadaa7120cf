"""Binding traces to series and filling them: match, expand, columns, steps, aggregate, fill."""

from __future__ import annotations

import fnmatch
import math
from types import SimpleNamespace

import hypothesis.strategies as st
import numpy as np
import pytest
from hypothesis import given, settings

import ploteries
from ploteries.figures import (
    TraceInstance,
    aggregate_runs,
    binding_spec,
    build_figure,
    columns_of,
    expand_traces,
    fill_trace,
    instance_columns,
    match_series,
    read_kwargs,
    select_steps,
    substitute_text,
    tab_of_definition,
    validate_definition,
)
from ploteries.figures.data import glob_test
from ploteries.storage import RaggedRecords

from .conftest import RECORD_DTYPE, attention, train_loss


def info(run, tag, part="", kind="scalar", count=1):
    return SimpleNamespace(run=run, tag=tag, part=part, kind=kind, count=count)


INFOS = [
    info("b", "loss/val"),
    info("a", "loss/train"),
    info("a", "loss/val"),
    info("a", "acc"),
    info("a", "hist", "stats", "histogram"),
    info("a", "hist", "", "histogram"),
    info("lr=[1]", "loss/train"),
]


def keys(infos):
    return [(i.run, i.tag, i.part) for i in infos]


# --------------------------------------------------------------------------------------------- match


@pytest.mark.parametrize(
    ("binding", "expected"),
    [
        ({"tag": "loss/*"}, [("a", "loss/train", ""), ("a", "loss/val", ""), ("b", "loss/val", ""),
                             ("lr=[1]", "loss/train", "")]),
        ({"tag": "loss/*", "run": "b"}, [("b", "loss/val", "")]),
        ({"tag": "loss/train", "run": "lr=[[]1]"}, [("lr=[1]", "loss/train", "")]),
        ({"tag": "hist"}, [("a", "hist", "")]),
        ({"tag": "hist", "part": "stats"}, [("a", "hist", "stats")]),
        ({"tag": "LOSS/*"}, []),  # case-sensitive
        ({"tag": "nothing"}, []),
    ],
)  # fmt: skip
def test_match_series(binding, expected):
    assert keys(match_series(binding, INFOS)) == expected


def test_match_series_takes_real_series_infos(sample_master):
    infos = ploteries.open(sample_master).series()
    found = match_series({"tag": "loss/train", "run": "seed=*"}, infos)
    assert [(i.run, i.count) for i in found] == [("seed=0", 20), ("seed=1", 20), ("seed=2", 15)]


# -------------------------------------------------------------------------------------------- expand


def definition(series, data):
    return validate_definition({"id": "x", "series": series, "figure": {"data": data}})


def test_one_instance_per_series_and_static_traces_once():
    d = definition(
        {"l": {"tag": "loss/*", "run": "[ab]"}},
        [{"type": "bar", "x": [1, 2], "y": [3, 4]}, {"x": "$l.step", "y": "$l.value"}],
    )
    out = expand_traces(d, INFOS)
    assert [(t.template_index, t.binding, t.run, t.context["tag"]) for t in out] == [
        (0, None, "", ""),
        (1, "l", "a", "loss/train"),
        (1, "l", "a", "loss/val"),
        (1, "l", "b", "loss/val"),
    ]
    assert out[1].template is d["figure"]["data"][1]
    assert out[1].spec == d["series"]["l"] and keys(out[1].series) == [("a", "loss/train", "")]
    assert out[0].series == [] and out[0].spec is None


def test_templates_of_one_binding_stay_together_per_series():
    d = definition(
        {"a": {"tag": "loss/*", "run": "a", "aggregate": "runs"}, "s": {"tag": "acc"}},
        [{"y": "$a.min"}, {"y": "$s.value"}, {"y": "$a.max", "fill": "tonexty"}, {"y": "$a.mean"}],
    )
    out = expand_traces(d, INFOS)
    assert [(t.template_index, t.context["tag"]) for t in out] == [
        (0, "loss/train"),
        (2, "loss/train"),
        (3, "loss/train"),
        (0, "loss/val"),
        (2, "loss/val"),
        (3, "loss/val"),
        (1, "acc"),
    ]


def test_aggregate_groups_runs_by_tag():
    d = definition({"a": {"tag": "loss/*", "aggregate": "runs", "run": "*"}}, [{"y": "$a.mean"}])
    out = expand_traces(d, INFOS)
    assert [(t.context["tag"], [i.run for i in t.series]) for t in out] == [
        ("loss/train", ["a", "lr=[1]"]),
        ("loss/val", ["a", "b"]),
    ]
    assert out[0].run == "*" and out[0].context["run"] == "*"


def test_a_binding_matching_nothing_expands_to_nothing():
    d = definition({"l": {"tag": "none"}}, [{"y": "$l.value"}])
    assert expand_traces(d, INFOS) == []


def test_instance_keys_are_stable_and_distinct():
    d = definition({"l": {"tag": "loss/*"}}, [{"y": "$l.value"}, {"y": [1]}])
    first = [t.key for t in expand_traces(d, INFOS)]
    assert first == [t.key for t in expand_traces(d, list(reversed(INFOS)))]
    assert len(set(first)) == len(first)


def test_unvalidated_definitions_with_a_missing_binding_fail_clearly():
    with pytest.raises(ValueError, match=r"figure.data\[0\] refers to binding 'zz', which is not in series"):
        expand_traces({"series": {}, "figure": {"data": [{"y": "$zz.value"}]}}, INFOS)


# ------------------------------------------------------------------------------------------- columns


def test_columns_of_a_scalar_series(sample_master):
    cols = columns_of(ploteries.open(sample_master).read("seed=1", "loss/train"))
    assert sorted(cols) == ["step", "value", "wall_time"]
    np.testing.assert_array_equal(cols["step"], np.arange(20))
    np.testing.assert_allclose(cols["value"], [train_loss(1, s) for s in range(20)])
    np.testing.assert_array_equal(cols["wall_time"], 1000.0 + np.arange(20))


def test_columns_of_nested_record_arrays(sample_master):
    records = ploteries.open(sample_master).read("seed=0", "batch")
    cols = columns_of(records)
    assert sorted(cols) == ["step", "value", "value.loss", "value.stats", "value.stats.mean", "value.stats.std",
                            "wall_time"]  # fmt: skip
    np.testing.assert_allclose(cols["value.loss"], np.arange(10) / 2)
    np.testing.assert_array_equal(cols["value.stats.mean"], np.arange(10.0))
    assert cols["value"].dtype == RECORD_DTYPE
    by_field = columns_of(records, "stats")
    assert by_field["value"].dtype.names == ("mean", "std")
    assert sorted(k for k in by_field if k.startswith("value.")) == ["value.mean", "value.std"]
    np.testing.assert_array_equal(columns_of(records, "stats.std")["value"], np.full(10, 0.5))


def test_columns_of_subarray_fields():
    dtype = np.dtype([("step", "<i8"), ("wall_time", "<f8"), ("value", [("xy", "<f4", (2,)), ("k", "<i2")])])
    rec = np.zeros(3, dtype)
    rec["value"]["xy"] = [[1, 2], [3, 4], [5, 6]]
    cols = columns_of(rec)
    assert cols["value.xy"].shape == (3, 2) and cols["value.xy"][2].tolist() == [5, 6]


def test_columns_of_a_missing_field_names_the_fields(sample_master):
    records = ploteries.open(sample_master).read("seed=0", "batch")
    with pytest.raises(ValueError, match=r"field 'stats.median': the value has no field 'median' inside 'stats'; "
                       r"fields: \['mean', 'std'\]"):  # fmt: skip
        columns_of(records, "stats.median")
    scalars = ploteries.open(sample_master).read("seed=0", "loss/train")
    with pytest.raises(ValueError, match=r"has no field 'a'; fields: none \(not a record array\)"):
        columns_of(scalars, "a")


def test_columns_of_ragged_records(sample_master):
    records = ploteries.open(sample_master).read("seed=0", "weights")
    assert isinstance(records, RaggedRecords)
    cols = columns_of(records)
    assert cols["step"].tolist() == [0, 1, 2]
    assert [v.shape for v in cols["value"]] == [(1, 2), (2, 2), (3, 2)]
    rec = RaggedRecords(
        np.array([0, 1]), np.zeros(2), [np.zeros(1, [("a", "f8")]), np.ones(2, [("a", "f8")])]
    )
    assert [v.tolist() for v in columns_of(rec)["value.a"]] == [[0.0], [1.0, 1.0]]


def test_columns_of_partial_reads_and_bad_input(sample_master):
    db = ploteries.open(sample_master)
    assert sorted(columns_of(db.read("seed=0", "loss/train", fields=("step", "value")))) == ["step", "value"]
    with pytest.raises(TypeError, match=r"records must be what Database.read returns .* got ndarray"):
        columns_of(db.read("seed=0", "loss/train", fields=("value",)))
    with pytest.raises(TypeError, match=r"got list"):
        columns_of([1, 2])


# --------------------------------------------------------------------------------------------- steps


COLS = {
    "step": np.array([0, 5, 10, 15]),
    "value": np.array([1.0, 2.0, 3.0, 4.0]),
    "v": [np.zeros(i) for i in range(4)],
}


@pytest.mark.parametrize(
    ("steps", "rows"),
    [("all", [0, 1, 2, 3]), ("latest", [3]), ([5, None], [1, 2, 3]), ([None, 10], [0, 1]), ([6, 15], [2]),
     ([20, None], [])],
)  # fmt: skip
def test_select_steps(steps, rows):
    out = select_steps(COLS, steps)
    assert out["step"].tolist() == COLS["step"][rows].tolist()
    assert [len(v) for v in out["v"]] == rows


def test_read_kwargs_match_the_selection(sample_master):
    db = ploteries.open(sample_master)
    inf = db.info("seed=0", "attn")
    latest = db.read("seed=0", "attn", **read_kwargs({"tag": "attn", "steps": "latest"}, inf))
    assert latest["step"].tolist() == [4]
    ranged = db.read("seed=0", "loss/train", **read_kwargs({"tag": "x", "steps": [5, 8]}, inf))
    assert ranged["step"].tolist() == [5, 6, 7]
    assert read_kwargs({"tag": "x"}, inf) == {}
    assert read_kwargs({"tag": "x", "steps": "latest"}, SimpleNamespace(count=0)) == {"from_row": 0}


# ----------------------------------------------------------------------------------------- aggregate


def test_aggregate_runs_aligns_on_the_union_of_steps():
    agg = aggregate_runs([([0, 1, 2], [1.0, 2.0, 3.0]), ([1, 2, 3], [4.0, np.nan, 6.0]), ([2], [9.0])])
    assert agg["step"].tolist() == [0, 1, 2, 3]
    assert agg["count"].tolist() == [1, 2, 2, 1]
    np.testing.assert_allclose(agg["mean"], [1.0, 3.0, 6.0, 6.0])
    np.testing.assert_allclose(agg["min"], [1.0, 2.0, 3.0, 6.0])
    np.testing.assert_allclose(agg["max"], [1.0, 4.0, 9.0, 6.0])
    np.testing.assert_allclose(agg["std"], [0.0, 1.0, 3.0, 0.0])
    np.testing.assert_allclose(agg["mean-std"], [1.0, 2.0, 3.0, 6.0])
    np.testing.assert_allclose(agg["mean+std"], [1.0, 4.0, 9.0, 6.0])
    assert agg["step"].dtype == np.int64 and agg["count"].dtype == np.int64


def test_aggregate_steps_with_only_nan_are_nan_with_count_zero():
    agg = aggregate_runs([([0, 1], [np.nan, 1.0]), ([0], [np.nan])])
    assert agg["count"].tolist() == [0, 1]
    assert all(math.isnan(agg[k][0]) for k in ("mean", "min", "max", "std"))


def test_aggregate_repeated_steps_count_the_last_record_and_unsorted_steps_sort():
    agg = aggregate_runs([([2, 0, 2], [5.0, 1.0, 7.0])])
    assert agg["step"].tolist() == [0, 2] and agg["mean"].tolist() == [1.0, 7.0]


def test_aggregate_array_values_elementwise_and_empty_input():
    agg = aggregate_runs([([0], [[1.0, 2.0]]), ([0], [[3.0, np.nan]])])
    assert agg["mean"].tolist() == [[2.0, 2.0]] and agg["count"].tolist() == [[2, 1]]
    empty = aggregate_runs([])
    assert empty["step"].tolist() == [] and empty["mean"].shape == (0,)


def test_aggregate_errors():
    with pytest.raises(
        ValueError, match=r"aggregate over runs needs one value shape in every run, got shapes"
    ):
        aggregate_runs([([0], [[1.0]]), ([0], [1.0])])
    with pytest.raises(ValueError, match=r"aggregate over runs needs numbers; run 0 has dtype \[\('a'"):
        aggregate_runs([([0], np.zeros(1, [("a", "f8")]))])
    with pytest.raises(ValueError, match=r"run 1 has values of several shapes"):
        aggregate_runs([([0], [1.0]), ([0, 1], [np.zeros(2), np.zeros(3)])])
    with pytest.raises(ValueError, match=r"run 0: steps \(shape \(2,\)\) and values \(shape \(1,\)\)"):
        aggregate_runs([([0, 1], [1.0])])


runs_strategy = st.lists(
    st.dictionaries(
        st.integers(0, 30),
        st.one_of(st.floats(-1e6, 1e6, allow_nan=False), st.just(float("nan"))),
        max_size=12,
    ),
    max_size=5,
)


@settings(max_examples=200, deadline=None)
@given(runs_strategy)
def test_aggregate_runs_matches_a_plain_python_model(runs):
    agg = aggregate_runs([(list(r), list(r.values())) for r in runs])
    steps = sorted({s for r in runs for s in r})
    assert agg["step"].tolist() == steps
    for i, step in enumerate(steps):
        values = [r[step] for r in runs if step in r and not math.isnan(r[step])]
        assert agg["count"][i] == len(values)
        if not values:
            assert math.isnan(agg["mean"][i]) and math.isnan(agg["min"][i]) and math.isnan(agg["std"][i])
            continue
        mean = sum(values) / len(values)
        assert agg["mean"][i] == pytest.approx(mean, rel=1e-9, abs=1e-6)
        assert agg["min"][i] == min(values) and agg["max"][i] == max(values)
        std = math.sqrt(sum((v - mean) ** 2 for v in values) / len(values))
        assert agg["std"][i] == pytest.approx(std, rel=1e-6, abs=1e-6)


# ---------------------------------------------------------------------------------------------- fill


def test_fill_trace_binds_columns_at_any_depth_and_substitutes_text():
    cols = {"step": np.array([0, 1]), "value": np.array([0.5, 0.25]), "wall_time": np.array([1.0, 2.0])}
    template = {
        "type": "scatter",
        "x": "$l.step",
        "y": "$l.value",
        "marker": {"color": "$l.wall_time", "line": {"width": [1, "$l.step"]}},
        "name": "$run: ${tag}s [$part] via $binding, $$5 $%{y}",
        "opacity": 0.5,
    }
    out = fill_trace(template, cols, {"run": "a", "tag": "loss", "part": "", "binding": "l"})
    assert out["x"] is cols["step"] and out["y"] is cols["value"]
    assert out["marker"]["color"] is cols["wall_time"] and out["marker"]["line"]["width"][1] is cols["step"]
    assert out["name"] == "a: losss [] via l, $5 $%{y}"
    assert out["opacity"] == 0.5 and template["x"] == "$l.step"  # the template is untouched


def test_fill_trace_latest_binds_the_last_value(sample_master):
    db = ploteries.open(sample_master)
    d = definition({"m": {"tag": "attn", "run": "seed=0", "steps": "latest"}}, [{"type": "heatmap", "z": "$m.value",
                   "text": "$m.step"}])  # fmt: skip
    (inst,) = expand_traces(d, db.series())
    cols = columns_of(db.read("seed=0", "attn"))  # the whole series: fill_trace keeps the last record
    out = fill_trace(inst.template, cols, inst.context)
    np.testing.assert_array_equal(out["z"], attention(4))
    assert out["text"] == 4 and type(out["text"]) is int
    scalar = fill_trace({"y": ["$t.value"]}, {"step": np.array([3]), "value": np.array([2.5])},
                        {"binding": "t", "steps": "latest"})  # fmt: skip
    assert scalar["y"] == [2.5] and type(scalar["y"][0]) is float
    empty = fill_trace({"z": "$t.value"}, {"step": np.array([], int), "value": np.array([])},
                       {"binding": "t", "steps": "latest"})  # fmt: skip
    assert empty["z"] is None


def test_fill_trace_applies_a_step_range():
    cols = {"step": np.array([0, 5, 10]), "value": np.array([1.0, 2.0, 3.0])}
    out = fill_trace({"x": "$t.step"}, cols, {"binding": "t", "steps": [5, None]})
    assert out["x"].tolist() == [5, 10]


def test_fill_trace_errors_name_the_column_and_path():
    cols = {"step": np.array([0]), "value": np.array([1.0])}
    with pytest.raises(ValueError, match=r"figure.data\[2\].marker.color: '\$t.value.a' needs column 'value.a', "
                       r"which series 'r/loss' does not have; columns: step, value"):  # fmt: skip
        fill_trace(
            {"marker": {"color": "$t.value.a"}}, cols, {"binding": "t", "run": "r", "tag": "loss", "index": 2}
        )
    with pytest.raises(ValueError, match=r"trace.y: '\$u.value' refers to binding 'u', but this trace draws "
                       r"from 't'"):  # fmt: skip
        fill_trace({"y": "$u.value"}, cols, {"binding": "t"})
    with pytest.raises(ValueError, match=r"uses \$nope, which is not a substitution"):
        fill_trace({"name": "$nope"}, cols, {"binding": "t"})


@given(st.text(), st.text(), st.text())
def test_substitution_inserts_names_verbatim(run, tag, literal):
    escaped = literal.replace("$", "$$")
    out = substitute_text(f"$run|${{tag}}|{escaped}", {"run": run, "tag": tag})
    assert out == f"{run}|{tag}|{literal}"


def test_instance_columns_and_build_figure_on_a_real_database(sample_master):
    db = ploteries.open(sample_master)
    d = definition(
        {"a": {"tag": "loss/train", "run": "seed=*", "aggregate": "runs", "steps": [None, 18]}},
        [{"x": "$a.step", "y": "$a.mean", "name": "$tag ($run)"}],
    )
    (inst,) = expand_traces(d, db.series())
    cols = instance_columns(inst, [db.read(i.run, i.tag) for i in inst.series])
    assert cols["step"].tolist() == list(range(18))
    assert cols["count"].tolist() == [3] * 15 + [2] * 3
    expected = [np.mean([train_loss(r, s) for r in range(3) if s < 15 or r < 2]) for s in range(18)]
    np.testing.assert_allclose(cols["mean"], expected)
    fig = build_figure(d, db)
    assert fig["layout"] == {"title": {"text": "x"}}
    np.testing.assert_allclose(fig["data"][0]["y"], expected)
    assert fig["data"][0]["name"] == "loss/train (seed=*)"
    static = TraceInstance(0, None, [], {"y": [1]})
    assert instance_columns(static, []) == {}


def test_tab_of_definition():
    assert tab_of_definition({"tab": "t", "series": {"a": {"tag": "loss/x"}}}) == "t"
    assert tab_of_definition({"tab": None, "series": {"a": {"tag": "loss/x"}, "b": {"tag": "acc"}}}) == "loss"
    assert tab_of_definition({"series": {"a": {"tag": "acc"}}}) == "acc"
    assert tab_of_definition({"series": {"a": {"tag": "l?ss/x"}}}) is None
    assert tab_of_definition({"series": {}}) is None


def test_binding_spec_fills_defaults():
    assert binding_spec({"tag": "t"}) == {"run": "*", "part": "", "field": None, "steps": "all", "aggregate": None,
                                          "tag": "t"}  # fmt: skip


_GLOB_ALPHABET = st.sampled_from(list("ab/*?[]!-=.") + ["é", "ü"])


@settings(deadline=None)  # a loaded machine must not fail a property of pure functions
@given(st.text(_GLOB_ALPHABET, max_size=8), st.text(_GLOB_ALPHABET, max_size=8))
def test_glob_test_agrees_with_fnmatchcase(pattern, name):
    assert glob_test(pattern)(name) == fnmatch.fnmatchcase(name, pattern)
