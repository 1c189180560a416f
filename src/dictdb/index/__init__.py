"""Table indexes: ``HashIndex`` and ``SortedIndex`` over one field or several (composite), optionally unique,
``ColumnIndex`` (a field kept as a typed column, for scans and aggregates), and ``IndexCatalog``, which keeps
a table's indexes in step with its records (docs/indexes.md)."""

from dictdb.index.base import Index, is_null_key
from dictdb.index.catalog import INDEX_TYPES, IndexCatalog, index_kind, index_name
from dictdb.index.column_index import ColumnIndex
from dictdb.index.hash_index import HashIndex
from dictdb.index.sorted_index import SortedIndex

__all__ = [
    "INDEX_TYPES",
    "ColumnIndex",
    "HashIndex",
    "Index",
    "IndexCatalog",
    "SortedIndex",
    "index_kind",
    "index_name",
    "is_null_key",
]
