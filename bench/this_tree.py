"""Make a benchmark measure the ploteries of the tree it lives in, not whichever one the environment installed.

A worktree sharing another checkout's virtualenv (an editable install of that checkout) would otherwise time the
other checkout's code: ``python bench/x.py`` puts ``bench/`` first on ``sys.path``, not the repository. Imported
first by every benchmark; processes they start inherit the tree through ``PYTHONPATH``.
"""

import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

if sys.path[:1] != [str(REPO)]:
    sys.path.insert(0, str(REPO))
os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), os.environ.get("PYTHONPATH")) if p)
