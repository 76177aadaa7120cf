import math
import re

from hypothesis import given
from hypothesis import strategies as st

from ploteries.viz.services.runlist import (
    NO_GROUP,
    RUN_PAGE_SIZE,
    group_runs,
    hidden_runs,
    matching,
    page_of,
    parse_selection,
    set_shown,
    sort_runs,
)
from ploteries.viz.services.tags import tag_sort_key

names = st.text(alphabet="abcxyz019=_/.", min_size=1, max_size=12)
run_sets = st.lists(names, min_size=0, max_size=40, unique=True)
values = st.one_of(
    st.none(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(-5, 5),
    st.sampled_from(["adam", "sgd"]),
)


@given(run_sets, st.text(alphabet="abcxyz019", min_size=0, max_size=3))
def test_matching_a_literal_is_a_case_insensitive_substring_test(runs, needle):
    labels = {r: r.upper() if i % 2 else r for i, r in enumerate(runs)}
    got, error = matching(labels, needle)
    assert error is None
    assert got == [k for k, label in labels.items() if needle.casefold() in label.casefold()]


def test_matching_refuses_what_re2_cannot_match_in_linear_time():
    got, error = matching({"a": "aa"}, r"(a)\1")
    assert got == [] and "RE2" in error
    assert matching({"a": "x" * 50_000}, "(.*.*)*Z") == ([], None)


@given(st.dictionaries(names, values, max_size=40), st.booleans())
def test_sort_is_a_permutation_ordered_by_value_with_missing_last(vals, descending):
    labels = {k: k for k in vals}
    order = sort_runs(list(vals), labels, vals, descending=descending)
    assert sorted(order) == sorted(vals)

    def present(v):
        return isinstance(v, str) or (v is not None and math.isfinite(v))

    flags = [present(vals[k]) for k in order]
    assert flags == sorted(flags, reverse=True)  # every run with a value before every run without
    numbers = [float(vals[k]) for k in order if present(vals[k]) and not isinstance(vals[k], str)]
    assert numbers == sorted(numbers, reverse=descending)


@given(run_sets)
def test_sort_by_name_is_natural_order(runs):
    labels = {r: r for r in runs}
    assert sort_runs(runs, labels) == sorted(runs, key=tag_sort_key)


@given(st.lists(st.integers(), max_size=400), st.one_of(st.integers(-10, 10), st.text(max_size=3), st.none()))
def test_pages_cover_the_items_once(items, page):
    got, p, pages = page_of(items, page)
    assert 0 <= p < pages and len(got) <= RUN_PAGE_SIZE
    assert got == items[p * RUN_PAGE_SIZE : (p + 1) * RUN_PAGE_SIZE]
    assert sum(len(page_of(items, i)[0]) for i in range(pages)) == len(items)


@given(st.lists(names, min_size=1, max_size=30, unique=True), st.data())
def test_showing_and_hiding_keep_the_rest_and_the_shorter_form(all_runs, data):
    selection = None
    hidden: set = set()
    for _ in range(data.draw(st.integers(1, 5))):
        runs = data.draw(st.lists(st.sampled_from(all_runs), max_size=len(all_runs)))
        shown = data.draw(st.booleans())
        selection = set_shown(selection, runs, shown, all_runs)
        hidden = hidden - set(runs) if shown else hidden | set(runs)
        assert hidden_runs(selection, all_runs) == hidden
        assert len(selection["runs"]) <= math.ceil(len(all_runs) / 2)


def test_a_new_run_appears_when_few_are_hidden_and_stays_hidden_under_only():
    few = set_shown(None, ["a"], False, ["a", "b", "c"])
    assert hidden_runs(few, ["a", "b", "c", "new"]) == {"a"}
    only = set_shown(None, ["a", "b"], False, ["a", "b", "c"])
    assert hidden_runs(only, ["a", "b", "c", "new"]) == {"a", "b", "new"}


@given(
    st.one_of(
        st.none(), st.integers(), st.text(), st.dictionaries(st.text(max_size=5), st.integers(), max_size=3)
    )
)
def test_malformed_selections_hide_nothing(data):
    assert parse_selection(data) == (False, [])


def test_group_by_regex_capture_and_by_hparam():
    labels = {1: "s1/lr=0.1", 2: "s2/LR=0.1", 3: "s1/lr=1", 4: "base"}
    groups, error = group_runs([1, 2, 3, 4], labels, r"regex:lr=([\d.]+)")
    assert error is None and groups == {"0.1": [1, 2], "1": [3], NO_GROUP: [4]}
    hp = {1: {"lr": 0.1, "opt": "adam"}, 2: {"lr": 0.1}, 3: {"lr": 10.0}}
    groups, _ = group_runs([1, 2, 3, 4], labels, "hparam:lr", hp)
    assert groups == {"lr=0.1": [1, 2], "lr=10": [3], NO_GROUP: [4]}


def test_group_errors_say_what_to_give():
    assert "RE2" in group_runs([1], {1: "a"}, r"regex:(a)\1")[1]
    assert "give a pattern" in group_runs([1], {1: "a"}, "regex:")[1]
    assert "regex:PATTERN" in group_runs([1], {1: "a"}, "bogus")[1]


@given(
    st.dictionaries(st.integers(0, 50), names, max_size=30),
    st.sampled_from(["regex:(x|y)", "regex:[0-9]", "regex:a"]),
)
def test_every_run_is_in_exactly_one_group(labels, by):
    groups, error = group_runs(list(labels), labels, by)
    assert error is None
    members = [k for g in groups.values() for k in g]
    assert sorted(members) == sorted(labels)


def test_thousands_of_runs_get_distinct_colours_at_once():
    # one lightness gives ~1,000 distinct hues: 5,000 runs once probed forever
    from ploteries.viz.services.tags import run_colors

    colors = run_colors([f"seed={i}/lr={i % 3}" for i in range(5000)])
    assert len(set(colors.values())) == 5000
    assert all(re.fullmatch(r"#[0-9a-f]{6}", c) for c in colors.values())
