"""How much work the reliability tests do: the fast budget in ``make test``, the long one in
``make reliability`` (``DICTDB_LONG=1``).

Every reliability test sizes its runs from here, so one switch turns the whole suite long, and
docs/reliability.md can quote the figures of both.
"""

from __future__ import annotations

import os

#: True under ``make reliability``: many more steps, trials and seconds.
LONG = bool(os.environ.get("DICTDB_LONG"))


def scaled(fast: int, long: int) -> int:
    """``fast`` in ``make test``, ``long`` in ``make reliability``."""
    return long if LONG else fast
