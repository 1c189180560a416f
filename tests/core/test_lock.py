"""RWLock (``_core.lock``, both cores): shared reads, exclusive writes, writer preference,
re-entrancy, and no lost wake-ups."""

from __future__ import annotations

import random
import threading
import time
from types import SimpleNamespace
from typing import Any

import pytest

from dictdb.locking import RWLock

TIMEOUT = 10.0


@pytest.fixture
def make_lock(core: SimpleNamespace) -> Any:
    """The RWLock class of the core under test."""
    return core.lock.RWLock


def test_the_public_module_exports_the_selected_core() -> None:
    from dictdb import _core

    assert RWLock is _core.lock.RWLock


def run_threads(targets: list[threading.Thread]) -> None:
    for thread in targets:
        thread.start()
    for thread in targets:
        thread.join(TIMEOUT)
        assert not thread.is_alive(), "a thread hung: lost wake-up or deadlock"


def test_readers_share_the_lock(make_lock: Any) -> None:
    lock = make_lock()
    inside = threading.Barrier(3, timeout=TIMEOUT)  # all three readers must be inside at once

    def reader() -> None:
        with lock.read():
            inside.wait()

    run_threads([threading.Thread(target=reader) for _ in range(3)])


def test_writer_excludes_readers_and_writers(make_lock: Any) -> None:
    lock = make_lock()
    active = {"readers": 0, "writers": 0}
    violations: list[str] = []
    guard = threading.Lock()

    def enter(kind: str) -> None:
        with guard:
            active[kind] += 1
            if active["writers"] > 1 or (active["writers"] and active["readers"]):
                violations.append(f"{active}")

    def leave(kind: str) -> None:
        with guard:
            active[kind] -= 1

    def worker(seed: int) -> None:
        rng = random.Random(seed)
        for _ in range(300):
            kind = "writers" if rng.random() < 0.3 else "readers"
            with lock.write() if kind == "writers" else lock.read():
                enter(kind)
                if rng.random() < 0.1:
                    time.sleep(0)
                leave(kind)

    run_threads([threading.Thread(target=worker, args=(i,)) for i in range(12)])
    assert violations == []
    assert repr(lock) == "<RWLock readers=0 writer=no waiting_writers=0>"


def test_writer_waits_while_reader_holds_then_proceeds(make_lock: Any) -> None:
    # The three-thread pattern: a reader holds, a writer queues, a second reader queues behind the writer.
    lock = make_lock()
    order: list[str] = []
    reader_in = threading.Event()
    release_reader = threading.Event()

    def first_reader() -> None:
        with lock.read():
            order.append("reader1 in")
            reader_in.set()
            release_reader.wait(TIMEOUT)
            order.append("reader1 out")

    def writer() -> None:
        with lock.write():
            order.append("writer in")

    def second_reader() -> None:
        with lock.read():
            order.append("reader2 in")

    t1 = threading.Thread(target=first_reader)
    t1.start()
    assert reader_in.wait(TIMEOUT)
    tw = threading.Thread(target=writer)
    tw.start()
    wait_until(lambda: lock.waiting_writers == 1)
    t2 = threading.Thread(target=second_reader)
    t2.start()
    time.sleep(0.05)
    assert order == ["reader1 in"]  # writer waits for reader1; reader2 waits behind the writer
    release_reader.set()
    for thread in (t1, tw, t2):
        thread.join(TIMEOUT)
        assert not thread.is_alive()
    assert order == ["reader1 in", "reader1 out", "writer in", "reader2 in"]


