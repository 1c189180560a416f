"""Concurrency soak: a dozen threads mix every operation on one database for a bounded time: transfers between
accounts inside transactions (some rolled back), random inserts, bulk inserts, upserts, updates, deletes,
selects, aggregates, index creation and drops and transactions on two more tables, consistent reads, saves
(JSON and pickle) loaded back, and backups: periodic and change-notified ones in the manager's own threads,
explicit full and delta ones from a worker that restores the folder each time.

Invariants, checked while it runs and at the end: the accounts' total never changes (in the live database, in
every file saved and in every backup restored); every index agrees with its table; an indexed select equals
an unindexed scan; the last backup and the last save equal the live database. Nothing may hang: every thread
is joined with a timeout, and a thread still alive fails the test after its stack is dumped
(``faulthandler``), so CI never waits forever.

``make test`` runs ~5 s per core; ``make reliability`` (``DICTDB_LONG=1``) runs minutes. The figures
(operations by kind, files checked) are reported through ``tests.reliability.figures``.
"""

from __future__ import annotations

import faulthandler
import random
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from dictdb import BackupManager, DictDB, DictDBError
from tests.core.test_differential import oracle as matches
from tests.index.test_index_maintenance import assert_consistent
from tests.reliability.budget import scaled
from tests.reliability.figures import report
from tests.reliability.memory_watch import Watch, open_fds
from tests.reliability.ops import TABLES, Runner, random_op, random_plan, where_of
from tests.support.value_strategies import assert_same
from tests.test_concurrency import ACCOUNTS, TOTAL, make_db, total

RUN_FOR = scaled(5, 300)
#: The RSS and open descriptors must not grow after this many seconds: a least-squares slope over the
#: samples after it, in MiB and descriptors per minute, under these bounds. The fast run's window is
#: seconds long, so its slope is mostly noise and its bound generous; the long run's is minutes long.
WARM_UP = scaled(2, 60)
MAX_RSS_SLOPE = float(scaled(60, 1))
MAX_FD_SLOPE = float(scaled(60, 1))
#: How long a thread may take to finish once told to stop, beyond its run time.
GRACE = 60.0
#: Errors the random operations may raise by design (a duplicate key, a schema refusal, no index to drop...).
EXPECTED = (DictDBError, TypeError, ValueError)


class Abort(Exception):
    """Raised inside a transfer that must leave no trace."""


def soak_db() -> DictDB:
    """The accounts of ``tests.test_concurrency`` (tables ``a`` and ``b``), plus the tables of ``ops``."""
    db = make_db()
    for name, schema in TABLES.items():
        db.create_table(name, schema=schema)
    return db


def check_tables(db: DictDB, rng: random.Random, plans: int = 3) -> None:
    """Every index agrees with its table, and indexed selects equal a scan of the records."""
    for name in db.list_tables():
        table = db.get_table(name)
        assert_consistent(table)
        for _ in range(plans):
            plan = random_plan(rng)
            scanned = [row for row in table.all() if matches(plan, row)]
            assert table.select(where=where_of(table, plan)) == scanned, (name, plan)


def check_file(db: DictDB, rng: random.Random) -> None:
    """A database loaded from a file or a backup: whole transfers only, and consistent tables."""
    assert total(db) == TOTAL
    check_tables(db, rng, plans=1)


