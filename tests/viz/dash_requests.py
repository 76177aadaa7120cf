"""Bodies of ``POST /_dash-update-component`` requests, built from a Dash app's callback map.

What the Dash renderer sends when a callback fires: every input and state with its value, the outputs, and which
inputs changed. Pattern-matching ids (``{"type": "card-graph", "card": ALL}``) are filled in with ``cards``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

WILDCARDS = (["ALL"], ["MATCH"], ["ALLSMALLER"])


def server_callbacks(app) -> list[str]:
    """The output keys of the callbacks that run on the server (every key of ``app.callback_map``)."""
    return sorted(app.callback_map)


def dependencies(app, key: str) -> list[tuple[str, str, str]]:
    """``(group, id, property)`` of every input and state of the callback ``key`` (group ``inputs``/``state``)."""
    entry = app.callback_map[key]
    return [(group, d["id"], d["property"]) for group in ("inputs", "state") for d in entry[group]]


def _concrete(dep_id: str, cards: Sequence[str]) -> tuple[list[Any], bool]:
    """The concrete ids of a dependency id and whether it is a list (``ALL``) rather than one id."""
    if not dep_id.startswith("{"):
        return [dep_id], False
    pattern = json.loads(dep_id)
    wildcard = next((v[0] for v in pattern.values() if v in WILDCARDS), None)
    ids = [{k: (card if v in WILDCARDS else v) for k, v in pattern.items()} for card in cards]
    if wildcard == "MATCH":
        return ids[:1], False
    return ids, True


def _entries(dep_id: str, prop: str, cards: Sequence[str], value: Any = None, with_value: bool = True):
    ids, many = _concrete(dep_id, cards)
    items = [{"id": i, "property": prop, **({"value": value} if with_value else {})} for i in ids]
    return items if many else items[0]


def callback_body(
    app,
    key: str,
    values: Mapping[tuple[str, str], Any] | None = None,
    *,
    cards: Sequence[str] = ("auto/scalar/loss",),
    changed: Sequence[tuple[str, str]] | None = None,
) -> dict:
    """The JSON body that fires the callback ``key`` with ``values`` (``{(id, property): value}``, default None).

    ``changed`` lists the inputs said to have changed (default: all of them).
    """
    values = values or {}
    entry = app.callback_map[key]
    body: dict[str, Any] = {"output": key}
    for group in ("inputs", "state"):
        body[group] = [
            _entries(d["id"], d["property"], cards, values.get((d["id"], d["property"])))
            for d in entry[group]
        ]
    outputs = [
        _entries(o.component_id_str(), o.component_property, cards, with_value=False) for o in _outputs(entry)
    ]
    body["outputs"] = outputs if key.startswith("..") else outputs[0]
    changed = changed if changed is not None else [(d["id"], d["property"]) for d in entry["inputs"]]
    body["changedPropIds"] = [
        f"{json.dumps(_concrete(i, cards)[0][0]) if i.startswith('{') else i}.{p}" for i, p in changed
    ]
    return body


def _outputs(entry) -> list:
    output = entry["output"]
    return list(output) if isinstance(output, (list, tuple)) else [output]


def callback_key(app, output_id: str, prop: str) -> str:
    """The key of the callback whose outputs include ``output_id.prop`` (the first one registered)."""
    wanted = f"{output_id}.{prop}"
    for key in app.callback_map:
        if any(part.split("@")[0] == wanted for part in key.strip(".").split("...")):
            return key
    raise KeyError(wanted)
