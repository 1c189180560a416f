"""``IndexCatalog``: a table's indexes, kept in step with its records, and the records' insertion order.

The table calls one method per write, *after* its own checks (keys, schema) and *before* it stores anything.
Each method is all-or-nothing, in two phases like the table's own writes:

1. **check**: compute every new key and check every index's rules (a hash index needs hashable keys, a unique
   index refuses a key another record holds, or two records of the same write share) without changing
   anything; the first broken rule raises;
2. **apply**: change the indexes. A hash index cannot fail here; the sorted kernel could only on an exhausted
   memory or a comparison that raises a ``BaseException``. Whatever was applied before such a failure is
   undone before it propagates, so the caller sees the indexes exactly as they were.

The table then stores the records with dict operations that cannot fail, so a write changes the records and
every index, or nothing.

Column indexes (``ColumnIndex``) are views of one ``ColumnStore`` per table (``store``), created with the
first column index and dropped with the last. The store is written once per write for all its columns, after
the other indexes (it refuses no value, so it has nothing to check); should it fail all the same, the other
indexes are undone as for any failure and the store is rebuilt from the table's unchanged records.

The catalog also keeps ``seq``: each record's *sequence number*, its place in the table's insertion order (a
new record gets the next number; an update keeps it; a primary-key change takes a new one, since the record
moves last). The planner sorts index candidates by it, so results come in insertion order whether or not an
index served them, in O(k log k) for k candidates instead of a pass over the table.
"""

from __future__ import annotations

from collections.abc import Collection, Container, Hashable, Mapping
from itertools import count
from typing import Any

from dictdb._core import column as _column
from dictdb._core import index as _kernel
from dictdb._core import records as _records
from dictdb.index.base import Index, is_null_key
from dictdb.index.column_index import ColumnIndex
from dictdb.index.hash_index import HashIndex
from dictdb.index.sorted_index import SortedIndex

__all__ = ["INDEX_TYPES", "IndexCatalog", "index_kind", "index_name"]

Record = dict[Any, Any]

#: ``create_index``'s ``index_type`` -> the class that implements it.
INDEX_TYPES: dict[str, type[Index]] = {"hash": HashIndex, "sorted": SortedIndex, "column": ColumnIndex}


