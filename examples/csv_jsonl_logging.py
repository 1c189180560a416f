"""CSV in, aggregates, JSON Lines out, with DictDB's logging turned on for the run.

Run it with ``python examples/csv_jsonl_logging.py``. docs/csv.md, docs/interop.md (JSON Lines, Arrow,
Parquet, DuckDB) and docs/logging.md say more.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from dictdb import Avg, Count, DictDB, Sum, configure_logging, logger

SALES_CSV = """order,day,shop,item,qty,price
1,2026-03-01,paris,tea,2,4.5
2,2026-03-01,lyon,coffee,1,6.0
3,2026-03-02,paris,coffee,3,6.0
4,2026-03-02,nice,tea,,4.5
5,2026-03-03,lyon,tea,5,4.0
"""


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        # Logging is off by default (a library stays silent); on here, into a file, for this run.
        log_path = Path(folder) / "dictdb.log"
        handlers = configure_logging("INFO", console=False, logfile=log_path)
        try:
            csv_path = Path(folder) / "sales.csv"
            csv_path.write_text(SALES_CSV, encoding="utf-8")
            db = DictDB()
            print("imported rows:", db.import_csv(csv_path, "sales", primary_key="order"))
            sales = db.get_table("sales")
            print("types inferred per column:", sales.get(4))  # an empty cell is None

            print("per shop:")
            for row in sales.aggregate(
                group_by="shop", orders=Count(), units=Sum("qty"), mean_price=Avg("price")
            ):
                print("   ", row)

            tea = Path(folder) / "tea.jsonl"
            print("exported to JSON Lines:", sales.export_jsonl(tea, where=sales.item == "tea"))
            print("   ", tea.read_text(encoding="utf-8").splitlines()[0])
            print("read back:", db.import_jsonl(tea, "tea", primary_key="order"), "rows")

            out = Path(folder) / "lyon.csv"
            print(
                "exported to CSV:",
                sales.export_csv(out, where=sales.shop == "lyon", columns=["order", "item", "qty"]),
            )
            print("   ", " | ".join(out.read_text(encoding="utf-8").splitlines()))
        finally:
            for handler in handlers:
                logger.remove(handler)
            logger.disable("dictdb")
        print("the log, one line per table-level operation:")
        for line in log_path.read_text(encoding="utf-8").splitlines():
            print("   ", line.split(" - ", 1)[-1])


if __name__ == "__main__":
    main()