def wait_until(condition: object, timeout: float = TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, "condition never became true"
        time.sleep(0.001)


def test_reader_can_reenter_while_a_writer_waits(make_lock: Any) -> None:
    lock = make_lock()
    done = threading.Event()

    def nested_reader() -> None:
        with lock.read():
            wait_until(lambda: lock.waiting_writers == 1)
            with lock.read():  # must not wait for the writer, which waits for us
                done.set()

    reader = threading.Thread(target=nested_reader)
    writer = threading.Thread(target=lambda: (lock.acquire_write(), lock.release_write()))
    reader.start()
    writer.start()
    reader.join(TIMEOUT)
    writer.join(TIMEOUT)
    assert done.is_set()
    assert not reader.is_alive()
    assert not writer.is_alive()


def test_writer_can_reenter_and_read(make_lock: Any) -> None:
    lock = make_lock()
    with lock.write(), lock.write(), lock.read(), lock.read():
        assert lock.held_by_me()
    assert not lock.held_by_me()


def test_writer_that_reads_keeps_others_out_until_it_releases_the_read(make_lock: Any) -> None:
    lock = make_lock()
    lock.acquire_write()
    lock.acquire_read()
    lock.release_write()  # still reading: another writer must wait
    got_in = threading.Event()
    other = threading.Thread(target=lambda: (lock.acquire_write(), got_in.set(), lock.release_write()))
    other.start()
    time.sleep(0.05)
    assert not got_in.is_set()
    lock.release_read()
    other.join(TIMEOUT)
    assert got_in.is_set()


def test_upgrading_read_to_write_is_an_error_not_a_deadlock(make_lock: Any) -> None:
    lock = make_lock()
    with lock.read(), pytest.raises(RuntimeError, match="upgrading would deadlock"):
        lock.acquire_write()
    with lock.write():  # the failed attempt left nothing behind
        pass


def test_releasing_what_you_do_not_hold_is_an_error(make_lock: Any) -> None:
    lock = make_lock()
    with pytest.raises(RuntimeError, match="does not hold the read lock"):
        lock.release_read()
    with pytest.raises(RuntimeError, match="does not hold the write lock"):
        lock.release_write()
    with lock.write():
        thread_error: list[BaseException] = []

        def release_from_other() -> None:
            try:
                lock.release_write()
            except RuntimeError as exc:
                thread_error.append(exc)

        run_threads([threading.Thread(target=release_from_other)])
        assert len(thread_error) == 1


def test_stress_many_readers_and_writers_never_hang(make_lock: Any) -> None:
    lock = make_lock()
    counter = {"value": 0}
    snapshots: list[int] = []

    def writer() -> None:
        for _ in range(200):
            with lock.write():
                value = counter["value"]
                time.sleep(0) if value % 7 == 0 else None
                counter["value"] = value + 1

    def reader() -> None:
        for _ in range(400):
            with lock.read():
                first = counter["value"]
                with lock.read():
                    second = counter["value"]
                snapshots.append(second - first)

    run_threads(
        [threading.Thread(target=writer) for _ in range(4)]
        + [threading.Thread(target=reader) for _ in range(8)]
    )
    assert counter["value"] == 800  # no lost update: writes were exclusive
    assert set(snapshots) == {0}  # no write happened inside a read


def test_a_copied_or_pickled_lock_is_a_new_free_lock(make_lock: Any) -> None:
    import copy
    import pickle

    lock = make_lock()
    with lock.write():
        for clone in (copy.copy(lock), copy.deepcopy(lock), pickle.loads(pickle.dumps(lock))):
            assert type(clone) is type(lock)
            assert clone is not lock
            assert not clone.held_by_me()
            with clone.write():  # free: another thread's view of it would not wait either
                assert clone.held_by_me()


def queued_thread(lock: Any, kind: str, name: str, order: list[str]) -> threading.Thread:
    """A started thread that takes ``lock`` (``"read"`` or ``"write"``), notes ``name`` in ``order`` and
    gives it back; returned once it is queued (the lock must be held by another thread)."""
    counter = "waiting_writers" if kind == "write" else "waiting_readers"
    before = getattr(lock, counter)

    def take() -> None:
        with lock.write() if kind == "write" else lock.read():
            order.append(name)

    thread = threading.Thread(target=take, name=name)
    thread.start()
    wait_until(lambda: getattr(lock, counter) == before + 1)
    return thread


def test_a_releasing_writer_cannot_take_the_lock_back_before_a_waiting_writer(make_lock: Any) -> None:
    lock = make_lock()
    order: list[str] = []
    lock.acquire_write()
    other = queued_thread(lock, "write", "other", order)
    lock.release_write()
    lock.acquire_write()  # handed to the waiting writer at the release: this waits for it
    order.append("releaser again")
    lock.release_write()
    other.join(TIMEOUT)
    assert order == ["other", "releaser again"]


def test_waiting_threads_are_served_in_arrival_order(make_lock: Any) -> None:
    lock = make_lock()
    order: list[str] = []
    lock.acquire_write()
    threads = [queued_thread(lock, "write", f"writer {i}", order) for i in range(4)]
    assert lock.waiting_writers == 4
    lock.release_write()
    for thread in threads:
        thread.join(TIMEOUT)
        assert not thread.is_alive()
    assert order == [f"writer {i}" for i in range(4)]
    assert repr(lock) == "<RWLock readers=0 writer=no waiting_writers=0>"


def test_readers_queued_together_get_in_together_between_writers(make_lock: Any) -> None:
    lock = make_lock()
    order: list[str] = []
    both_in = threading.Barrier(2, timeout=TIMEOUT)  # the two readers must be inside at once

    def reader(name: str) -> None:
        with lock.read():
            order.append(name)
            both_in.wait()

    lock.acquire_write()
    threads = [queued_thread(lock, "write", "writer 1", order)]
    for name in ("reader a", "reader b"):
        threads.append(threading.Thread(target=reader, args=(name,)))
        threads[-1].start()
        wait_until(lambda: lock.waiting_readers == len(threads) - 1)
    threads.append(queued_thread(lock, "write", "writer 2", order))
    lock.release_write()
    for thread in threads:
        thread.join(TIMEOUT)
        assert not thread.is_alive()
    assert order[0] == "writer 1"
    assert sorted(order[1:3]) == ["reader a", "reader b"]
    assert order[3] == "writer 2"


def test_a_wait_interrupted_by_a_signal_leaves_the_queue_and_lets_the_next_in(make_lock: Any) -> None:
    # Only the main thread takes signals: it queues for the write lock behind a reader, a second reader
    # queues behind it, and then a signal interrupts its wait. The second reader must then get in beside the
    # first (nothing queues ahead of it any more), and the lock must be free at the end.
    import signal

    class Interrupted(Exception):
        pass

    def interrupt(signum: int, frame: object) -> None:
        raise Interrupted

    lock = make_lock()
    order: list[str] = []
    release_first = threading.Event()

    def first_reader() -> None:
        with lock.read():
            order.append("reader 1")
            release_first.wait(TIMEOUT)

    first = threading.Thread(target=first_reader)
    first.start()
    wait_until(lambda: order == ["reader 1"])

    def second_reader() -> None:
        wait_until(lambda: lock.waiting_writers == 1)
        with lock.read():
            order.append("reader 2")

    main = threading.get_ident()

    def alarm_once_queued() -> None:
        wait_until(lambda: lock.waiting_readers == 1)
        signal.pthread_kill(main, signal.SIGALRM)

    second = threading.Thread(target=second_reader)
    alarm = threading.Thread(target=alarm_once_queued)
    previous = signal.signal(signal.SIGALRM, interrupt)
    try:
        second.start()
        alarm.start()
        with pytest.raises(Interrupted):
            lock.acquire_write()
        alarm.join(TIMEOUT)
    finally:
        signal.signal(signal.SIGALRM, previous)
    second.join(TIMEOUT)
    assert order == ["reader 1", "reader 2"]  # in while reader 1 still holds the lock
    assert lock.waiting_writers == 0
    release_first.set()
    first.join(TIMEOUT)
    with lock.write():  # free again
        pass
    assert repr(lock) == "<RWLock readers=0 writer=no waiting_writers=0>"
