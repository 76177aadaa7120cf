"""``python -m ploteries.patch train.py ARGS...``: run a script (or ``-m module``) with :func:`ploteries.patch`.

The script sees ``sys.argv == ["train.py", ARGS...]`` and its own folder first on ``sys.path``, as with
``python train.py ARGS...``; every TensorBoard writer it makes writes a ploteries database instead.
"""

from __future__ import annotations

import os
import runpy
import sys

USAGE = (
    "usage: python -m ploteries.patch SCRIPT.py [ARGS...]  |  python -m ploteries.patch -m MODULE [ARGS...]"
)


def main(argv: list[str] | None = None) -> None:
    """Patch, then run the script or module named by ``argv`` as ``__main__``."""
    args = sys.argv[1:] if argv is None else list(argv)
    if not args or args[0] in ("-h", "--help"):
        print(USAGE, file=sys.stderr if not args else sys.stdout)
        raise SystemExit(0 if args else 2)
    from ploteries.patch import patch

    if args[0] == "-m":
        if len(args) < 2:
            raise SystemExit(f"-m needs a module name\n{USAGE}")
        sys.argv = [args[1], *args[2:]]
        patch()
        runpy.run_module(args[1], run_name="__main__", alter_sys=True)
        return
    script = args[0]
    if not os.path.isfile(script):
        raise SystemExit(f"ploteries.patch: no such script {script!r}\n{USAGE}")
    sys.argv = [script, *args[1:]]
    sys.path[0] = os.path.dirname(os.path.abspath(script))
    patch()
    runpy.run_path(script, run_name="__main__")


if __name__ == "__main__":
    main()
