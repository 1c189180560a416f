"""Quickstart: a table of 100,000 records, a few queries, which core answered them, and the table kept in a
folder with ``DictDB.open``.

Run it with ``python examples/quickstart.py`` (``make demo`` does, after building the compiled core).
"""

from __future__ import annotations

import os
import random
import tempfile
import time

import dictdb
from dictdb import DictDB


def main() -> None:
    print(f"dictdb {dictdb.__version__}, core: {dictdb.core_implementation()}")
    db = DictDB()
    employees = db.create_table("employees")

    rng = random.Random(7)
    depts = [f"dept{i}" for i in range(10)]
    started = time.perf_counter()
    for i in range(100_000):
        employees.insert(
            {
                "name": f"user{i}",
                "age": rng.randint(18, 80),
                "dept": rng.choice(depts),
                "salary": rng.randint(30, 150) * 1000,
            }
        )
    print(f"inserted {len(employees):,} records in {time.perf_counter() - started:.2f} s")

    e = employees  # table.<field> builds predicates
    where = (e.age >= 30) & (e.dept == "dept3") & (e.salary < 90_000)
    started = time.perf_counter()
    found = employees.select(where=where)
    print(
        f"select age >= 30 & dept == 'dept3' & salary < 90000: {len(found):,} rows "
        f"in {(time.perf_counter() - started) * 1000:.1f} ms"
    )
    print("first match:", found[0])

    seniors = employees.select(["name", "age"], where=(e.age > 78) | ~(e.salary > 31_000))
    print(f"projected {len(seniors):,} rows like {seniors[0]}")
    print("get(42):", employees.get(42))

    # The same table kept in a folder: every committed write is in its journal before the call returns.
    folder = os.path.join(tempfile.mkdtemp(), "company")
    started = time.perf_counter()
    with DictDB.open(folder) as durable:
        staff = durable.create_table("employees")
        staff.create_index("dept")
        staff.insert(employees.all())  # one commit: one journal frame
        with durable.transaction():  # a raise inside would undo both updates
            staff.update({"salary": 31_000}, where=staff.id == 1)
            staff.update({"salary": 149_000}, where=staff.id == 2)
    print(f"kept {len(staff):,} records in {folder} in {time.perf_counter() - started:.2f} s")
    started = time.perf_counter()
    with DictDB.open(folder) as durable:
        again = durable.get_table("employees")
        print(f"opened again in {time.perf_counter() - started:.2f} s: {len(again):,} records,", again.get(1))


if __name__ == "__main__":
    main()
