"""``ploteries figures ls|show|add|edit|rm``: driven through ``ploteries.cli.main`` (and once as a process)."""

from __future__ import annotations

import io
import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

import ploteries
from ploteries.cli import main
from ploteries.commands.figures import apply_set, parse_set, parse_steps

EDITOR = Path(__file__).with_name("fake_editor.py")
ROOT = Path(__file__).parents[2]


def run(capsys, *argv):
    code = main(["figures", *map(str, argv)])
    out, err = capsys.readouterr()
    return code, out, err


def figures_of(path):
    return ploteries.open(path).figures


def write(path: Path, obj) -> Path:
    path.write_text(json.dumps(obj) if path.suffix == ".json" else yaml.safe_dump(obj))
    return path


LOSS = {
    "id": "loss",
    "series": {"l": {"tag": "loss/*"}},
    "figure": {"data": [{"type": "scatter", "x": "$l.step", "y": "$l.value", "name": "$run"}]},
}


# ---------------------------------------------------------------------------------------------- add


@pytest.mark.parametrize("suffix", [".json", ".yaml"])
def test_add_from_a_file_then_ls_and_show(capsys, sample_db, tmp_path, suffix):
    f = write(tmp_path / f"loss{suffix}", LOSS)
    assert run(capsys, "add", sample_db, f) == (0, f"added figure 'loss' to {sample_db}\n", "")
    code, out, _ = run(capsys, "ls", sample_db)
    assert code == 0
    assert out.splitlines() == [
        "ID    CARD    TAB     TITLE  BINDINGS",
        "loss  plotly  (loss)  loss   l=loss/*",
    ]
    code, out, _ = run(capsys, "show", sample_db, "loss")
    shown = json.loads(out)
    assert shown == figures_of(sample_db).get("loss") and shown["version"] == 1
    code, out, _ = run(capsys, "show", sample_db, "loss", "--yaml")
    assert yaml.safe_load(out) == shown
    code, out, _ = run(capsys, "ls", sample_db, "--json")
    assert json.loads(out) == [shown]


def test_add_from_stdin_with_overrides(capsys, sample_db, monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.StringIO(yaml.safe_dump({**LOSS, "version": 9})))
    code, _, err = run(capsys, "add", sample_db, "-", "--id", "copy", "--title", "Copy", "--tab", "t")
    assert (code, err) == (0, "")
    d = figures_of(sample_db).get("copy")
    assert (d["title"], d["tab"], d["version"]) == ("Copy", "t", 1)


def test_add_from_a_template(capsys, sample_db):
    code, out, _ = run(capsys, "add", sample_db, "--template", "runs_band", "--tag", "loss/train", "--id",
                       "band", "--runs", "seed=*", "--band", "std", "--title", "Band")  # fmt: skip
    assert code == 0, out
    d = figures_of(sample_db).get("band")
    assert d["title"] == "Band" and d["series"]["runs"] == {
        "run": "seed=*", "tag": "loss/train", "part": "", "field": None, "steps": "all", "aggregate": "runs"
    }  # fmt: skip
    assert d["figure"]["data"][0]["y"] == "$runs.mean-std"
    assert (
        run(capsys, "add", sample_db, "--template", "multi_tag", "--tag", "a", "--tag", "b", "--id", "m")[0]
        == 0
    )
    assert list(figures_of(sample_db).get("m")["series"]) == ["t0", "t1"]
    code, _, _ = run(capsys, "add", sample_db, "--template", "latest_heatmap", "--tag", "attn", "--run", "seed=0",
                     "--id", "h", "--trace-type", "surface")  # fmt: skip
    assert code == 0 and figures_of(sample_db).get("h")["figure"]["data"][0]["type"] == "surface"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--template", "runs_band", "--tag", "loss"], r"--template runs_band needs --id"),
        (["--template", "runs_band", "--id", "b"], r"--template runs_band needs exactly one --tag, got 0"),
        (["--template", "multi_tag", "--id", "b"], r"--template multi_tag needs --tag \(repeat it"),
        (["--template", "latest_heatmap", "--id", "b", "--tag", "a"], r"needs --run \(one exact run name\)"),
        (["--template", "lines", "--id", "b", "--tag", "a", "--band", "std"],
         r"--band does not apply to --template lines \(it takes id, tag, runs, title, tab, field\)"),
        (["--template", "lines", "--id", "b", "--tag", "a", "--x", "wall_time"],
         r"--x does not apply to --template lines; change it with --set"),
        (["--id", "x"], r"give FILE \('-' for stdin\), --template NAME, or at least --id and --tag"),
        (["--id", "x", "--tag", "a", "--tag", "b"], r"one --tag for a one-trace figure; use --template multi_tag"),
        (["--id", "x", "--tag", "a", "--steps", "5"], r"--steps '5' must be all, latest or START:STOP"),
        (["--id", "x", "--tag", "a", "--trace-type", "lines"], r"figure.data\[0\].type 'lines' is not a Plotly"),
        (["--id", "x", "--tag", "a", "--x", "stp"], r"'\$s.stp' names column 'stp' of binding 's'"),
        (["--id", "auto/x", "--tag", "a"], r"id 'auto/x' starts with 'auto/'"),
        (["--id", "x", "--tag", "a", "--set", "figure.layout.x"], r"--set 'figure.layout.x' is not PATH=VALUE"),
        (["--id", "x", "--tag", "a", "--set", "options.a=1", "--set", "optoins.b=2"],
         r"optoins is not a known key \(did you mean 'options'\?\)"),
    ],
)  # fmt: skip
def test_add_errors_exit_2_and_write_nothing(capsys, sample_db, argv, message):
    code, out, err = run(capsys, "add", sample_db, *argv)
    assert code == 2 and out == ""
    assert err.startswith("ploteries figures: error: ")
    assert re.search(message, err), err
    assert len(figures_of(sample_db)) == 0