class IndexCatalog:
    """The indexes of one table (``indexes``: name -> index, in creation order), its column store (``store``,
    ``None`` without a column index) and ``seq`` (pk -> sequence number, for every record of the table).

    Every write method takes ``records``, the table's records as they are before the write (the table stores
    its changes only after the catalog returns): an index whose change cannot be undone step by step without
    reordering its ties is rebuilt from them when the write fails.

    Example:
        >>> records = {1: {"id": 1, "dept": "ops"}}
        >>> catalog = IndexCatalog("t", records)
        >>> index = catalog.create(("dept",), "hash", False, records)
        >>> catalog.insert(2, {"id": 2, "dept": "ops"})
        >>> index.search("ops"), catalog.seq
        ([1, 2], {1: 0, 2: 1})
    """

    __slots__ = ("_list", "_next_seq", "_records", "indexes", "seq", "store", "table_name")

    def __init__(self, table_name: str, records: Mapping[Any, Record]) -> None:
        self.table_name = table_name
        self.indexes: dict[Any, Index] = {}
        self._list: list[Index] = []  # the indexes but the column ones, as a list for the write loops
        self.store: _column.ColumnStore | None = None
        # The table's records (the same dict for the table's life): what a failed store write is rebuilt from,
        # and what a column index's ``search`` re-checks its unsure rows on.
        self._records = records
        # Shared with the hash indexes, which read it: only ever changed in place, never replaced.
        self.seq: dict[Any, int] = dict(zip(records, count()))
        self._next_seq = len(self.seq)

    # -- indexes ------------------------------------------------------------------------------------------

    def create(
        self, fields: tuple[Hashable, ...], kind: str, unique: bool, records: Mapping[Any, Record]
    ) -> Index:
        """A new index over ``records`` (the table's, in insertion order), registered once it is built.

        Raises, registering nothing, when a record breaks the index's rules.
        """
        if INDEX_TYPES[kind] is ColumnIndex:
            return self._create_column(fields, unique, records)
        if INDEX_TYPES[kind] is HashIndex:
            index: Index = HashIndex(fields, unique=unique, table_name=self.table_name, seq=self.seq)
        else:
            index = SortedIndex(fields, unique=unique, table_name=self.table_name)
        pks = list(records)
        keys = index.keys_of(records.values())
        seqs = self._sequence(pks)
        # A hash index is built in one batch and checks its rules after (the fast path of a load); it
        # says when a key breaks one, and the key-by-key check below then names the first.
        if not (isinstance(index, HashIndex) and index._build(keys, pks, seqs)):
            self._check_new(index, keys, pks, leaving=())
            index._add_many(keys, pks, seqs)
        self._register(index)
        return index

    def _sequence(self, pks: list[Any]) -> range | list[int]:
        """The sequence numbers of ``pks``, every record of the table in insertion order.

        Numbers grow along the table's order (a new record, or one whose primary key changes, takes the next
        one, and comes last), so when the table holds as many records as numbers were ever given out they
        are ``0, 1, 2...``: the usual case (a table loaded, or only ever inserted into), read without a
        lookup per record.
        """
        seq = self.seq
        if self._next_seq == len(pks) == len(seq):
            return range(len(pks))
        return list(map(seq.__getitem__, pks))

    def _create_column(
        self, fields: tuple[Hashable, ...], unique: bool, records: Mapping[Any, Record]
    ) -> ColumnIndex:
        store = self.store if self.store is not None else _column.ColumnStore()
        index = ColumnIndex(fields, unique=unique, table_name=self.table_name, store=store, records=records)
        field = fields[0]
        try:
            store.add_field(field, records)
        except BaseException:
            if store is self.store and field in store.fields:
                store.drop_field(field)
            raise
        self.store = store
        self._register(index)
        return index

    def _register(self, index: Index) -> None:
        self.indexes[index.field] = index
        self._list = [known for known in self.indexes.values() if not isinstance(known, ColumnIndex)]

    def drop(self, name: Any) -> Index:
        """Forget the index called ``name``; ``KeyError`` when there is none."""
        index = self.indexes.pop(name)
        self._list = [known for known in self.indexes.values() if not isinstance(known, ColumnIndex)]
        store = self.store
        if isinstance(index, ColumnIndex) and store is not None:
            store.drop_field(index.field)
            if not store.fields:
                self.store = None
        return index

    # -- writes: check, then apply (or undo and raise) -----------------------------------------------------

    def insert(self, pk: Any, record: Record) -> None:
        """Index one new record: each index checks its rules and adds it in one step, in creation order;
        when one refuses it, the indexes before it drop it again (exact: it is their newest entry)."""
        seq = self._next_seq
        indexes = self._list
        done = 0
        try:
            for index in indexes:
                index._insert(record, pk, seq)
                done += 1
            if self.store is not None:
                self._store_write(self.store.append, pk, record)
        except BaseException:
            for index in indexes[:done]:
                index._remove(index.key_of(record), pk)
            raise
        self.seq[pk] = seq
        self._next_seq = seq + 1

    def insert_many(self, pending: Mapping[Any, Record]) -> None:
        """Index new records (``pk -> record``, in insertion order)."""
        pks = list(pending)
        rows = list(pending.values())
        indexes = self._list
        all_keys = [index.keys_of(rows) for index in indexes]
        for index, keys in zip(indexes, all_keys, strict=True):
            self._check_new(index, keys, pks, leaving=())
        first = self._next_seq
        seqs = range(first, first + len(pks))
        done = 0
        try:
            for index, keys in zip(indexes, all_keys, strict=True):
                index._add_many(keys, pks, seqs)  # all or nothing, each
                done += 1
            if self.store is not None:
                self._store_write(self.store.append_many, pks, rows)
        except BaseException:
            for index, keys in zip(indexes[:done], all_keys, strict=False):
                index._remove_many(keys, pks)
            raise
        self.seq.update(zip(pks, seqs, strict=True))
        self._next_seq = first + len(pks)

    def update(
        self,
        pks: list[Any],
        old: list[Record],
        new: list[Record],
        changed: Container[Any],
        records: Mapping[Any, Record],
    ) -> None:
        """Re-index records whose primary keys stay: ``old[i]`` becomes ``new[i]``; only the indexes over a
        field in ``changed`` are touched. Each record keeps its place among its ties."""
        moving = [index for index in self._list if any(field in changed for field in index.fields)]
        store = self.store
        if store is not None and not any(field in changed for field in store.fields):
            store = None
        if not moving and store is None:
            return
        moves = []
        for index in moving:
            old_keys = index.keys_of(old)
            new_keys = index.keys_of(new)
            self._check_new(index, new_keys, pks, leaving=pks)
            moves.append((index, old_keys, new_keys))
        seq = self.seq
        with _Rebuild(moving, records, seq, store):
            seqs = list(map(seq.__getitem__, pks)) if moves else []
            for index, old_keys, new_keys in moves:
                index._move_many(old_keys, new_keys, pks, seqs)
            if store is not None:
                replace = store.replace
                for pk, row in zip(pks, new, strict=True):
                    replace(pk, row)

    def rekey(
        self, old_pk: Any, new_pk: Any, old: Record, new: Record, records: Mapping[Any, Record]
    ) -> None:
        """Re-index a record whose primary key changes: it takes the next sequence number (it moves last)."""
        indexes = self._list
        old_keys = [index.key_of(old) for index in indexes]
        new_keys = [index.key_of(new) for index in indexes]
        for index, key in zip(indexes, new_keys, strict=True):
            self._check_new(index, [key], [new_pk], leaving=[old_pk])
        seq = self._next_seq
        store = self.store
        with _Rebuild(indexes, records, self.seq, store):
            for index, old_key, new_key in zip(indexes, old_keys, new_keys, strict=True):
                index._add(new_key, new_pk, seq)
                index._remove(old_key, old_pk)
            if store is not None:  # the record moves last in insertion order, so its row does too
                store.remove(old_pk)
                store.append(new_pk, new)
        del self.seq[old_pk]
        self.seq[new_pk] = seq
        self._next_seq = seq + 1

    def delete(self, pks: list[Any], rows: list[Record], records: Mapping[Any, Record]) -> None:
        """Un-index deleted records (``rows[i]`` is the record of ``pks[i]``)."""
        indexes = self._list
        store = self.store
        with _Rebuild(indexes, records, self.seq, store):
            for index in indexes:
                index._remove_many(index.keys_of(rows), pks)
            if store is not None:
                store.remove_many(pks)
        _records.delete_keys(self.seq, pks)

    def clear(self) -> None:
        """Every record was deleted."""
        for index in self._list:
            index._clear()
        if self.store is not None:
            self.store.load({})
        self.seq.clear()
        self._next_seq = 0

    def _store_write(self, write: Any, *args: Any) -> None:
        """Call one of the store's writes; when it fails, rebuild the store from the table's records (not yet
        changed by this write) before the error propagates."""
        try:
            write(*args)
        except BaseException:
            assert self.store is not None
            self.store.load(self._records)
            raise

    # -- checks -------------------------------------------------------------------------------------------

    def _check_new(self, index: Index, keys: list[Any], pks: list[Any], leaving: Collection[Any]) -> None:
        """Check the new ``keys`` of ``pks`` against ``index``'s rules; ``leaving`` are the primary keys whose
        current entries go away in the same write (so they do not count as holders of a key)."""
        index._check_many(keys, pks)
        if not index.unique:
            return
        composite = index.composite
        gone = set(leaving)
        claims = _Claims(index)
        for key, pk in zip(keys, pks, strict=True):
            if is_null_key(key, composite):
                continue
            for holder in index._holders(key):
                if holder not in gone:
                    raise index._duplicate(key, pk, holder)
            earlier = claims.claim(key, pk)
            if earlier is not None:
                raise index._duplicate(key, pk, earlier)


