"""Other tools' formats, one table at a time: CSV (``csvfile``, with ``csvcells`` for the cells), JSON Lines
(``jsonlines``), Arrow (``arrow``) and Parquet (``parquet``; both need pyarrow, imported only when used).

Exports write the rows the table has chosen; imports build a new table, whole or not at all
(``new_table``). docs/csv.md and docs/interop.md are the guides.
"""