def test_add_flags_build_a_one_trace_figure(capsys, sample_db):
    code, _, _ = run(capsys, "add", sample_db, "--id", "lr", "--tag", "loss/train", "--run", "seed=1", "--trace-type",
                     "bar", "--title", "LR", "--tab", "opt", "--steps", "5:", "--set", "figure.layout.yaxis.type=log",
                     "--set", "figure.data[0].marker.opacity=0.5")  # fmt: skip
    assert code == 0
    d = figures_of(sample_db).get("lr")
    assert d["series"]["s"] == {"run": "seed=1", "tag": "loss/train", "part": "", "field": None, "steps": [5, None],
                                "aggregate": None}  # fmt: skip
    assert d["figure"] == {
        "data": [
            {"type": "bar", "name": "$run: $tag", "x": "$s.step", "y": "$s.value", "marker": {"opacity": 0.5}}
        ],
        "layout": {"yaxis": {"type": "log"}},
    }
    assert (d["title"], d["tab"]) == ("LR", "opt")
    run(
        capsys,
        "add",
        sample_db,
        "--id",
        "hm",
        "--tag",
        "attn",
        "--trace-type",
        "heatmap",
        "--steps",
        "latest",
    )
    assert figures_of(sample_db).get("hm")["figure"]["data"][0] == {"type": "heatmap", "name": "$run: $tag",
                                                                     "z": "$s.value"}  # fmt: skip
    run(
        capsys,
        "add",
        sample_db,
        "--id",
        "sc",
        "--tag",
        "loss/val",
        "--x",
        "wall_time",
        "--y",
        "",
        "--field",
        "a",
    )
    trace = figures_of(sample_db).get("sc")["figure"]["data"][0]
    assert trace["x"] == "$s.wall_time" and "y" not in trace and trace["mode"] == "lines"


def test_add_an_existing_id_is_an_error(capsys, sample_db, tmp_path):
    f = write(tmp_path / "l.json", LOSS)
    run(capsys, "add", sample_db, f)
    code, _, err = run(capsys, "add", sample_db, f)
    assert code == 2 and "a figure with id 'loss' exists" in err


def test_bad_files(capsys, sample_db, tmp_path):
    (tmp_path / "bad.json").write_text("{not json")
    (tmp_path / "bad.yaml").write_text("a: [unclosed")
    (tmp_path / "list.yaml").write_text("- 1\n- 2\n")
    (tmp_path / "empty.json").write_text("  \n")
    (tmp_path / "evil.yaml").write_text("id: !!python/object/apply:os.system ['touch pwned']\nseries: {}\n")
    cases = {
        "bad.json": r"bad.json is not valid JSON: Expecting property name",
        "bad.yaml": r"bad.yaml is neither valid JSON nor valid YAML",
        "list.yaml": r"list.yaml holds a list, not a definition",
        "empty.json": r"empty.json is empty; write a JSON or YAML definition",
        "evil.yaml": r"evil.yaml is neither valid JSON nor valid YAML: could not determine a constructor",
        "missing.json": r"no such file: .*missing.json",
    }
    for name, message in cases.items():
        code, _, err = run(capsys, "add", sample_db, tmp_path / name)
        assert code == 2 and re.search(message, err), err
    assert not Path("pwned").exists() and len(figures_of(sample_db)) == 0


