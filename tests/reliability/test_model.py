"""Model-based test: random inserts, bulk inserts, upserts, updates (re-keying and unique fields included),
deletes, selects, counts, aggregates, index creation and drops, transactions that commit or roll back, and
saves reloaded from JSON and pickle, run against DictDB and against a dict-of-dicts oracle
(``tests.reliability.oracle``); after every step the results, the errors (by class), the records and their
order, the counter and the indexes must agree. Zero divergences. A rule switches the planner to eager (every
index path taken, even on small tables), so that index lookups, walks and intersections are compared too.

``make test`` runs it in each core (the suite runs twice); ``make reliability`` (``DICTDB_LONG=1``) runs 100x
more steps. The figures (steps run per core) are reported through ``tests.reliability.figures``.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)

from dictdb.query import planner
from tests.index.test_index_maintenance import assert_consistent
from tests.reliability.budget import scaled
from tests.reliability.figures import report
from tests.reliability.ops import (
    AGGREGATES,
    COLUMNS,
    FIELDS,
    GROUP_BYS,
    INDEX_FIELDS,
    LIKE_PATTERNS,
    NAN_COLUMNS,
    OPERANDS,
    ORDERS,
    PKS,
    TABLES,
    TYPED_VALUES,
    VALUES,
    Runner,
    outcome,
)
from tests.reliability.oracle import ModelDB, ModelTable
from tests.support.snapshots import next_auto_pk
from tests.support.value_strategies import assert_same

#: Runs of the state machine (of up to ``STEPS_PER_EXAMPLE`` steps each): 100 in ``make test``, 100x more
#: in ``make reliability``, in rounds of ``EXAMPLES`` because hypothesis keeps a record of every run it made
#: in one test (~0.5 MB each here), which a round frees.
EXAMPLES = 100
ROUNDS = scaled(1, 100)
STEPS_PER_EXAMPLE = 50

tables = st.sampled_from(list(TABLES))
operands = st.sampled_from(OPERANDS)


def records_for(table: str) -> st.SearchStrategy[dict[str, Any]]:
    """Records of any shape; for the typed table, mostly ones that fit its schema."""
    loose = st.fixed_dictionaries(
        {}, optional={**{f: st.sampled_from(VALUES[f]) for f in FIELDS}, "id": st.sampled_from(PKS)}
    )
    if table == "free":
        return loose
    fitting = st.fixed_dictionaries(
        {"a": st.sampled_from(TYPED_VALUES["a"])},
        optional={"b": st.sampled_from(TYPED_VALUES["b"]), "c": st.sampled_from(TYPED_VALUES["c"])}
        | {"id": st.sampled_from([pk for pk in PKS if type(pk) is int])},
    )
    return st.one_of(fitting, fitting, fitting, loose)


def leaves(field: str) -> st.SearchStrategy[tuple[Any, ...]]:
    return st.one_of(
        st.tuples(st.sampled_from(["eq", "ne", "lt", "le", "gt", "ge"]), st.just(field), operands),
        st.tuples(st.just("between"), st.just(field), operands, operands),
        st.tuples(st.just("in"), st.just(field), st.lists(operands, max_size=3).map(tuple)),
        st.tuples(st.sampled_from(["is_null", "is_not_null"]), st.just(field)),
        st.tuples(
            st.just("like"),
            st.just(field),
            st.sampled_from(LIKE_PATTERNS),
            st.sampled_from([None, "!"]),
            st.booleans(),
        ),
    )


plans = st.recursive(
    st.sampled_from([*FIELDS, "id"]).flatmap(leaves),
    lambda inner: st.one_of(
        st.tuples(st.sampled_from(["and", "or"]), st.lists(inner, min_size=2, max_size=3).map(tuple)),
        st.tuples(st.just("not"), inner),
    ),
    max_leaves=4,
)
wheres = st.none() | plans
# Writes mostly aim at records by key (a random predicate often matches nothing), rarely at all of them.
by_key = st.tuples(
    st.just("in"), st.just("id"), st.lists(st.sampled_from(PKS[:9]), min_size=1, max_size=3).map(tuple)
)
targets = st.one_of(plans, by_key, by_key, st.tuples(st.just("and"), st.tuples(by_key, plans)), st.none())
changes = st.fixed_dictionaries({}, optional={f: st.sampled_from(VALUES[f]) for f in FIELDS}).filter(bool)
changes = changes | st.builds(lambda c, pk: {**c, "id": pk}, changes, st.sampled_from(PKS))


def with_table(build: Any) -> st.SearchStrategy[tuple[Any, ...]]:
    """Operations on a random table: ``build(table)`` is the strategy for one table's operations."""
    return tables.flatmap(build)


