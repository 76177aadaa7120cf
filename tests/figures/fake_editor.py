"""A stand-in for ``$EDITOR``: each call applies the next step of a JSON plan to the file it is given.

Steps: ``"keep"`` (change nothing), ``{"text": ...}`` (write this text), ``{"title": ...}`` (set the title of
the JSON definition), ``{"exit": n}`` (fail with status n). What each call saw is appended to ``<plan>.seen``.
"""

import json
import os
import sys
from pathlib import Path


def main(target: Path) -> int:
    plan_path = Path(os.environ["FAKE_EDITOR_PLAN"])
    plan = json.loads(plan_path.read_text())
    step = plan.pop(0)
    plan_path.write_text(json.dumps(plan))
    seen = Path(f"{plan_path}.seen")
    history = json.loads(seen.read_text()) if seen.exists() else []
    seen.write_text(json.dumps([*history, {"name": target.name, "text": target.read_text()}]))
    if step == "keep":
        return 0
    if "exit" in step:
        return step["exit"]
    if "text" in step:
        target.write_text(step["text"])
    else:
        definition = json.loads(target.read_text())
        definition["title"] = step["title"]
        target.write_text(json.dumps(definition))
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1])))
