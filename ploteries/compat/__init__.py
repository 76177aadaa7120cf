"""TensorBoard compatibility: ``from ploteries.compat import SummaryWriter`` replaces torch's writer.

The pure encoders (one module per kind: ``histogram``, ``image``, ``audio``, ...) turn user input into the
numpy records described in docs/kinds.md; :class:`SummaryWriter` routes them into a ploteries database.
torch is optional: importing this package never imports it.
"""

from ploteries.compat.writer import SummaryWriter

__all__ = ["SummaryWriter"]
