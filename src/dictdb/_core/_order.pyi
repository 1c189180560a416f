from collections.abc import Iterable
from typing import Any

__all__ = ["order_ranks"]

def order_ranks(values: Iterable[Any]) -> list[int]: ...
