"""explain(count=True) and explain(aggregates=...): the route count() and aggregate() take, described."""

from __future__ import annotations

import pytest

from dictdb import Avg, Count, Table


@pytest.fixture
def staff() -> Table:
    t = Table("staff")
    t.insert([{"dept": f"d{i % 4}", "age": 20 + i % 30, "pay": i} for i in range(400)])
    return t


def test_count_without_where_is_the_table_size(staff: Table) -> None:
    plan = staff.explain(count=True)
    assert plan["compute"] == {"op": "count", "method": "table size"}
    assert str(plan).endswith("compute: count from the table's size")


def test_count_reads_the_records_without_a_column_index(staff: Table) -> None:
    plan = staff.explain(staff.age > 40, count=True)
    assert plan["compute"] == {"op": "count", "method": "records"}
    assert plan["access"]["op"] == "scan"
    assert staff.count(staff.age > 40) == len(staff.select(where=staff.age > 40))


def test_count_uses_the_column_vectors(staff: Table) -> None:
    staff.create_index("age", "column")
    plan = staff.explain(staff.age > 40, count=True)
    assert plan["compute"] == {"op": "count", "method": "column vectors"}
    assert "compute: count from the column vectors" in str(plan)
    # A clause on a field without a column: the records are read.
    assert staff.explain((staff.age > 40) & (staff.pay < 9), count=True)["compute"]["method"] == "records"


def test_aggregate_routes(staff: Table) -> None:
    aggregates = {"n": Count(), "avg": Avg("pay")}
    plan = staff.explain(staff.age > 40, group_by="dept", aggregates=aggregates, order_by="-n", limit=2)
    assert plan["compute"] == {
        "op": "aggregate",
        "method": "records",
        "group_by": ["dept"],
        "aggregates": ["n", "avg"],
        "order_by": "-n",
        "limit": 2,
        "having": None,
    }
    assert plan["order"] is None  # order_by and limit sort the grouped rows, not the records
    assert "compute: aggregate n, avg over the records found, grouped by dept, ordered by -n, limit 2" in str(
        plan
    )
    for field in ("dept", "age", "pay"):
        staff.create_index(field, "column")
    assert staff.explain(staff.age > 40, group_by="dept", aggregates=aggregates)["compute"]["method"] == (
        "column vectors"
    )
    # Two group fields: the vectors group by one field at most.
    two = staff.explain(group_by=["dept", "age"], aggregates=aggregates)
    assert two["compute"]["method"] == "records"
    expected = staff.aggregate(staff.age > 40, group_by="dept", **aggregates)
    staff.drop_index("age")
    assert staff.aggregate(staff.age > 40, group_by="dept", **aggregates) == expected


def test_explain_refuses_mixed_requests(staff: Table) -> None:
    with pytest.raises(ValueError, match="not both"):
        staff.explain(count=True, aggregates={"n": Count()})
    with pytest.raises(ValueError, match="aggregates="):
        staff.explain(group_by="dept")
    with pytest.raises(TypeError, match="Count"):
        staff.explain(aggregates={"n": Count})


def test_a_select_plan_has_no_compute(staff: Table) -> None:
    assert staff.explain(staff.age > 40)["compute"] is None
