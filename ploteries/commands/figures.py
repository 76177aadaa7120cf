"""``ploteries figures ls|show|add|edit|rm DB ...``: figure definitions from a shell (see docs/figures.md).

Every change is one locked transaction of the database: an invalid definition or a missing id writes nothing
and exits with status 2 and a message saying what to fix.
"""

from __future__ import annotations

import argparse
import inspect
import json
import os
import re
import shlex
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

from ploteries.figures import (
    RESERVED_ID_PREFIX,
    TRACE_TYPES,
    DefinitionError,
    FigureStore,
    StaleDefinitionError,
    strip_store_keys,
    tab_of_definition,
)
from ploteries.figures.templates import TEMPLATES

RAW = argparse.RawDescriptionHelpFormatter
Z_TRACES = ("heatmap", "surface", "contour")
SET_PATH_RE = re.compile(r"[^.\[\]=]+(?:\.[^.\[\]=]+|\[\d+\])*")
SET_TOKEN_RE = re.compile(r"([^.\[\]]+)|\[(\d+)\]")

LS_EPILOG = """examples:
  ploteries figures ls runs/sweep.h5
  ploteries figures ls runs/sweep.h5 --json > figures.json"""
SHOW_EPILOG = """examples:
  ploteries figures show runs/sweep.h5 loss-band
  ploteries figures show runs/sweep.h5 loss-band --yaml > loss-band.yaml"""
ADD_EPILOG = """examples:
  ploteries figures add runs/sweep.h5 loss-vs-acc.json
  ploteries figures add runs/sweep.h5 loss-band.yaml --id loss-band-2
  ploteries figures show a.h5 losses | ploteries figures add b.h5 -
  ploteries figures add runs/sweep.h5 --template runs_band --tag loss/train --id loss-band --runs 'seed=*'
  ploteries figures add runs/sweep.h5 --template multi_tag --tag loss/train --tag loss/val --id losses
  ploteries figures add runs/sweep.h5 --id lr --tag lr --trace-type bar --set figure.layout.yaxis.type=log
  ploteries figures add runs/sweep.h5 --id attn --tag attention --run exp1 --trace-type heatmap --steps latest

templates (--template NAME; --tag is a glob, repeat it for multi_tag; --run is a glob, one exact run for
latest_heatmap):
{templates}"""
EDIT_EPILOG = """examples:
  ploteries figures edit runs/sweep.h5 loss-band                 # opens $VISUAL or $EDITOR (else vi)
  ploteries figures edit runs/sweep.h5 loss-band --yaml          # edit it as YAML
  ploteries figures edit runs/sweep.h5 loss-band --file loss-band.json
  ploteries figures edit runs/sweep.h5 loss-band --set figure.layout.yaxis.type=log \\
      --set 'figure.data[0].mode=lines+markers' --set series.runs.steps='[100, null]'

--set PATH=VALUE: PATH is dotted with [i] for list items; VALUE is JSON when it parses (3, true, null,
[1, 2], "text"), else the text itself. In the editor, an invalid definition is shown with the error and the
editor opens again; quit without changing the file to give up (nothing is written)."""
RM_EPILOG = """examples:
  ploteries figures rm runs/sweep.h5 loss-band
  ploteries figures rm runs/sweep.h5 a b c        # all or none: nothing is deleted if one id is missing"""


