"""A database kept in a folder: a process is killed in the middle of its work, and loses nothing it committed.

Run it with ``python examples/durable.py``. A child process opens the folder, commits transfers between two
accounts (each a transaction: one journal frame) and is killed without closing anything; the parent opens
the folder again and finds every acknowledged transfer, and the money all there.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import textwrap

from dictdb import DictDB

CHILD = textwrap.dedent(
    """
    import sys
    from dictdb import DictDB

    db = DictDB.open(sys.argv[1], sync="normal")
    accounts = db.get_table("accounts")
    for n in range(1, 10_000_000):
        with db.transaction():
            ada, bob = accounts.get(1), accounts.get(2)
            accounts.update({"balance": ada["balance"] - 1}, where=accounts.id == 1)
            accounts.update({"balance": bob["balance"] + 1}, where=accounts.id == 2)
        print(n, flush=True)  # acknowledged: the transaction is in the journal
    """
)


def main() -> None:
    folder = os.path.join(tempfile.mkdtemp(), "bank")
    with DictDB.open(folder) as db:
        accounts = db.create_table("accounts")
        accounts.insert([{"owner": "ada", "balance": 1_000_000}, {"owner": "bob", "balance": 0}])
    print("folder:", folder, sorted(os.listdir(folder)))

    child = subprocess.Popen([sys.executable, "-c", CHILD, folder], stdout=subprocess.PIPE, text=True)
    assert child.stdout is not None
    acknowledged = 0
    for line in child.stdout:
        acknowledged = int(line)
        if acknowledged == 2_000:
            child.send_signal(signal.SIGKILL if hasattr(signal, "SIGKILL") else signal.SIGTERM)
            break
    child.wait()
    print(f"killed the writer after {acknowledged:,} acknowledged transfers")

    with DictDB.open(folder, sync="full") as db:
        ada, bob = db.get_table("accounts").select(order_by="id")
        print(f"recovered: ada {ada['balance']:,}, bob {bob['balance']:,}")
        assert ada["balance"] + bob["balance"] == 1_000_000, "money appeared or vanished"
        assert bob["balance"] >= acknowledged, "an acknowledged transfer was lost"
    print("every acknowledged transfer is there, and no transfer is there by half")


if __name__ == "__main__":
    main()
