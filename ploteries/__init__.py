"""ploteries: TensorBoard-compatible logging into one crash-safe HDF5 database, and a fast viewer.

>>> from ploteries.compat import SummaryWriter    # drop-in for torch.utils.tensorboard   # doctest: +SKIP
>>> import ploteries
>>> with ploteries.open("runs/exp1/ploteries.h5") as db:                                # doctest: +SKIP
...     db.read("exp1", "loss")
>>> ploteries.scalars("runs")        # every scalar of every run: a pandas DataFrame      # doctest: +SKIP
"""

from .dataframes import scalars
from .storage import Database, DatabaseWriter, NotADatabaseError, RaggedRecords, find_databases, open

__version__ = "0.1.0"


def load_ipython_extension(ipython) -> None:
    """``%load_ext ploteries``: the ``%ploteries ROOT`` magic shows the viewer in the notebook."""
    from .notebook import load_ipython_extension as load

    load(ipython)


__all__ = [
    "Database",
    "DatabaseWriter",
    "NotADatabaseError",
    "RaggedRecords",
    "find_databases",
    "open",
    "scalars",
]