def add_parser(sub) -> None:
    p = sub.add_parser(
        "figures",
        help="list, show, add, edit and delete figure definitions",
        description="Figure definitions: declarative Plotly figures bound to series, stored in the database "
        "beside the data (docs/figures.md). The viewer picks up changes live.",
        epilog="examples:\n  ploteries figures ls runs/sweep.h5\n"
        "  ploteries figures add runs/sweep.h5 --template runs_band --tag loss --id loss-band\n"
        "  ploteries figures edit runs/sweep.h5 loss-band\n  ploteries figures rm runs/sweep.h5 loss-band",
        formatter_class=RAW,
    )
    actions = p.add_subparsers(dest="action", metavar="ACTION")
    actions.required = True

    ls = actions.add_parser("ls", help="list the definitions", epilog=LS_EPILOG, formatter_class=RAW)
    _database(ls)
    ls.add_argument("--json", action="store_true", help="every definition as a JSON list")
    ls.set_defaults(func=run_ls)

    show = actions.add_parser("show", help="print one definition", epilog=SHOW_EPILOG, formatter_class=RAW)
    _database(show)
    show.add_argument("id", help="the figure id")
    show.add_argument("--yaml", action="store_true", help="YAML instead of JSON")
    show.set_defaults(func=run_show)

    add = actions.add_parser(
        "add",
        help="add a definition from a file, stdin, a template or flags",
        description="Add a figure definition: from FILE (.json, .yaml; '-' reads stdin), from --template, or "
        "from flags for a one-trace figure (--tag, --trace-type, --x, --y, ...). Flags given with FILE "
        "override its id, title, tab and card.",
        epilog=ADD_EPILOG.format(templates=_template_lines()),
        formatter_class=RAW,
    )
    _database(add)
    add.add_argument("file", nargs="?", help="a JSON or YAML definition; '-' for stdin")
    add.add_argument("--template", choices=sorted(TEMPLATES), help="build the definition with a template")
    add.add_argument("--id", help="the figure id (required without FILE)")
    add.add_argument("--title", help="the title (default: the id)")
    add.add_argument("--tab", help="the tab (default: the first binding's tag prefix)")
    add.add_argument("--card", help="the card type (default: plotly)")
    add.add_argument("--tag", action="append", help="tag glob to bind (repeat for multi_tag)")
    add.add_argument("--run", "--runs", dest="run", help="run glob (default '*')")
    add.add_argument("--field", help="a field of record-array values, e.g. 'loss' or 'stats.mean'")
    add.add_argument("--steps", help="all (default), latest, or START:STOP (either may be empty)")
    add.add_argument("--trace-type", help=f"Plotly trace type (default scatter; heatmap/surface/contour bind z) "
                     f"of {len(TRACE_TYPES)}: {', '.join(TRACE_TYPES)}")  # fmt: skip
    add.add_argument("--x", help="column for x (default step; '' for none)")
    add.add_argument("--y", help="column for y (default value; '' for none)")
    add.add_argument("--z", help="column for z (default value for heatmap, surface, contour)")
    add.add_argument("--band", choices=("minmax", "std"), help="runs_band: min-max or mean±std")
    _set_option(add)
    add.set_defaults(func=run_add)

    edit = actions.add_parser(
        "edit",
        help="edit a definition in $EDITOR, from a file or with --set",
        description="Change a figure definition: in $VISUAL/$EDITOR (default), replaced by --file, or with "
        "--set PATH=VALUE changes.",
        epilog=EDIT_EPILOG,
        formatter_class=RAW,
    )
    _database(edit)
    edit.add_argument("id", help="the figure id")
    edit.add_argument("--file", help="replace the definition by this JSON or YAML file ('-' for stdin)")
    edit.add_argument("--yaml", action="store_true", help="edit as YAML in the editor")
    _set_option(edit)
    edit.set_defaults(func=run_edit)

    rm = actions.add_parser("rm", help="delete definitions", epilog=RM_EPILOG, formatter_class=RAW)
    _database(rm)
    rm.add_argument("ids", nargs="+", metavar="ID", help="figure ids")
    rm.set_defaults(func=run_rm)


def _database(p) -> None:
    p.add_argument("database", type=Path, help="the database file")


def _set_option(p) -> None:
    p.add_argument(
        "--set",
        dest="sets",
        action="append",
        default=[],
        metavar="PATH=VALUE",
        help="set a value, e.g. figure.layout.yaxis.type=log (repeatable)",
    )


def _template_lines() -> str:
    lines = []
    for name, fn in sorted(TEMPLATES.items()):
        params = [p for p in inspect.signature(fn).parameters if p != "id"]
        summary = (fn.__doc__ or "").strip().splitlines()[0].replace("``", "")
        lines.append(f"  {name} ({', '.join(params)}): {summary}")
    return "\n".join(lines)


def _store(path: Path) -> FigureStore:
    if not path.is_file():
        raise FileNotFoundError(
            2, f"no ploteries database at {path}; check the path (ploteries ls lists them)."
        )
    return FigureStore(path)


# ---------------------------------------------------------------------------------------- parsing


