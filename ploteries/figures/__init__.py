"""Figure definitions: the viewer's vocabulary, stored beside the data as declarative JSON (see docs/figures.md).

A layer above :mod:`ploteries.storage` (whose documents API holds the definitions) and below the viewer and the
``ploteries figures`` command:

- :mod:`ploteries.figures.cards`: the card type names definitions may use (the viewer's registry's);
- :mod:`ploteries.figures.schema`: the schema, its validation and the store (``db.figures``);
- :mod:`ploteries.figures.data`: binding traces to series and filling them with data (numpy only);
- :mod:`ploteries.figures.templates`: ready-made definitions.

>>> from ploteries.figures import validate_definition
>>> validate_definition({"id": "loss", "series": {"l": {"tag": "loss"}}})["card"]
'plotly'
"""

from .cards import BUILTIN_CARDS, CARD_ENTRY_POINT_GROUP, card_types, needs_series
from .data import (
    AGGREGATE_COLUMNS,
    RECORD_COLUMNS,
    TEXT_NAMES,
    TraceInstance,
    aggregate_runs,
    binding_spec,
    build_figure,
    columns_of,
    expand_traces,
    fill_trace,
    instance_columns,
    match_series,
    parse_reference,
    read_kwargs,
    select_steps,
    substitute_text,
    tab_of_definition,
    text_names,
    trace_bindings,
)
from .schema import (
    DOCUMENT_PREFIX,
    MAX_DEFINITION_BYTES,
    SCHEMA_VERSION,
    TRACE_TYPES,
    DefinitionError,
    DefinitionTypeError,
    FigureNotFoundError,
    FigureStore,
    StaleDefinitionError,
    check_json,
    merge_patch,
    strip_store_keys,
    validate_binding,
    validate_definition,
)

__all__ = [
    "AGGREGATE_COLUMNS",
    "BUILTIN_CARDS",
    "CARD_ENTRY_POINT_GROUP",
    "DOCUMENT_PREFIX",
    "DefinitionError",
    "DefinitionTypeError",
    "FigureNotFoundError",
    "FigureStore",
    "MAX_DEFINITION_BYTES",
    "RECORD_COLUMNS",
    "SCHEMA_VERSION",
    "StaleDefinitionError",
    "TEXT_NAMES",
    "TRACE_TYPES",
    "TraceInstance",
    "aggregate_runs",
    "binding_spec",
    "build_figure",
    "card_types",
    "check_json",
    "columns_of",
    "expand_traces",
    "fill_trace",
    "instance_columns",
    "match_series",
    "merge_patch",
    "needs_series",
    "parse_reference",
    "read_kwargs",
    "select_steps",
    "strip_store_keys",
    "substitute_text",
    "tab_of_definition",
    "text_names",
    "trace_bindings",
    "validate_binding",
    "validate_definition",
]
