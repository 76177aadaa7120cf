"""``ploteries figures add`` refuses YAML alias bombs and oversized files before building any value."""

from __future__ import annotations

import pytest

from ploteries.cli import main
from ploteries.commands.figures import MAX_YAML_NODES, load_yaml, parse_definition_text
from tests.viz.helpers import write_scalars


def laughs(levels: int, width: int = 9) -> str:
    """The "billion laughs": each level a list of ``width`` aliases to the level below (width ** levels values)."""
    lines = ["id: bomb", "l0: &l0 [" + ", ".join(["lol"] * width) + "]"]
    lines += [f"l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * width) + "]" for i in range(1, levels)]
    return "\n".join(lines) + "\n"


@pytest.mark.timeout(30)
def test_a_billion_laughs_is_refused_at_once(tmp_path, capsys):
    text = laughs(10)  # 9 ** 10 = 3.5e9 values from under 1 kB
    assert len(text) < 1000
    with pytest.raises(ValueError, match=f"expands its YAML aliases to more than {MAX_YAML_NODES:,} values"):
        parse_definition_text(text, "bomb.yaml")
    db = write_scalars(tmp_path / "db.h5", {"r": {"loss": [1.0]}})
    (tmp_path / "bomb.yaml").write_text(text)
    assert main(["figures", "add", str(db), str(tmp_path / "bomb.yaml")]) != 0
    assert "expands its YAML aliases" in capsys.readouterr().err


def test_a_few_aliases_still_load_and_a_cycle_is_refused():
    assert load_yaml(laughs(3, width=3), "ok.yaml")["l2"] == [[["lol"] * 3] * 3] * 3
    with pytest.raises(ValueError, match="a YAML alias to itself"):
        load_yaml("a: &a [1, *a]", "loop.yaml")


def test_an_oversized_file_is_refused_before_parsing():
    with pytest.raises(ValueError, match=r"is 1,048,577 characters; a definition is at most 1,048,576 bytes"):
        parse_definition_text("#" * (2**20 + 1), "big.yaml")
