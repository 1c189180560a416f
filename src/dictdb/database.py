"""``DictDB``: a registry of named tables."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, TypeVar

from dictdb import storage
from dictdb.commit import SchemaChange, commit_schema
from dictdb.database_imports import DatabaseImports
from dictdb.durable import open_database
from dictdb.exceptions import DictDBError, DuplicateTableError, TableNotFoundError
from dictdb.locking import RWLock, reads, writes
from dictdb.log import Gate
from dictdb.storage.files.document import table_header
from dictdb.storage.files.snapshot import table_snapshot
from dictdb.storage.interop import arrow
from dictdb.storage.progress import ProgressOption, check_progress
from dictdb.table import Table
from dictdb.transaction import Transaction

if TYPE_CHECKING:
    from dictdb.durable import Durable

_logs = Gate(__name__)

_DB = TypeVar("_DB", bound="DictDB")


#: File suffixes (lower case) and the format ``save`` and ``load`` infer from them.
SUFFIXES = {".json": "json", ".pkl": "pickle", ".pickle": "pickle"}


def format_of(filename: str | os.PathLike[str], file_format: str | None) -> str:
    """``file_format``, or the format ``filename``'s suffix names; ``ValueError`` for an unknown suffix.

    Example:
        >>> format_of("db.PKL", None), format_of("db.bin", "json")
        ('pickle', 'json')
    """
    if file_format is not None:
        return file_format
    suffix = os.path.splitext(os.fspath(filename))[1]
    found = SUFFIXES.get(suffix.lower()) if isinstance(suffix, str) else None
    if found is None:
        raise ValueError(
            f"cannot tell the format of {os.fspath(filename)!r} from its suffix {suffix!r}: pass "
            "file_format='json' or 'pickle', or use a .json, .pkl or .pickle name"
        )
    return found


class DictDB(DatabaseImports):
    """An in-memory database: a set of named ``Table`` objects.

    ``tables`` maps each name to its table, in creation order; it stays public, as in ``dctdb``.

    Example:
        >>> from dictdb import DictDB
        >>> db = DictDB()
        >>> users = db.create_table("users")
        >>> db.get_table("users") is users, db.list_tables()
        (True, ['users'])
    """

    def __init__(self) -> None:
        self.tables: dict[str, Table] = {}
        self._change_listeners: tuple[Callable[[], object], ...] = ()
        # The registry's lock: first in the lock order (docs/concurrency.md). ``_transaction`` stays None
        # (the registry is restored by the transaction itself); ``_active_transaction`` is the open one.
        self._lock = RWLock()
        self._transaction: None = None
        self._active_transaction: Transaction | None = None
        # The folder's journal when opened with DictDB.open (dictdb.durable), else None: no journal cost.
        self._durable: Durable | None = None

    # -- durable databases (dictdb.durable, docs/durability.md) ---------------------------------------------

    @classmethod
    def open(
        cls: type[_DB],
        path: str | os.PathLike[str],
        *,
        sync: str = "normal",
        sync_interval: float = 1.0,
        checkpoint_bytes: int = 64 * 1024 * 1024,
        progress: ProgressOption = None,
    ) -> _DB:
        """The database kept in the folder ``path`` (created, with its parents, if missing).

        Every write that returns was appended to the folder's journal first, one checksummed frame per
        write or per ``with db.transaction():`` block; opening loads the newest snapshot and replays the
        journal. ``sync``: ``"full"`` fsyncs each commit before it returns (threads that commit at once
        share one fsync), ``"normal"`` fsyncs in the background at most ``sync_interval`` seconds later
        (a commit survives the process dying at once, a power loss after that), ``"off"`` fsyncs only at
        checkpoint and close. A checkpoint (a new snapshot, an empty journal) runs by itself once the
        journal passes ``checkpoint_bytes``. ``DatabaseLockedError`` when the folder is open already,
        here or in another process; ``DatabaseFileError`` naming the file and offset when a file is damaged.
        ``progress``: ``True`` or ``progress(done, total)``, over the bytes of the files replayed
        (docs/durability.md).

        Example:
            >>> import os, tempfile
            >>> from dictdb import DictDB
            >>> folder = os.path.join(tempfile.mkdtemp(), "shop")
            >>> with DictDB.open(folder) as db:
            ...     db.create_table("stock").insert({"item": "pen", "count": 3})
            1
            >>> with DictDB.open(folder) as db:
            ...     db.get_table("stock").get(1)
            {'item': 'pen', 'count': 3, 'id': 1}
        """
        check_progress(progress)
        return open_database(cls, path, sync, sync_interval, checkpoint_bytes, progress)

    @property
    def path(self) -> str | None:
        """The folder of a database opened with ``DictDB.open``; ``None`` for an in-memory one."""
        return None if self._durable is None else self._durable.folder

    @property
    def sync(self) -> str | None:
        """The ``sync`` mode of a database opened with ``DictDB.open``; ``None`` for an in-memory one."""
        return None if self._durable is None else self._durable.sync

    def checkpoint(self) -> None:
        """Write a new snapshot of every table to the folder and start an empty journal.

        Opening then replays less. Other threads wait only while the records are listed, not while the
        snapshot is written. ``DictDBError`` for a database not opened on a folder, or closed, and inside a
        transaction (its writes could still be rolled back).
        """
        if self._durable is None:
            raise DictDBError("checkpoint() needs a database opened on a folder: DictDB.open(path)")
        self._durable.checkpoint()

    def close(self) -> None:
        """Checkpoint, fsync and release the folder of a database opened with ``DictDB.open``; later writes
        raise ``DictDBError``, reads keep working. Harmless twice, and on an in-memory database."""
        if self._durable is not None:
            self._durable.close()

    def __enter__(self: _DB) -> _DB:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @writes
    def create_table(
        self,
        table_name: str,
        primary_key: str = "id",
        schema: Mapping[str, Any] | None = None,
        *,
        pk_generator: Callable[[], Any] | None = None,
    ) -> Table:
        """Create and return an empty table; ``DuplicateTableError`` when the name is taken.

        ``schema`` and ``pk_generator`` are as for ``Table``; the caller's schema dict is never changed.

        Example:
            >>> import uuid
            >>> from dictdb import DictDB
            >>> db = DictDB()
            >>> events = db.create_table("events", schema={"id": uuid.UUID, "kind": str},
            ...                          pk_generator=uuid.uuid4)
            >>> isinstance(events.insert({"kind": "login"}), uuid.UUID)
            True
        """
        if table_name in self.tables:
            raise DuplicateTableError(
                f"table {table_name!r} already exists; pick another name, or drop_table({table_name!r}) first"
            )
        table = Table(table_name, primary_key=primary_key, schema=schema, pk_generator=pk_generator)
        # The journal keeps the table's settings as a file does; refused (before anything changes) when
        # the schema has a type no file can name. A database without a journal takes any schema.
        header = None if self._durable is None else table_header(table_snapshot(table_name, table, []))
        op = ("create_table", table_name, header)
        transaction = self._active_transaction
        if transaction is not None:  # the transaction's thread: it holds the new table too
            transaction.adopt(table)
        self.tables[table_name] = table
        table._journal = self._durable

        def undo() -> None:
            del self.tables[table_name]

        commit_schema(transaction, self._durable, SchemaChange(op, self._notify_change_listeners), undo)
        _logs.event("create_table", table_name)
        return table

    @writes
    def drop_table(self, table_name: str) -> None:
        """Remove the table called ``table_name``; ``TableNotFoundError`` when there is none.

        Example:
            >>> from dictdb import DictDB
            >>> db = DictDB()
            >>> _ = db.create_table("tmp")
            >>> db.drop_table("tmp"); db.list_tables()
            []
        """
        if table_name not in self.tables:
            raise self._not_found(table_name)
        before = dict(self.tables)
        dropped = self.tables.pop(table_name)
        # A table object kept after its drop is an in-memory table: its writes must not reach the journal
        # (where they would land in a table of the same name created later, or in none).
        dropped._journal = None

        def undo() -> None:
            self.tables.clear()
            self.tables.update(before)
            dropped._journal = self._durable

        change = SchemaChange(("drop_table", table_name), self._notify_change_listeners)
        commit_schema(self._active_transaction, self._durable, change, undo)
        _logs.event("drop_table", table_name)

    @reads
    def get_table(self, table_name: str) -> Table:
        """The table called ``table_name``; ``TableNotFoundError`` when there is none.

        Example:
            >>> from dictdb import DictDB
            >>> db = DictDB()
            >>> db.get_table("users")
            Traceback (most recent call last):
            ...
            dictdb.exceptions.TableNotFoundError: no table 'users'; tables are: none
        """
        try:
            return self.tables[table_name]
        except KeyError:
            raise self._not_found(table_name) from None

    @reads
    def list_tables(self) -> list[str]:
        """The table names, in creation order.

        Example:
            >>> from dictdb import DictDB
            >>> db = DictDB()
            >>> _ = db.create_table("b"), db.create_table("a")
            >>> db.list_tables()
            ['b', 'a']
        """
        return list(self.tables)

    def __getitem__(self, table_name: str) -> Table:
        """``db[name]``: ``get_table(name)`` (``TableNotFoundError``, also a ``KeyError``, when missing).

        Example:
            >>> from dictdb import DictDB
            >>> db = DictDB()
            >>> users = db.create_table("users")
            >>> db["users"] is users, "users" in db, "staff" in db, len(db), list(db)
            (True, True, False, 1, ['users'])
        """
        return self.get_table(table_name)

    def __contains__(self, table_name: object) -> bool:
        """``name in db``: whether the database has a table of that name."""
        try:
            return table_name in self.tables
        except TypeError:  # an unhashable value names no table
            return False

    def __len__(self) -> int:
        """``len(db)``: the number of tables."""
        return len(self.tables)

    def __iter__(self) -> Iterator[str]:
        """``iter(db)``: the table names, in creation order, as they were when iteration began."""
        return iter(self.list_tables())

    def _not_found(self, table_name: str) -> TableNotFoundError:
        names = ", ".join(map(repr, self.tables)) or "none"
        return TableNotFoundError(f"no table {table_name!r}; tables are: {names}")

    def transaction(self) -> Transaction:
        """``with db.transaction():`` — every write inside the block, on any table, or none of them.

        The block holds the database's write access from start to end, so it is serializable: other threads
        wait, and what it reads stays as it read it. When the block raises, records, indexes, key counters,
        change tracking and the table registry are put back as they were, and the exception goes on. Nested
        blocks are savepoints. See docs/concurrency.md.

        Example:
            >>> from dictdb import DictDB
            >>> db = DictDB()
            >>> stock = db.create_table("stock")
            >>> stock.insert({"item": "pen", "count": 1})
            1
            >>> with db.transaction():
            ...     pen = stock.get(1)
            ...     stock.update({"count": pen["count"] - 1}, where=stock.id == 1)
            1
            >>> stock.get(1)["count"]
            0
        """
        return Transaction(self)

    @contextmanager
    def _hold_all(self, *, write: bool = False) -> Iterator[None]:
        """Hold the registry's lock (shared) and every table's lock, shared or exclusive, in the lock order:
        one point in time for saves and backups."""
        self._lock.acquire_read()
        held: list[Table] = []
        try:
            for table in list(self.tables.values()):
                if write:
                    table._lock.acquire_write()
                else:
                    table._lock.acquire_read()
                held.append(table)
            yield
        finally:
            for table in reversed(held):
                if write:
                    table._lock.release_write()
                else:
                    table._lock.release_read()
            self._lock.release_read()

    def __repr__(self) -> str:
        return f"<DictDB: {len(self.tables)} tables: {', '.join(map(repr, self.tables)) or 'none'}>"

    # Persistence: thin wrappers over dictdb.storage (docs/persistence.md).

    def save(
        self,
        filename: str | os.PathLike[str],
        file_format: str | None = None,
        *,
        progress: ProgressOption = None,
    ) -> None:
        """Save every table to ``filename`` as ``"json"`` or ``"pickle"`` (any case), atomically: the file
        holds the previous save or this one, never a mix, whatever fails or crashes. Without
        ``file_format``, the suffix says which (``.json``; ``.pkl``, ``.pickle``); ``ValueError`` for another.

        ``UnsupportedValueError`` (nothing written) for a value the formats cannot hold exactly.
        ``progress``: ``True`` (a bar on stderr) or ``progress(done, total)``, over the records written.

        Example:
            >>> import os, tempfile
            >>> from dictdb import DictDB
            >>> db = DictDB()
            >>> db.create_table("users").insert({"name": "ada"})
            1
            >>> db.save(os.path.join(tempfile.mkdtemp(), "db.json"), "json")
            >>> db.save(os.path.join(tempfile.mkdtemp(), "db.pkl"))
        """
        check_progress(progress)
        storage.save_database(self, filename, format_of(filename, file_format), progress)

    @classmethod
    def load(
        cls: type[_DB],
        filename: str | os.PathLike[str],
        file_format: str | None = None,
        *,
        progress: ProgressOption = None,
    ) -> _DB:
        """A new database loaded from ``filename`` (a DictDB or ``dctdb`` file), indexes rebuilt; without
        ``file_format``, the suffix says which format (as for ``save``).

        ``DatabaseFileError`` naming the file when it is missing, truncated, corrupt, of another format
        or a newer version; nothing is returned half-loaded. ``progress``: ``True`` (a bar on stderr) or
        ``progress(done, total)``, over the bytes of the file.

        Example:
            >>> import os, tempfile
            >>> from dictdb import DictDB
            >>> db = DictDB()
            >>> db.create_table("users").insert({"name": "ada"})
            1
            >>> path = os.path.join(tempfile.mkdtemp(), "db.pickle")
            >>> db.save(path, "pickle")
            >>> DictDB.load(path, "PICKLE").get_table("users").get(1)
            {'name': 'ada', 'id': 1}
            >>> DictDB.load(path)["users"][1]
            {'name': 'ada', 'id': 1}
        """
        check_progress(progress)
        return storage.load_database(filename, format_of(filename, file_format), cls, progress)

    async def async_save(
        self,
        filename: str | os.PathLike[str],
        file_format: str | None = None,
        *,
        progress: ProgressOption = None,
    ) -> None:
        """``save`` in a worker thread, so the event loop keeps running while the file is written (and a
        ``progress`` callable is called in that thread)."""
        check_progress(progress)
        await storage.async_save_database(self, filename, format_of(filename, file_format), progress)

    @classmethod
    async def async_load(
        cls: type[_DB],
        filename: str | os.PathLike[str],
        file_format: str | None = None,
        *,
        progress: ProgressOption = None,
    ) -> _DB:
        """``load`` in a worker thread, so the event loop keeps running while the file is read (and a
        ``progress`` callable is called in that thread)."""
        check_progress(progress)
        return await storage.async_load_database(filename, format_of(filename, file_format), cls, progress)

    # -- change listeners (storage.backups) ----------------------------------------------------------------

    def _add_change_listener(self, listener: Callable[[], object]) -> None:
        """Call ``listener()`` after each ``create_table`` and ``drop_table``, until removed. A listener must
        not raise and must not take the database's locks."""
        if listener not in self._change_listeners:
            self._change_listeners = (*self._change_listeners, listener)

    def _remove_change_listener(self, listener: Callable[[], object]) -> None:
        """Stop calling ``listener``; nothing happens if it is not there."""
        self._change_listeners = tuple(known for known in self._change_listeners if known != listener)

    def _notify_change_listeners(self) -> None:
        # A tuple replaced on each change, never mutated: safe against listeners added from other threads.
        for listener in self._change_listeners:
            listener()

    # A database from Arrow tables (docs/interop.md); the imports from files are in dictdb.database_imports.

    @classmethod
    def from_arrow(cls: type[_DB], tables: Mapping[str, Any], *, primary_key: str = "id") -> _DB:
        """A new database with one table per ``pyarrow.Table`` of ``tables`` (name -> Arrow table).

        Needs ``pip install cydictdb[arrow]``. A column ``primary_key`` gives the keys; without it, keys
        are 1, 2, 3... Example (docs/interop.md runs it)::

            db = DictDB.from_arrow({"t": pyarrow.table({"id": [1, 2], "x": ["a", None]})})
            db.get_table("t").all()  # [{'id': 1, 'x': 'a'}, {'id': 2, 'x': None}]
        """
        return arrow.from_arrow(cls, tables, primary_key)