inserts = with_table(lambda t: st.tuples(st.just("insert"), st.just(t), records_for(t)))
bulk_inserts = with_table(
    lambda t: st.tuples(
        st.just("insert_many"),
        st.just(t),
        st.lists(records_for(t), max_size=6),
        st.sampled_from([None, None, 1, 2]),
    )
)
upserts = with_table(
    lambda t: st.tuples(
        st.just("upsert"),
        st.just(t),
        st.builds(lambda r, pk: {**r, "id": pk}, records_for(t), st.sampled_from(PKS)),
        st.sampled_from(["update", "update", "ignore", "error"]),
    )
)
updates = with_table(lambda t: st.tuples(st.just("update"), st.just(t), changes, targets))
deletes = with_table(lambda t: st.tuples(st.just("delete"), st.just(t), targets))
windows = st.tuples(st.sampled_from([None, None, 0, 1, 3, -1]), st.sampled_from([0, 0, 1, 2, -1]))
selects = with_table(
    lambda t: st.one_of(
        st.tuples(st.just(False), st.none() | st.sampled_from(COLUMNS + NAN_COLUMNS)),
        st.tuples(st.just(True), st.none() | st.sampled_from(COLUMNS)),  # distinct: no NaN column
    ).flatmap(
        lambda dc: st.builds(
            lambda plan, order, window: ("select", t, dc[1], plan, order, *window, dc[0]),
            wheres,
            st.none() | st.sampled_from(ORDERS),
            windows,
        )
    )
)
reads = with_table(
    lambda t: st.one_of(
        st.tuples(st.just("count"), st.just(t)),
        st.tuples(st.just("get"), st.just(t), st.sampled_from(PKS[:-1])),
        st.tuples(
            st.just("aggregate"),
            st.just(t),
            wheres,
            st.sampled_from(GROUP_BYS),
            st.lists(st.sampled_from(AGGREGATES), min_size=1, max_size=3, unique=True).map(tuple),
        ),
    )
)
index_ops = with_table(
    lambda t: st.one_of(
        st.tuples(
            st.just("create_index"),
            st.just(t),
            st.sampled_from(INDEX_FIELDS),
            st.sampled_from(["hash", "sorted", "column"]),
            st.booleans(),
        ),
        st.tuples(st.just("drop_index"), st.just(t), st.sampled_from(INDEX_FIELDS)),
    )
)
inner_ops = st.one_of(inserts, bulk_inserts, upserts, updates, deletes, selects, reads, index_ops)
transactions = st.tuples(
    st.just("transaction"), st.lists(inner_ops, min_size=1, max_size=4).map(tuple), st.booleans()
)
saves = st.tuples(st.just("save_reload"), st.sampled_from(["json", "pickle"]))
# Each run starts from tables of a few keyless records that fit, so that reads and writes find something.
seeds = st.tuples(
    *(
        st.lists(records_for(t).map(lambda r: {k: v for k, v in r.items() if k != "id"}), max_size=15)
        for t in TABLES
    )
)

COUNTED = {"steps": 0, "runs": 0}


def plain(value: Any) -> Any:
    """``value`` with exception classes replaced by their names, for ``assert_same``."""
    if isinstance(value, type):
        return f"<raises {value.__name__}>"
    if isinstance(value, (list, tuple)):
        return type(value)(plain(item) for item in value)
    return value