def parse_definition_text(text: str, source: str) -> dict:
    """A definition from JSON or YAML text (``yaml.safe_load``: YAML tags never build objects).

    Examples
    --------
    >>> parse_definition_text("id: a\\nseries: {}", "a.yaml")
    {'id': 'a', 'series': {}}
    """
    if not text.strip():
        raise ValueError(
            f"{source} is empty; write a JSON or YAML definition (ploteries figures show prints one)."
        )
    if not source.endswith((".yaml", ".yml")):
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            if source.endswith(".json"):
                raise ValueError(f"{source} is not valid JSON: {exc}") from None
    try:
        obj = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ValueError(f"{source} is neither valid JSON nor valid YAML: {exc}") from None
    if not isinstance(obj, dict):
        raise ValueError(
            f"{source} holds a {type(obj).__name__}, not a definition (an object with id, series...)."
        )
    return obj


def read_definition_file(name: str) -> dict:
    if name == "-":
        return parse_definition_text(sys.stdin.read(), "<stdin>")
    path = Path(name)
    if not path.is_file():
        raise FileNotFoundError(2, f"no such file: {name}")
    return parse_definition_text(path.read_text(encoding="utf-8"), name)


def parse_set(assignment: str) -> tuple[list, object]:
    """``PATH=VALUE`` as (path keys and indexes, value); VALUE is JSON if it parses, else text.

    Examples
    --------
    >>> parse_set("figure.data[0].line.width=2")
    (['figure', 'data', 0, 'line', 'width'], 2)
    >>> parse_set("figure.layout.yaxis.type=log")
    (['figure', 'layout', 'yaxis', 'type'], 'log')
    """
    path_text, sep, raw = assignment.partition("=")
    if not sep or not SET_PATH_RE.fullmatch(path_text):
        raise ValueError(
            f"--set {assignment!r} is not PATH=VALUE with a dotted PATH, e.g. figure.layout.yaxis.type=log or "
            "figure.data[0].mode=markers."
        )
    path = [int(t[2]) if t[2] is not None else t[1] for t in SET_TOKEN_RE.finditer(path_text)]
    try:
        value = json.loads(raw)
    except json.JSONDecodeError:
        value = raw
    return path, value


def apply_set(definition: dict, path: list, value) -> dict:
    """Set ``value`` at ``path`` in (a copy of) ``definition``, creating objects on the way.

    Examples
    --------
    >>> apply_set({"figure": {"data": [{}]}}, ["figure", "data", 0, "mode"], "markers")
    {'figure': {'data': [{'mode': 'markers'}]}}
    """
    out = json.loads(json.dumps(definition))
    node = out
    where = ""
    for i, key in enumerate(path):
        last = i == len(path) - 1
        if isinstance(key, int):
            if not isinstance(node, list) or key > len(node):
                size = len(node) if isinstance(node, list) else "not a list"
                raise ValueError(f"--set: {where or 'the definition'} has no item [{key}] ({size}).")
            if key == len(node):
                node.append(None if last else ({} if isinstance(path[i + 1], str) else []))
        elif not isinstance(node, dict):
            raise ValueError(
                f"--set: {where} is a {type(node).__name__}, not an object; cannot set {key!r} in it."
            )
        if last:
            node[key] = value
        else:
            if isinstance(node, dict) and not isinstance(node.get(key), (dict, list)):
                node[key] = {} if isinstance(path[i + 1], str) else []
            node = node[key]
        where += f"[{key}]" if isinstance(key, int) else (f".{key}" if where else key)
    return out


def _apply_sets(definition: dict, sets: list[str]) -> dict:
    for assignment in sets:
        definition = apply_set(definition, *parse_set(assignment))
    return definition


def parse_steps(text: str | None):
    """``--steps``: ``all``, ``latest`` or ``START:STOP`` (empty for an open end).

    Examples
    --------
    >>> parse_steps("100:"), parse_steps("latest")
    ([100, None], 'latest')
    """
    if text is None or text in ("all", "latest"):
        return text or "all"
    start, sep, stop = text.partition(":")
    try:
        if not sep:
            raise ValueError
        return [int(start) if start else None, int(stop) if stop else None]
    except ValueError:
        raise ValueError(
            f"--steps {text!r} must be all, latest or START:STOP, e.g. 100:2000 or 100:."
        ) from None


# -------------------------------------------------------------------------------- building from flags


