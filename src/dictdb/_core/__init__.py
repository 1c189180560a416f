"""The hot path: the one place that picks the compiled core or its pure-Python twin.

``DICTDB_NO_EXTENSIONS`` (any non-empty value) is read once, at first import. The compiled modules are
imported as a set: if any one is missing, every module comes from the twins, so the two cores are never
mixed. Type checkers always read the pure twins, which carry the same names and signatures.

Nothing in here imports from the rest of the package.
"""

from __future__ import annotations

import os
import platform
from typing import TYPE_CHECKING, Literal

#: The compiled modules, the one list of them: each has a ``<name>_py.py`` twin and a ``<name>.pyi`` stub.
#: setup.py reads it with ``ast`` (the package is not built then) and checks it against the ``.pyx`` files;
#: ``python -m dictdb._core`` prints it for stubtest (the Makefile, CI).
MODULES = (
    "_aggregate",
    "_blocks",
    "_buckets",
    "_codec",
    "_column",
    "_column_aggregate",
    "_column_eval",
    "_column_vector",
    "_index",
    "_join",
    "_json_float",
    "_lock",
    "_order",
    "_pickle_scan",
    "_predicate",
    "_records",
    "_value",
)

NO_EXTENSIONS = bool(os.environ.get("DICTDB_NO_EXTENSIONS")) or platform.python_implementation() != "CPython"

IMPLEMENTATION: Literal["cython", "python"]

if TYPE_CHECKING or NO_EXTENSIONS:
    from . import _aggregate_py as aggregate
    from . import _blocks_py as blocks
    from . import _buckets_py as buckets
    from . import _codec_py as codec
    from . import _column_aggregate_py as column_aggregate
    from . import _column_eval_py as column_eval
    from . import _column_py as column
    from . import _column_vector_py as column_vector
    from . import _index_py as index
    from . import _join_py as join
    from . import _json_float_py as json_float
    from . import _lock_py as lock
    from . import _order_py as order
    from . import _pickle_scan_py as pickle_scan
    from . import _predicate_py as predicate
    from . import _records_py as records
    from . import _value_py as value

    IMPLEMENTATION = "python"
else:
    try:
        from . import _aggregate as aggregate  # type: ignore[no-redef]
        from . import _blocks as blocks  # type: ignore[no-redef]
        from . import _buckets as buckets  # type: ignore[no-redef]
        from . import _codec as codec  # type: ignore[no-redef]
        from . import _column as column  # type: ignore[no-redef]
        from . import _column_aggregate as column_aggregate  # type: ignore[no-redef]
        from . import _column_eval as column_eval  # type: ignore[no-redef]
        from . import _column_vector as column_vector  # type: ignore[no-redef]
        from . import _index as index  # type: ignore[no-redef]
        from . import _join as join  # type: ignore[no-redef]
        from . import _json_float as json_float  # type: ignore[no-redef]
        from . import _lock as lock  # type: ignore[no-redef]
        from . import _order as order  # type: ignore[no-redef]
        from . import _pickle_scan as pickle_scan  # type: ignore[no-redef]
        from . import _predicate as predicate  # type: ignore[no-redef]
        from . import _records as records  # type: ignore[no-redef]
        from . import _value as value  # type: ignore[no-redef]

        IMPLEMENTATION = "cython"
    except ImportError:  # not built (no compiler, pure wheel): the twins behave the same, only slower
        from . import _aggregate_py as aggregate
        from . import _blocks_py as blocks
        from . import _buckets_py as buckets
        from . import _codec_py as codec
        from . import _column_aggregate_py as column_aggregate
        from . import _column_eval_py as column_eval
        from . import _column_py as column
        from . import _column_vector_py as column_vector
        from . import _index_py as index
        from . import _join_py as join
        from . import _json_float_py as json_float
        from . import _lock_py as lock
        from . import _order_py as order
        from . import _pickle_scan_py as pickle_scan
        from . import _predicate_py as predicate
        from . import _records_py as records
        from . import _value_py as value

        IMPLEMENTATION = "python"

__all__ = [
    "IMPLEMENTATION",
    "MODULES",
    "NO_EXTENSIONS",
    "aggregate",
    "blocks",
    "buckets",
    "codec",
    "column",
    "column_aggregate",
    "column_eval",
    "column_vector",
    "index",
    "join",
    "json_float",
    "lock",
    "order",
    "pickle_scan",
    "predicate",
    "records",
    "value",
]