class DatabaseModel(RuleBasedStateMachine):
    """DictDB and the oracle, stepped together."""

    def __init__(self) -> None:
        super().__init__()
        self._planner = (planner.SCAN_FRACTION, planner.INTERSECT_RATIO, planner.INTERSECT_FLOOR)
        self._workdir = tempfile.TemporaryDirectory(prefix="dictdb-model-")
        self.runner = Runner(Path(self._workdir.name))
        self.model = ModelDB()
        COUNTED["runs"] += 1

    def teardown(self) -> None:
        planner.SCAN_FRACTION, planner.INTERSECT_RATIO, planner.INTERSECT_FLOOR = self._planner
        self._workdir.cleanup()

    def step(self, op: tuple[Any, ...]) -> None:
        expected = outcome(self.model.apply, op)
        got = outcome(self.runner.apply, op)
        COUNTED["steps"] += 1
        assert_same(plain(expected), plain(got), f"{op!r}")

    @initialize(rows=seeds)
    def fill(self, rows: tuple[list[dict[str, Any]], ...]) -> None:
        for table, records in zip(TABLES, rows, strict=True):
            self.step(("insert_many", table, records, None))

    @rule(op=inserts)
    def insert(self, op: tuple[Any, ...]) -> None:
        self.step(op)

    @rule(op=bulk_inserts)
    def insert_many(self, op: tuple[Any, ...]) -> None:
        self.step(op)

    @rule(op=upserts)
    def upsert(self, op: tuple[Any, ...]) -> None:
        self.step(op)

    @rule(op=updates)
    def update(self, op: tuple[Any, ...]) -> None:
        self.step(op)

    @rule(op=deletes)
    def delete(self, op: tuple[Any, ...]) -> None:
        self.step(op)

    @rule(op=selects)
    def select(self, op: tuple[Any, ...]) -> None:
        self.step(op)

    @rule(op=reads)
    def read(self, op: tuple[Any, ...]) -> None:
        self.step(op)

    @rule(op=index_ops)
    def index(self, op: tuple[Any, ...]) -> None:
        self.step(op)

    @rule(op=transactions)
    def transaction(self, op: tuple[Any, ...]) -> None:
        self.step(op)

    @rule(eager=st.booleans())
    def plan_eagerly(self, eager: bool) -> None:
        """Small tables mostly scan; eagerly, every index path is taken and every AND intersects (the
        planner's thresholds, as tests/index/test_index_differential.py sets them), so that those paths are
        compared too. Results must not change either way."""
        if eager:
            planner.SCAN_FRACTION, planner.INTERSECT_RATIO, planner.INTERSECT_FLOOR = 2.0, 10**9, 0
        else:
            planner.SCAN_FRACTION, planner.INTERSECT_RATIO, planner.INTERSECT_FLOOR = self._planner

    @rule(op=saves)
    def save_and_reload(self, op: tuple[Any, ...]) -> None:
        self.step(op)

    @invariant()
    def same_state(self) -> None:
        for name in TABLES:
            table = self.runner.db.get_table(name)
            model: ModelTable = self.model.tables[name]
            assert list(table.records) == list(model.records), name
            assert_same(list(model.records.values()), table.all(), name)
            assert table.count() == len(model.records)
            kinds = {index_name: (index.kind, index.unique) for index_name, index in table.indexes.items()}
            assert list(kinds) == list(model.indexes), name
            assert kinds == {
                index_name: (kind, unique) for index_name, (_, kind, unique) in model.indexes.items()
            }
            assert next_auto_pk(table) == model.next_key(), name
            assert_consistent(table)


def test_dictdb_agrees_with_the_dict_of_dicts_oracle() -> None:
    COUNTED.update(steps=0, runs=0)
    for _ in range(ROUNDS):
        run_state_machine_as_test(
            DatabaseModel,
            settings=settings(
                max_examples=EXAMPLES,
                stateful_step_count=STEPS_PER_EXAMPLE,
                deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
            ),
        )
    assert COUNTED["steps"] > 0
    report("model", runs=COUNTED["runs"], steps=COUNTED["steps"], divergences=0)