def test_a_missing_database(capsys, tmp_path):
    code, _, err = run(capsys, "ls", tmp_path / "nope.h5")
    assert code == 2 and "no ploteries database at" in err and not (tmp_path / "nope.h5").exists()


# ---------------------------------------------------------------------------------------------- edit


@pytest.fixture
def with_loss(capsys, sample_db, tmp_path):
    run(capsys, "add", sample_db, write(tmp_path / "l.json", LOSS))
    return sample_db


def test_edit_with_set_and_file(capsys, with_loss, tmp_path):
    code, out, _ = run(capsys, "edit", with_loss, "loss", "--set", "figure.layout.yaxis.type=log", "--set",
                       "figure.data[0].mode=lines+markers", "--set", "series.l.steps=[100, null]")  # fmt: skip
    assert (code, out) == (0, "updated figure 'loss' (version 2)\n")
    d = figures_of(with_loss).get("loss")
    assert d["figure"]["layout"] == {"yaxis": {"type": "log"}}
    assert d["figure"]["data"][0]["mode"] == "lines+markers" and d["series"]["l"]["steps"] == [100, None]
    f = write(tmp_path / "new.yaml", {**LOSS, "title": "From file", "id": "loss"})
    assert run(capsys, "edit", with_loss, "loss", "--file", f)[0] == 0
    d = figures_of(with_loss).get("loss")
    assert d["title"] == "From file" and d["figure"]["layout"] == {} and d["version"] == 3
    code, _, err = run(capsys, "edit", with_loss, "loss", "--set", "series.l.steps=last")
    assert code == 2 and "series.l.steps must be 'all', 'latest'" in err
    code, _, err = run(capsys, "edit", with_loss, "loss", "--set", "figure.data[3].mode=x")
    assert code == 2 and "--set: figure.data has no item [3] (1)" in err
    code, _, err = run(capsys, "edit", with_loss, "nope", "--set", "title=x")
    assert code == 2 and "no figure 'nope'" in err
    assert figures_of(with_loss).get("loss")["version"] == 3


@pytest.fixture
def editor(monkeypatch, tmp_path):
    plan = tmp_path / "plan.json"

    def use(*steps):
        plan.write_text(json.dumps(list(steps)))
        monkeypatch.setenv("EDITOR", f"{shlex.quote(sys.executable)} {shlex.quote(str(EDITOR))}")
        monkeypatch.delenv("VISUAL", raising=False)
        monkeypatch.setenv("FAKE_EDITOR_PLAN", str(plan))
        return lambda: json.loads(Path(f"{plan}.seen").read_text())

    return use


def test_edit_in_the_editor(capsys, with_loss, editor):
    seen = editor({"title": "Edited"})
    code, out, err = run(capsys, "edit", with_loss, "loss")
    assert (code, out, err) == (0, "updated figure 'loss' (version 2)\n", "")
    assert figures_of(with_loss).get("loss")["title"] == "Edited"
    (first,) = seen()
    shown = json.loads(first["text"])
    assert first["name"] == "loss.json" and "version" not in shown and "updated" not in shown
    assert shown["series"]["l"]["tag"] == "loss/*"


def test_edit_unchanged_is_a_no_op(capsys, with_loss, editor):
    editor("keep")
    assert run(capsys, "edit", with_loss, "loss") == (0, "no changes to figure 'loss'\n", "")
    assert figures_of(with_loss).get("loss")["version"] == 1


def test_edit_reopens_on_an_error_and_keeps_the_users_text(capsys, with_loss, editor):
    bad = json.dumps({**LOSS, "figure": {"data": [{"type": "scater"}]}})
    seen = editor({"text": bad}, {"text": "{broken"}, {"text": json.dumps({**LOSS, "title": "Fixed"})})
    code, out, err = run(capsys, "edit", with_loss, "loss")
    assert code == 0 and out == "updated figure 'loss' (version 2)\n"
    assert "invalid definition: figure.data[0].type 'scater' is not a Plotly trace type" in err
    assert "loss.json is not valid JSON" in err
    history = seen()
    assert [h["text"] for h in history[1:]] == [bad, "{broken"]
    assert figures_of(with_loss).get("loss")["title"] == "Fixed"


def test_edit_aborts_when_left_unchanged_after_an_error(capsys, with_loss, editor):
    editor({"text": json.dumps({**LOSS, "card": "nope"})}, "keep")
    code, out, err = run(capsys, "edit", with_loss, "loss")
    assert code == 2 and out == ""
    assert "card 'nope' is not a known card type" in err
    assert "edit of figure 'loss' abandoned (the file was left unchanged); nothing written" in err
    assert figures_of(with_loss).get("loss")["version"] == 1


