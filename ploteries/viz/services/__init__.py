"""Pure service functions of the viewer (numpy only: no Dash, no storage access).

Dash callbacks stay thin and call these; tests call them directly.

- :mod:`.smoothing` -- TensorBoard's debiased EMA, vectorized.
- :mod:`.downsampling` -- min/max and LTTB downsampling, visible range of a zoom.
- :mod:`.checksum` -- the live-update protocol (NOTHING / APPEND / RESEND_FULL).
- :mod:`.histogram_layout` -- common bins across steps, distribution bands.
- :mod:`.outliers` -- the y domain with "ignore outliers".
- :mod:`.xaxis` -- step / relative / wall x values.
- :mod:`.tags` -- tabs, regex filters, stable run colours.
- :mod:`.export` -- CSV and JSON downloads.
"""

from .checksum import NOTHING, RESEND_FULL, Action, SeriesState, UpdatePlan, digest_of, plan_update
from .downsampling import lttb_downsample, minmax_downsample, visible_range
from .export import series_to_csv, series_to_json
from .histogram_layout import BASIS_POINTS, common_edges, distribution_bands, rebin
from .outliers import outlier_range, y_domain
from .smoothing import smooth_ema
from .tags import compile_filter, group_tags, run_colors, tab_of
from .xaxis import x_values

__all__ = [
    "BASIS_POINTS",
    "NOTHING",
    "RESEND_FULL",
    "Action",
    "SeriesState",
    "UpdatePlan",
    "common_edges",
    "compile_filter",
    "digest_of",
    "distribution_bands",
    "group_tags",
    "lttb_downsample",
    "minmax_downsample",
    "outlier_range",
    "plan_update",
    "rebin",
    "run_colors",
    "series_to_csv",
    "series_to_json",
    "smooth_ema",
    "tab_of",
    "visible_range",
    "x_values",
    "y_domain",
]
