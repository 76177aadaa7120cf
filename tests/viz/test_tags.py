import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ploteries.viz.services.tags import (
    DISTINCT,
    MAX_FILTER_LENGTH,
    PALETTE,
    color_distance,
    compile_filter,
    group_tags,
    run_colors,
    tab_of,
)


@pytest.mark.parametrize(
    ("tag", "tab"),
    [("loss/train", "loss"), ("loss", "loss"), ("a/b/c", "a"), ("/x", ""), ("x/", "x"), ("", "")],
)
def test_tab_of(tag, tab):
    assert tab_of(tag) == tab


def test_group_tags_natural_order_and_dedup():
    tags = ["layer10/w", "layer2/w", "loss/val", "loss/train", "lr", "loss/train", "layer2/b"]
    assert group_tags(tags) == {
        "layer2": ["layer2/b", "layer2/w"],
        "layer10": ["layer10/w"],
        "loss": ["loss/train", "loss/val"],
        "lr": ["lr"],
    }
    assert list(group_tags(tags)) == ["layer2", "layer10", "loss", "lr"]


def test_group_tags_empty():
    assert group_tags([]) == {}


@pytest.mark.parametrize("pattern", [None, "", "   "])
def test_empty_filter_matches_everything(pattern):
    assert compile_filter(pattern) == (None, None)


def test_filter_is_case_insensitive_search():
    regex, error = compile_filter("^loss/(train|val)")
    assert error is None and regex is not None
    assert [t for t in ["LOSS/train", "loss/val", "val/loss"] if regex.search(t)] == [
        "LOSS/train",
        "loss/val",
    ]


@pytest.mark.parametrize(
    ("pattern", "message"),
    [
        ("(", "invalid regular expression '(': missing ), unterminated subpattern at position 0"),
        ("[a-", "invalid regular expression '[a-': unterminated character set at position 0"),
        ("*x", "invalid regular expression '*x': nothing to repeat at position 0"),
    ],
)
def test_invalid_filter_gives_a_message(pattern, message):
    assert compile_filter(pattern) == (None, message)


@pytest.mark.parametrize(
    ("pattern", "message"),
    [
        (r"(a)\1", "uses syntax that filters do not support (invalid escape sequence: \\1)"),
        ("x(?=y)", "uses syntax that filters do not support (invalid perl operator: (?=)"),
        ("(?<!x)y", "uses syntax that filters do not support (invalid perl operator: (?<!)"),
        ("((a{500}){500})", "is too large for a filter (invalid repetition size: {500})"),
        (
            "x" * (MAX_FILTER_LENGTH + 1),
            f"the filter is {MAX_FILTER_LENGTH + 1} characters long; the limit is",
        ),
        (123, "a filter must be text, got int '123'"),
        (["a"], "a filter must be text, got list"),
        ("a\ud800", "it is not valid Unicode text"),
    ],
)
def test_unsupported_too_long_or_non_text_filters_are_refused_with_a_message(pattern, message):
    regex, error = compile_filter(pattern)
    assert regex is None and message in error


@pytest.mark.timeout(20)  # Python's re takes minutes (then hours) on each of these
@pytest.mark.parametrize("pattern", ["(.*.*)*Z", "(a+)+$", "(a|aa)+b", "(x+x+)+y", "^(\\w+\\s?)*$!"])
def test_backtracking_patterns_match_in_linear_time(pattern):
    regex, error = compile_filter(pattern)
    assert error is None
    for text in ("a" * 40 + "!", "x" * 100_000, "loss/training_value_of_a_run"):
        assert regex.search(text) is None


@given(
    st.text(alphabet="abAB/_.-0", max_size=6),
    st.lists(st.text(alphabet="abAB/_.-0", max_size=12), max_size=8),
)
def test_filter_agrees_with_python_re_on_escaped_text(needle, texts):
    regex, error = compile_filter(re.escape(needle) if needle.strip() else None)
    python = re.compile(re.escape(needle), re.IGNORECASE) if needle.strip() else None
    assert error is None
    for text in texts:
        assert (regex is None or regex.search(text) is not None) == (
            python is None or bool(python.search(text))
        )


@given(st.text(max_size=20))
def test_compile_filter_never_raises(pattern):
    regex, error = compile_filter(pattern)
    assert regex is None or error is None


def test_run_colors_are_distinct_and_from_the_palette():
    runs = [f"run{i}" for i in range(len(PALETTE))]
    colors = run_colors(runs)
    assert set(colors) == set(runs)
    assert sorted(colors.values()) == sorted(PALETTE)


@given(st.sets(st.text(max_size=12), min_size=2, max_size=6))
def test_a_few_runs_never_get_look_alike_colours(names):
    colors = list(run_colors(names).values())
    assert min(color_distance(a, b) for i, a in enumerate(colors) for b in colors[i + 1 :]) >= DISTINCT


def test_run_colors_beyond_the_palette_stay_distinct():
    colors = run_colors(f"seed={i}" for i in range(200))
    assert len(set(colors.values())) == 200
    assert all(re.fullmatch(r"#[0-9a-f]{6}", c) for c in colors.values())


def test_run_color_depends_on_the_name_only():
    # A lone run always gets its hash's slot, whatever else was ever shown.
    assert run_colors(["exp1"]) == run_colors(["exp1"])
    assert run_colors(["exp1"])["exp1"] == run_colors(["exp1", "exp1"])["exp1"]


def test_run_colors_known_values():
    # Pinned: changing the palette or the hash changes users' colours; do it on purpose only.
    assert run_colors(["train", "val", "lr=0.1"]) == {
        "lr=0.1": "#2ca02c",
        "train": "#ff7f0e",
        "val": "#17becf",
    }


@given(st.lists(st.text(max_size=8), max_size=40), st.randoms())
def test_run_colors_do_not_depend_on_order(names, rnd):
    shuffled = list(names)
    rnd.shuffle(shuffled)
    colors = run_colors(names)
    assert colors == run_colors(shuffled)
    assert len(set(colors.values())) == len(colors)


def test_first_run_in_name_order_keeps_its_colour_when_others_join():
    alone = run_colors(["alpha"])["alpha"]
    assert run_colors(["alpha", *(f"zeta{i}" for i in range(30))])["alpha"] == alone