def test_edit_does_not_overwrite_a_concurrent_change(capsys, with_loss, editor, monkeypatch):
    from ploteries.commands import figures as command

    editor({"title": "Mine"})
    real_run = command.subprocess.run

    def run_and_meanwhile(*args, **kwargs):
        result = real_run(*args, **kwargs)
        figures_of(with_loss).update("loss", {"title": "Theirs"})
        return result

    monkeypatch.setattr(command.subprocess, "run", run_and_meanwhile)
    code, _, err = run(capsys, "edit", with_loss, "loss")
    assert code == 2 and "figure 'loss' changed meanwhile (version 2, expected 1); nothing written" in err
    assert figures_of(with_loss).get("loss")["title"] == "Theirs"


def test_edit_as_yaml_and_a_failing_editor(capsys, with_loss, editor):
    seen = editor({"exit": 3})
    code, _, err = run(capsys, "edit", with_loss, "loss", "--yaml")
    assert code == 2 and "the editor exited with status 3; nothing written" in err
    assert seen()[0]["name"] == "loss.yaml" and yaml.safe_load(seen()[0]["text"])["id"] == "loss"


# ------------------------------------------------------------------------------------------------ rm


def test_rm_all_or_none(capsys, with_loss, tmp_path):
    run(capsys, "add", with_loss, write(tmp_path / "a.json", {**LOSS, "id": "acc"}))
    code, _, err = run(capsys, "rm", with_loss, "loss", "nope")
    assert code == 2 and "no figure 'nope'" in err and len(figures_of(with_loss)) == 2
    assert run(capsys, "rm", with_loss, "loss", "acc") == (0, f"deleted 'loss', 'acc' from {with_loss}\n", "")
    assert run(capsys, "ls", with_loss)[1] == f"no figures in {with_loss}\n"


# ---------------------------------------------------------------------------------------------- help


@pytest.mark.parametrize("action", ["ls", "show", "add", "edit", "rm"])
def test_every_action_has_help_with_examples(capsys, action):
    with pytest.raises(SystemExit) as exit_info:
        main(["figures", action, "--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    assert "examples:" in out and f"ploteries figures {action} " in out


def test_add_help_lists_the_templates(capsys):
    with pytest.raises(SystemExit):
        main(["figures", "add", "--help"])
    out = capsys.readouterr().out
    assert "  runs_band (tag, runs, band, title, tab): The mean over runs as a line" in out


# ------------------------------------------------------------------------------------------- helpers


def test_parse_and_apply_set():
    assert parse_set("a.b[2].c=[1, 2]") == (["a", "b", 2, "c"], [1, 2])
    assert parse_set('title="3"') == (["title"], "3")
    assert parse_set("title=a=b") == (["title"], "a=b")
    assert apply_set({}, ["a", "b", 0, "c"], 1) == {"a": {"b": [{"c": 1}]}}
    assert apply_set({"a": [1]}, ["a", 1], 2) == {"a": [1, 2]}
    with pytest.raises(ValueError, match=r"--set: a\[0\] is a int, not an object; cannot set 'b' in it"):
        apply_set({"a": [1]}, ["a", 0, "b"], 1)
    for bad in ("=1", "a..b=1", "a[x]=1", "[0]=1"):
        with pytest.raises(ValueError, match=r"is not PATH=VALUE"):
            parse_set(bad)


def test_parse_steps():
    assert [parse_steps(s) for s in (None, "all", "latest", "5:10", ":10", "5:")] == [
        "all", "all", "latest", [5, 10], [None, 10], [5, None]
    ]  # fmt: skip


# ----------------------------------------------------------------------------------------- a process


def test_the_console_command_in_a_process(sample_db, tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}

    def cli(*argv, stdin=None):
        return subprocess.run([sys.executable, "-m", "ploteries.cli", "figures", *map(str, argv)],
                              input=stdin, capture_output=True, text=True, env=env, timeout=60)  # fmt: skip

    added = cli("add", sample_db, "-", stdin=json.dumps(LOSS))
    assert (added.returncode, added.stdout) == (0, f"added figure 'loss' to {sample_db}\n")
    assert json.loads(cli("show", sample_db, "loss").stdout)["id"] == "loss"
    failed = cli("rm", sample_db, "nope")
    assert failed.returncode == 2 and "ploteries figures: error: no figure 'nope'" in failed.stderr
    assert cli("rm", sample_db, "loss").returncode == 0
    assert cli("ls", sample_db).stdout == f"no figures in {sample_db}\n"
