"""The benchmark data set of DESIGN.md: employees with 10 depts and 50 cities, deterministic."""

from __future__ import annotations

import random

DEPTS = [f"dept{i}" for i in range(10)]
CITIES = [f"city{i}" for i in range(50)]

#: The 3-clause scan used everywhere: ~2% of rows match.
SCAN = {"age_min": 30, "dept": "dept3", "salary_max": 90_000}


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