def definition_from_flags(args) -> dict:
    """The definition ``add`` builds from a template or the one-trace flags."""
    if args.template:
        return template_definition(args)
    if not args.id or not args.tag:
        raise ValueError("give FILE ('-' for stdin), --template NAME, or at least --id and --tag.")
    if len(args.tag) > 1:
        raise ValueError("one --tag for a one-trace figure; use --template multi_tag for several tags.")
    if args.band:
        raise ValueError("--band applies to --template runs_band only.")
    kind = args.trace_type or "scatter"
    binding = {
        "run": args.run or "*",
        "tag": args.tag[0],
        "field": args.field,
        "steps": parse_steps(args.steps),
    }
    trace: dict = {"type": kind, "name": "$run: $tag"}
    defaults = {"z": "value"} if kind in Z_TRACES else {"x": "step", "y": "value"}
    for axis in ("x", "y", "z"):
        column = getattr(args, axis)
        column = defaults.get(axis) if column is None else column
        if column:
            trace[axis] = f"$s.{column}"
    if kind == "scatter":
        trace["mode"] = "lines"
    definition = {"id": args.id, "series": {"s": binding}, "figure": {"data": [trace]}}
    for key in ("title", "tab", "card"):
        if getattr(args, key) is not None:
            definition[key] = getattr(args, key)
    return definition


def template_definition(args) -> dict:
    """Call the template named by ``--template`` with the flags it takes; other flags are an error."""
    fn = TEMPLATES[args.template]
    params = inspect.signature(fn).parameters
    if not args.id:
        raise ValueError(
            f"--template {args.template} needs --id, e.g. --id {args.template.replace('_', '-')}."
        )
    kwargs = {"id": args.id}
    tags = args.tag or []
    if "tags" in params:
        if not tags:
            raise ValueError(f"--template {args.template} needs --tag (repeat it for each tag).")
        kwargs["tags"] = tags
    elif len(tags) != 1:
        raise ValueError(f"--template {args.template} needs exactly one --tag, got {len(tags)}.")
    else:
        kwargs["tag"] = tags[0]
    if args.run is not None:
        kwargs["runs" if "runs" in params else "run"] = args.run
    elif "run" in params:
        raise ValueError(f"--template {args.template} needs --run (one exact run name).")
    optional = {"title": args.title, "tab": args.tab, "band": args.band, "field": args.field}
    optional["trace"] = args.trace_type
    for name, value in optional.items():
        if value is None:
            continue
        if name not in params:
            flag = "--trace-type" if name == "trace" else f"--{name}"
            raise ValueError(
                f"{flag} does not apply to --template {args.template} (it takes {', '.join(params)})."
            )
        kwargs[name] = value
    for flag in ("x", "y", "z", "steps", "card"):
        if getattr(args, flag) is not None:
            raise ValueError(f"--{flag} does not apply to --template {args.template}; change it with --set.")
    return fn(**kwargs)


# ---------------------------------------------------------------------------------------- actions


def format_bindings(definition: dict) -> str:
    """A short text of the bindings: ``name=tag`` with the non-default run, part, field, steps, aggregate.

    Examples
    --------
    >>> format_bindings({"series": {"l": {"run": "*", "tag": "loss", "steps": "latest"}}})
    'l=loss [steps=latest]'
    """
    out = []
    for name, spec in definition.get("series", {}).items():
        extra = [
            f"{key}={spec[key]}"
            for key, default in (
                ("run", "*"),
                ("part", ""),
                ("field", None),
                ("steps", "all"),
                ("aggregate", None),
            )
            if spec.get(key, default) != default
        ]
        out.append(f"{name}={spec.get('tag')}" + (f" [{', '.join(extra)}]" if extra else ""))
    return "; ".join(out) or "-"


def run_ls(args) -> int:
    definitions = _store(args.database).list()
    if args.json:
        print(json.dumps(definitions, indent=2, ensure_ascii=False))
        return 0
    if not definitions:
        print(f"no figures in {args.database}")
        return 0
    rows = [("ID", "CARD", "TAB", "TITLE", "BINDINGS")]
    for d in definitions:
        tab = d.get("tab") or f"({tab_of_definition(d) or '-'})"
        rows.append((d["id"], d.get("card", "plotly"), tab, d.get("title", d["id"]), format_bindings(d)))
    widths = [max(len(r[c]) for r in rows) for c in range(4)]
    for r in rows:
        print("  ".join(r[c].ljust(widths[c]) for c in range(4)) + "  " + r[4])
    return 0


def dump(definition: dict, as_yaml: bool) -> str:
    if as_yaml:
        return yaml.safe_dump(definition, sort_keys=False, allow_unicode=True, default_flow_style=False)
    return json.dumps(definition, indent=2, ensure_ascii=False) + "\n"


