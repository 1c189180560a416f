"""The benchmark data set: employees with 10 depts and 50 cities, deterministic, and the
queries every contender answers.

Each contender (``benchmarks/contenders/``) builds the same secondary indexes, ``INDEXES``, over the same
rows, and answers the same queries below with every matching record as a dict.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

DEPTS = [f"dept{i}" for i in range(10)]
CITIES = [f"city{i}" for i in range(50)]

#: The fields of each record, in order (sqlite3 and DuckDB declare them as columns in this order).
FIELDS = ("id", "name", "age", "dept", "salary", "city", "email")

#: Secondary indexes, field -> kind ("hash" or "sorted"), that every contender builds for the indexed
#: operations: the design's set.
INDEXES: dict[str, str] = {"dept": "hash", "age": "sorted", "salary": "sorted"}

#: The 3-clause scan used everywhere: ~2% of rows match.
SCAN = {"age_min": 30, "dept": "dept3", "salary_max": 90_000}

#: The 3-clause scan with arithmetic: ``salary * age > product_min`` (~55% of rows, computed for every row:
#: the first clause), ``age >= age_min``, ``dept == dept``; ~5% of rows match.
SCAN_ARITHMETIC = {"product_min": 3_500_000, "age_min": 30, "dept": "dept3"}

# Salaries are uniform in 30,000..150,000: a window of 360 holds ~0.3% of them, one of 19,200 ~16%.
NARROW = (60_000, 60_360)
WIDE = (60_000, 79_200)

#: The equality select and the update/delete target: one dept of 10, ~10% of rows.
DEPT = "dept3"

_cache: dict[int, list[dict[str, object]]] = {}


def make_rows(n: int, seed: int = 42) -> list[dict[str, object]]:
    """``n`` records with explicit primary keys ``1..n``."""
    rng = random.Random(seed)
    return [
        {
            "id": i,
            "name": f"user{i}",
            "age": rng.randint(18, 80),
            "dept": rng.choice(DEPTS),
            "salary": rng.randint(30_000, 150_000),
            "city": rng.choice(CITIES),
            "email": f"user{i}@example.com",
        }
        for i in range(1, n + 1)
    ]


#: The fields ``make_dated_rows`` adds to each record: dates and datetimes, which JSON has no type for.
DATED_FIELDS = ("hired", "updated", "login")


def make_dated_rows(n: int, seed: int = 42) -> list[dict[str, object]]:
    """``make_rows(n)``, each record with 3 more fields, the datetime-heavy set: ``hired`` (a date),
    ``updated`` (a naive datetime) and ``login`` (a datetime in UTC); every 10th record has a ``bonus``
    (a Decimal) and every 25th an ``avatar`` (8 bytes)."""
    rng = random.Random(seed + 1)
    start = dt.datetime(2015, 1, 1, 8, 0)
    rows = make_rows(n, seed)
    for row in rows:
        i = int(row["id"])  # type: ignore[call-overload]
        row["hired"] = dt.date(2000, 1, 1) + dt.timedelta(days=rng.randrange(9000))
        row["updated"] = start + dt.timedelta(seconds=rng.randrange(300_000_000), microseconds=i % 1000)
        row["login"] = (start + dt.timedelta(seconds=rng.randrange(300_000_000))).replace(
            tzinfo=dt.timezone.utc
        )
        if i % 10 == 0:
            row["bonus"] = Decimal(rng.randrange(100_000)) / 100
        if i % 25 == 0:
            row["avatar"] = rng.randbytes(8)
    return rows


def shared_rows(n: int) -> list[dict[str, object]]:
    """``make_rows(n)``, made once per process and shared: callers must not mutate the list or its dicts."""
    if n not in _cache:
        _cache.clear()  # one size at a time: a million rows is ~400 MB
        _cache[n] = make_rows(n)
    return _cache[n]


def sample_keys(n: int, count: int = 1000) -> list[int]:
    """``count`` primary keys spread evenly over ``1..n`` (all of them when ``n < count``)."""
    step = max(1, n // count)
    return list(range(1, n + 1, step))[:count]
