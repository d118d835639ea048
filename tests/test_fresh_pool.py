"""The fresh-interpreter executor of large pushes (index/fresh_pool.py)."""

from __future__ import annotations

import os

import pytest

from index.fresh_pool import FreshProcessPool, WorkerDied

# A dispatch's worth of French text, repeated: a task and its answer far
# larger than a socket's buffer, as a batch of articles and its documents are.
TEXT = "Helsinki a déposé jeudi sa candidature à l’OTAN, « sans attendre ». " * 20_000


def shout(text: str) -> str:
    return text.upper()


def fail(text: str) -> str:
    raise ValueError(f"refusé : {text[:10]}")


def die(_: str) -> str:
    os._exit(3)


def test_large_tasks_and_answers_in_flight_together_do_not_block() -> None:
    pool = FreshProcessPool(2)
    try:
        futures = [pool.submit(shout, TEXT) for _ in range(8)]
        # Generous bound: only a deadlock fails it, not a slow machine.
        assert all(f.result(timeout=300) == TEXT.upper() for f in futures)
    finally:
        pool.shutdown()


def test_a_failing_task_and_a_dying_worker_are_errors_not_hangs() -> None:
    pool = FreshProcessPool(1)
    try:
        with pytest.raises(WorkerDied, match="ValueError: refusé"):
            pool.submit(fail, TEXT).result(timeout=300)
        assert pool.submit(shout, "ok").result(timeout=300) == "OK"
        with pytest.raises(WorkerDied, match="died"):
            pool.submit(die, "").result(timeout=300)
    finally:
        pool.shutdown()
