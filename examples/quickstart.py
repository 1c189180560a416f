"""Quickstart: a table of 100,000 records, a few queries, and which core answered them.

Run it with ``python examples/quickstart.py`` (``make demo`` does, after building the compiled core).
"""

from __future__ import annotations

import random
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


if __name__ == "__main__":
    main()
