from collections.abc import Callable
from typing import Any

__all__ = ["INT_LIMIT", "MAX_DEPTH", "dump_records", "encode_records", "make_decode_hook"]

MAX_DEPTH: int
INT_LIMIT: int

def encode_records(records: list[Any], slow: Callable[[Any], Any]) -> list[Any]: ...
def dump_records(records: list[Any], start: int, stop: int, encoder: Callable[[Any, int], Any]) -> str: ...
def make_decode_hook(fallback: Callable[[dict[str, Any]], Any]) -> Callable[[dict[str, Any]], Any]: ...