class _Rebuild:
    """Rebuilds ``indexes`` from the table's unchanged ``records`` when the block raises.

    For writes whose steps cannot be undone one by one without moving an entry among its ties (the kernel
    numbers an entry when it is inserted), and for the column ``store``, given when the write changes it.
    Only a kernel failure gets here (an exhausted memory, a comparison raising a ``BaseException`` such as
    ``KeyboardInterrupt``); a rebuild that fails too leaves the index unusable, and its error propagates.
    """

    __slots__ = ("indexes", "records", "seq", "store")

    def __init__(
        self,
        indexes: list[Index],
        records: Mapping[Any, Record],
        seq: dict[Any, int],
        store: _column.ColumnStore | None = None,
    ) -> None:
        self.indexes = indexes
        self.records = records
        self.seq = seq
        self.store = store

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: Any, error: Any, traceback: Any) -> None:
        if error is None:
            return
        pks = list(self.records)
        for index in self.indexes:
            index._clear()
            keys = index.keys_of(self.records.values())
            index._add_many(keys, pks, [self.seq[pk] for pk in pks])
        if self.store is not None:
            self.store.load(self.records)


class _Claims:
    """The keys a write gives out so far, to find two records of one write with equal keys."""

    __slots__ = ("_hashed", "_sorted")

    def __init__(self, index: Index) -> None:
        self._hashed: dict[Any, Any] = {}
        # A sorted index takes unhashable keys: those are looked up in a kernel index of their own.
        self._sorted = _kernel.SortedEntries() if isinstance(index, SortedIndex) else None

    def claim(self, key: Any, pk: Any) -> Any:
        """The primary key that claimed a key equal to ``key`` before, or None (and ``key`` is claimed)."""
        try:
            earlier = self._hashed.setdefault(key, pk)
        except TypeError:
            if self._sorted is None:
                raise
            found = self._sorted.equal(key)
            if found:
                return found[0]
            self._sorted.insert(key, pk)
            return None
        return None if earlier is pk else earlier


