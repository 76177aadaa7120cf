import pytest

from ploteries.compat.custom_scalars import encode_custom_scalars, margin_chart_layout, multiline_chart_layout


def tb_layout(summary, layout):
    """Decode torch's custom scalars summary back into the layout dict form."""
    from tensorboard.plugins.custom_scalar import layout_pb2

    proto = layout_pb2.Layout.FromString(summary.custom_scalars(layout).value[0].tensor.string_val[0])
    out = {}
    for category in proto.category:
        out[category.title] = {}
        for chart in category.chart:
            if chart.WhichOneof("content") == "margin":
                s = chart.margin.series[0]
                out[category.title][chart.title] = ["Margin", [s.value, s.lower, s.upper]]
            else:
                out[category.title][chart.title] = ["Multiline", list(chart.multiline.tag)]
    return out


LAYOUT = {
    "Taiwan": {"twse": ["Multiline", ["twse/0050", "twse/2330"]]},
    "USA": {
        "dow": ["Margin", ["dow/aaa", "dow/bbb", "dow/ccc"]],
        "nasdaq": ["Margin", ["nasdaq/aaa", "nasdaq/bbb", "nasdaq/ccc"]],
        "regex": ("Multiline", ("loss.*",)),
    },
}


def test_matches_torch(tb_summary):
    assert encode_custom_scalars(LAYOUT) == tb_layout(tb_summary, LAYOUT)


def test_helpers():
    assert multiline_chart_layout(["a", "b"]) == {"default": {"untitled": ["Multiline", ["a", "b"]]}}
    assert margin_chart_layout(["v", "lo", "hi"], category="c", title="t") == {
        "c": {"t": ["Margin", ["v", "lo", "hi"]]}
    }


@pytest.mark.parametrize("tags", [["a"], ["a", "b"], ["a", "b", "c", "d"]])
def test_margin_needs_three_tags(tags):
    with pytest.raises(
        ValueError, match=rf"Margin chart and needs exactly 3 tags \(value, lower, upper\), got {len(tags)}"
    ):
        margin_chart_layout(tags)


@pytest.mark.parametrize(
    "layout, exc, match",
    [
        ([1], TypeError, r"layout must be a dict"),
        (
            {"c": ["Multiline", ["a"]]},
            TypeError,
            r"layout\['c'\] must map a str category to a dict of charts",
        ),
        (
            {"c": {"t": ["Bars", ["a"]]}},
            ValueError,
            r"layout\['c'\]\['t'\] chart type must be 'Multiline' or 'Margin', got 'Bars'",
        ),
        ({"c": {"t": ["Multiline"]}}, ValueError, r"layout\['c'\]\['t'\] must be \[chart_type, tags\]"),
        ({"c": {"t": ["Multiline", "abc"]}}, TypeError, r"layout\['c'\]\['t'\] tags must be a list of str"),
        ({"c": {"t": ["Multiline", ["a", 3]]}}, TypeError, r"tags must be str, got 3"),
    ],
)
def test_errors(layout, exc, match):
    with pytest.raises(exc, match=match):
        encode_custom_scalars(layout)