class Soak:
    """The shared database, the stop signal, the errors seen and each thread's operation counts."""

    def __init__(self, workdir: Path) -> None:
        self.db = soak_db()
        self.workdir = workdir
        self.stop = threading.Event()
        self.errors: list[BaseException] = []
        self.counts: list[Counter[str]] = []
        self.watch = Watch(size=self.records)

    def records(self) -> int:
        """How many records the tables hold (read without the locks: a sample, not a consistent count)."""
        return sum(len(table.records) for table in list(self.db.tables.values()))

    def worker(self, body: Callable[[random.Random, Counter[str]], None], seed: int) -> threading.Thread:
        """A daemon thread running ``body(rng, counts)`` until ``stop``; any error is kept."""
        counts: Counter[str] = Counter()
        self.counts.append(counts)

        def run() -> None:
            rng = random.Random(seed)
            try:
                while not self.stop.is_set():
                    body(rng, counts)
            except BaseException as exc:  # reported by the test, with the others
                self.errors.append(exc)

        return threading.Thread(target=run, name=f"{body.__name__}-{seed}", daemon=True)

    # -- the workers --------------------------------------------------------------------------------------

    def transfer(self, rng: random.Random, counts: Counter[str]) -> None:
        a, b = self.db.get_table("a"), self.db.get_table("b")
        source, target = (a, b) if rng.random() < 0.5 else (b, a)
        amount = rng.randint(1, 5)
        pk_from, pk_to = rng.randint(1, ACCOUNTS), rng.randint(1, ACCOUNTS)
        try:
            with self.db.transaction():
                have = source.get(pk_from)["balance"]
                source.update({"balance": have - amount}, where=source.id == pk_from)
                if rng.random() < 0.2:
                    raise Abort  # half a transfer
                got = target.get(pk_to)["balance"]
                target.update({"balance": got + amount}, where=target.id == pk_to)
            counts["transfers committed"] += 1
        except Abort:
            counts["transfers rolled back"] += 1

    def random_operations(self, rng: random.Random, counts: Counter[str]) -> None:
        runner = Runner(self.workdir)
        runner.db = self.db
        op = random_op(rng)
        while op[0] == "save_reload":  # the saver thread saves; this one keeps the shared database
            op = random_op(rng)
        try:
            runner.apply(op)
            counts[op[0]] += 1
        except EXPECTED:
            counts[f"{op[0]} refused"] += 1

    def index_churn(self, rng: random.Random, counts: Counter[str]) -> None:
        table = self.db.get_table(rng.choice(["a", "b"]))
        if table.has_index("balance"):
            table.drop_index("balance")
        else:
            table.create_index("balance", rng.choice(["hash", "sorted", "column"]))
        counts["account index changes"] += 1

    def consistent_read(self, rng: random.Random, counts: Counter[str]) -> None:
        with self.db.transaction():  # a stable view of every table
            assert total(self.db) == TOTAL
            check_tables(self.db, rng, plans=1)
        counts["consistent reads"] += 1

    def save(self, rng: random.Random, counts: Counter[str]) -> None:
        file_format = rng.choice(["json", "pickle"])
        path = self.workdir / f"soak.{file_format}"
        self.db.save(path, file_format)
        check_file(DictDB.load(path, file_format), rng)
        counts["saves checked"] += 1

    def backup(self, rng: random.Random, counts: Counter[str]) -> None:
        manager = self.manager
        kind = rng.choice(["now", "now", "full", "delta"])
        if kind == "now":
            manager.backup_now()
        elif kind == "full":
            manager.backup_full()
        else:
            manager.backup_delta()
        # Restored while the manager's own threads may be adding files: the restore lists the folder again
        # when a listing is torn.
        check_file(BackupManager.restore(self.workdir / "backups"), rng)
        counts["backups restored"] += 1

    # -- the run ------------------------------------------------------------------------------------------

    def run(self) -> Counter[str]:
        # One manager per database (docs/backups.md: each backup drains the change tracking): periodic and
        # change-notified backups in its own threads, and explicit ones from the backup worker.
        self.manager = BackupManager(
            self.db,
            self.workdir / "backups",
            backup_interval=0.2,
            min_backup_interval=0.05,
            on_backup_failure=lambda exc, failures: self.errors.append(exc),
            incremental=True,
            max_deltas_before_full=3,
            keep=3,
            auto_notify=True,
        )
        bodies = [self.transfer] * 3 + [self.random_operations] * 4
        bodies += [self.index_churn, self.consistent_read, self.save, self.backup]
        threads = [self.worker(body, seed) for seed, body in enumerate(bodies)]
        self.watch.start()
        self.manager.start()
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + RUN_FOR
        while time.monotonic() < deadline and not self.errors:
            time.sleep(0.05)
        self.stop.set()
        for thread in threads:
            thread.join(max(0.0, deadline + GRACE - time.monotonic()))
        hung = [thread.name for thread in threads if thread.is_alive()]
        if hung:
            faulthandler.dump_traceback(file=sys.stderr, all_threads=True)
            raise AssertionError(f"threads still running {GRACE:.0f} s after the stop signal: {hung}")
        self.manager.stop(timeout=GRACE)  # with a last backup
        self.watch.stop()
        assert self.errors == [], self.errors
        counts: Counter[str] = Counter()
        for part in self.counts:
            counts.update(part)
        return counts

    def assert_same_as_live(self, other: DictDB) -> None:
        assert other.list_tables() == self.db.list_tables()
        for name in self.db.list_tables():
            ours, theirs = self.db.get_table(name), other.get_table(name)
            assert list(theirs.records) == list(ours.records), name
            # Exact values, a NaN equal to a NaN (a file loaded back holds other NaN objects).
            assert_same(ours.all(), theirs.all(), name)
            assert theirs.indexed_fields() == ours.indexed_fields(), name


def test_threads_mixing_every_operation_keep_the_invariants(tmp_path: Path) -> None:
    started = time.monotonic()
    fds_before = open_fds()
    soak = Soak(tmp_path)
    counts = soak.run()
    watch = soak.watch
    rss_slope, fd_slope = watch.rss_slope(WARM_UP), watch.fd_slope(WARM_UP)
    assert len(watch.after(WARM_UP)) >= 10, watch.samples
    assert rss_slope < MAX_RSS_SLOPE, (rss_slope, watch.samples)
    assert fd_slope < MAX_FD_SLOPE, (fd_slope, watch.samples)
    assert open_fds() == fds_before  # every file the run opened is closed
    db = soak.db
    assert total(db) == TOTAL
    check_tables(db, random.Random(0), plans=20)
    # The last backup (stop() made it) and a last save hold every committed write.
    soak.assert_same_as_live(BackupManager.restore(tmp_path / "backups"))
    db.save(tmp_path / "final.json", "json")
    soak.assert_same_as_live(DictDB.load(tmp_path / "final.json", "json"))
    assert counts["transfers committed"] > 0
    assert counts["saves checked"] > 0
    assert counts["backups restored"] > 0
    report(
        "soak",
        worker_threads=len(soak.counts),
        seconds=round(time.monotonic() - started, 1),
        operations=sum(counts.values()),
        rss_mib_per_minute=round(rss_slope, 2),
        fds_per_minute=round(fd_slope, 2),
        records_per_minute=round(watch.size_slope(WARM_UP), 1),
        records_first_last=[watch.sizes[0][1], watch.sizes[-1][1]],
        rss_mib_first_last=[round(watch.samples[0][1] / 2**20, 1), round(watch.samples[-1][1] / 2**20, 1)],
        samples=len(watch.samples),
        **dict(sorted(counts.items())),
    )
