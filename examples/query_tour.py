"""A tour of the query language: every kind of operator, combining them, and every option of select.

Run it with ``python examples/query_tour.py``; docs/queries.md explains each rule.
"""

from __future__ import annotations

from dictdb import And, Avg, Count, DictDB, Max, Not, Or

STAFF = [
    {"name": "Ada", "dept": "dev", "age": 36, "salary": 120_000, "city": "Paris", "tags": ["math", "lead"]},
    {"name": "bob", "dept": "ops", "age": 17, "salary": 40_000, "city": "Lyon"},
    {"name": "Cy", "dept": "ops", "age": None, "salary": 90_000, "email": "cy@example.com"},
    {"name": "Dee", "dept": "dev", "age": 29, "salary": 95_000, "city": "paris", "tags": ["new"]},
    {"name": "Eve", "dept": "sales", "age": 52, "salary": 70_000, "city": "Nice"},
]


def show(title: str, rows: object) -> None:
    print(f"{title}\n    {rows}")


def main() -> None:
    staff = DictDB().create_table("staff")
    staff.insert(STAFF)
    s = staff  # s.<field> builds an expression

    print("-- comparisons (a missing field reads as None; None never matches <, >, between)")
    show("age >= 30", [r["name"] for r in s.select(where=s.age >= 30)])
    show("age between 18 and 40", [r["name"] for r in s.select(where=s.age.between(18, 40))])
    show("dept in (dev, sales)", [r["name"] for r in s.select(where=s.dept.is_in(["dev", "sales"]))])
    show("city != 'Paris' (a missing city matches)", [r["name"] for r in s.select(where=s.city != "Paris")])

    print("-- strings and containers")
    show("name like 'C%'", [r["name"] for r in s.select(where=s.name.like("C%"))])
    show("city iequals 'paris'", [r["name"] for r in s.select(where=s.city.iequals("paris"))])
    show("tags contains 'new'", [r["name"] for r in s.select(where=s.tags.contains("new"))])
    show("email is null", [r["name"] for r in s.select(where=s.email.is_null())])

    print("-- combining: &, |, ~ and And, Or, Not")
    either = (s.dept == "ops") | (s.salary > 100_000)
    show("ops or salary > 100k", [r["name"] for r in s.select(where=either)])
    show(
        "the same with Or(...)", [r["name"] for r in s.select(where=Or(s.dept == "ops", s.salary > 100_000))]
    )
    adults_not_dev = And(s.age >= 18, Not(s.dept == "dev"))
    show("adults outside dev", [r["name"] for r in s.select(where=adults_not_dev)])
    show("an expression is callable on a dict", (s.age >= 18)({"age": 20}))

    print("-- select: columns, aliases, order, pages, distinct")
    show("two columns, by salary descending", s.select(["name", "salary"], order_by="-salary", limit=3))
    show("aliases", s.select({"who": "name", "pay": "salary"}, where=s.dept == "dev"))
    show(
        "order by dept, then age (None first)",
        [(r["dept"], r["age"]) for r in s.select(order_by=["dept", "age"])],
    )
    show(
        "names 3 and 4 by name (code point order: Z < a)",
        s.select(["name"], order_by="name", offset=2, limit=2),
    )
    show("distinct depts", s.select(["dept"], distinct=True))

    print("-- aggregates (docs/aggregates.md)")
    show("per dept", s.aggregate(group_by="dept", n=Count(), mean=Avg("salary"), top=Max("salary")))
    show("over adults", s.aggregate(where=s.age >= 18, n=Count(), mean_age=Avg("age")))

    print("-- mistakes fail loudly")
    try:
        staff.select(where=18 <= s.age <= 65)
    except TypeError as error:
        print(f"    18 <= s.age <= 65 -> TypeError: {str(error)[:70]}...")


if __name__ == "__main__":
    main()