def index_name(field: Any) -> tuple[Hashable, ...]:
    """The fields an index name stands for: a field, or a list or tuple of fields (a composite index).

    Example:
        >>> index_name("age"), index_name(["dept", "city"]), index_name(("dept",))
        (('age',), ('dept', 'city'), ('dept',))
    """
    if isinstance(field, (list, tuple)):
        fields = tuple(field)
        if not fields:
            raise ValueError("an index needs at least one field, got an empty list")
    else:
        fields = (field,)
    for name in fields:
        if not isinstance(name, Hashable) or isinstance(name, (list, tuple)):
            raise TypeError(f"an index field must be a field name (str or another hashable), not {name!r}")
    if len(set(fields)) != len(fields):
        raise ValueError(f"a composite index names each field once, got {list(fields)!r}")
    return fields


def index_kind(index_type: Any) -> str:
    """``"hash"``, ``"sorted"`` or ``"column"`` from ``create_index``'s ``index_type`` (any case);
    ``ValueError`` otherwise.

    Example:
        >>> index_kind("Sorted")
        'sorted'
    """
    kind = index_type.lower() if isinstance(index_type, str) else None
    if kind not in INDEX_TYPES:
        raise ValueError(
            f"unknown index type {index_type!r}: use 'hash' (equality, is_in), 'sorted' (equality, ranges, "
            f"prefixes and order_by) or 'column' (scans and aggregates over a typed column)"
        )
    return kind