def default_card(database, fid: str) -> dict | None:
    """The viewer's default card ``auto/<card>/<tag>`` of a database, as a definition to copy (or None)."""
    from ploteries.viz.cards import load_card_types
    from ploteries.viz.library import Library
    from ploteries.viz.page import all_definitions

    types = load_card_types()
    library = Library([database])
    for definition in all_definitions(library.refresh(), types, library):
        if definition.get("id") == fid:
            return definition
    return None


def run_show(args) -> int:
    store = _store(args.database)
    if args.id.startswith(RESERVED_ID_PREFIX) and args.id not in store:
        definition = default_card(args.database, args.id)
        if definition is None:
            store.get(args.id)  # raises, naming the stored ids
        sys.stdout.write(dump(definition, args.yaml))
        print(
            f"# {args.id} is the viewer's default card: to customise it, save this, give it an id of your own "
            "and `ploteries figures add DB FILE`.",
            file=sys.stderr,
        )
        return 0
    sys.stdout.write(dump(store.get(args.id), args.yaml))
    return 0


def run_add(args) -> int:
    store = _store(args.database)
    if args.file is not None:
        if args.template:
            raise ValueError("give FILE or --template, not both.")
        definition = strip_store_keys(read_definition_file(args.file))
        for key in ("id", "title", "tab", "card"):
            if getattr(args, key) is not None:
                definition[key] = getattr(args, key)
    else:
        definition = definition_from_flags(args)
    stored = store.add(_apply_sets(definition, args.sets))
    print(f"added figure {stored['id']!r} to {args.database}")
    return 0


def run_edit(args) -> int:
    store = _store(args.database)
    if args.file is not None and args.sets:
        raise ValueError("give --file or --set, not both.")
    if args.file is not None:
        stored = store.update(args.id, read_definition_file(args.file), replace=True)
    elif args.sets:
        stored = store.update(args.id, lambda current: _apply_sets(current, args.sets))
    else:
        stored = edit_in_editor(store, args.id, args.yaml)
        if stored is None:
            print(f"no changes to figure {args.id!r}")
            return 0
    print(f"updated figure {args.id!r} (version {stored['version']})")
    return 0


def editor_command() -> list[str]:
    """``$VISUAL``, else ``$EDITOR``, else ``vi``, split like a shell would (``code --wait`` works)."""
    return shlex.split(os.environ.get("VISUAL") or os.environ.get("EDITOR") or "vi")


def edit_in_editor(store: FigureStore, fid: str, as_yaml: bool) -> dict | None:
    """Open the definition in the editor until it validates; None if the user changed nothing.

    An invalid edit is reported and the editor reopens on it; leaving it unchanged aborts (``ValueError``,
    nothing written). A definition changed by someone else meanwhile is not overwritten.
    """
    current = store.get(fid)
    version = current.get("version")
    original = dump(strip_store_keys(current), as_yaml)
    suffix = ".yaml" if as_yaml else ".json"
    with tempfile.TemporaryDirectory(prefix="ploteries-figure-") as tmp:
        path = Path(tmp) / (re.sub(r"[^A-Za-z0-9_.=+@-]", "_", fid) + suffix)
        shown = original
        while True:
            path.write_text(shown, encoding="utf-8")
            result = subprocess.run([*editor_command(), str(path)])
            if result.returncode != 0:
                raise ValueError(f"the editor exited with status {result.returncode}; nothing written.")
            edited = path.read_text(encoding="utf-8")
            if edited == shown:
                if shown == original:
                    return None
                raise ValueError(
                    f"edit of figure {fid!r} abandoned (the file was left unchanged); nothing written."
                )
            try:
                return store.update(
                    fid, parse_definition_text(edited, path.name), replace=True, if_version=version
                )
            except StaleDefinitionError:
                raise
            except DefinitionError as exc:
                print(f"ploteries figures edit: invalid definition: {exc}", file=sys.stderr)
                print("reopening the editor; quit without changes to give up.", file=sys.stderr)
                shown = edited
            except ValueError as exc:  # unparsable JSON or YAML
                print(f"ploteries figures edit: {exc}", file=sys.stderr)
                shown = edited


def run_rm(args) -> int:
    _store(args.database).delete(*args.ids)
    print(f"deleted {', '.join(repr(i) for i in args.ids)} from {args.database}")
    return 0


__all__ = ["add_parser", "apply_set", "parse_definition_text", "parse_set", "parse_steps"]
