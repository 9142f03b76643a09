"""Activities of the suite. They run in the test's event loop (async activities), so the tests read
what they record (executions, order of calls) directly from the module state below."""

from __future__ import annotations

import asyncio
from collections import Counter, defaultdict

from temporalio import activity
from temporalio.exceptions import ApplicationError

# (key, activity name) -> how many times an attempt started.
executions: Counter[tuple[str, str]] = Counter()
# key -> the calls in the order they ran (the saga's bookings and compensations).
calls: defaultdict[str, list[str]] = defaultdict(list)
# Concurrent executions of add_one right now, and the most seen at once.
in_flight = {"now": 0, "max": 0}


@activity.defn
async def add_one(n: int) -> int:
    in_flight["now"] += 1
    in_flight["max"] = max(in_flight["max"], in_flight["now"])
    try:
        # Yield to the loop so that concurrently dispatched tasks overlap.
        await asyncio.sleep(0)
        return n + 1
    finally:
        in_flight["now"] -= 1


@activity.defn
async def compose_greeting(name: str) -> str:
    return f"Hello, {name}!"


@activity.defn
async def finish_when_worker_shuts_down(key: str) -> str:
    """Runs until its worker begins a graceful shutdown, then finishes normally."""
    executions[(key, "finish_when_worker_shuts_down")] += 1
    await activity.wait_for_worker_shutdown()
    return "finished during shutdown"


@activity.defn
async def record(key: str, step: str) -> str:
    executions[(key, step)] += 1
    return step


@activity.defn
async def book(key: str, step: str, fail: bool) -> str:
    """A saga step: records the call and fails for good when asked to."""
    calls[key].append(step)
    if fail:
        raise ApplicationError(f"{step} is not available", non_retryable=True)
    return f"{step}-confirmed"


@activity.defn
async def heartbeat_then_fail(key: str, progress: int) -> list:
    """Attempt 1 heartbeats `progress` and fails; the retry returns the details it starts from."""
    executions[(key, "heartbeat_then_fail")] += 1
    info = activity.info()
    if info.attempt == 1:
        activity.heartbeat(progress)
        raise ApplicationError("failing after a heartbeat")
    return [info.attempt, *info.heartbeat_details]


@activity.defn
async def heartbeat_once_then_hang() -> None:
    """Heartbeats once, then never again; runs until its worker cancels it."""
    activity.heartbeat("started")
    await activity.wait_for_cancelled()


@activity.defn
async def heartbeat_until_cancelled(key: str) -> str:
    """Heartbeats until the cancellation arrives through a heartbeat response, and says so."""
    executions[(key, "heartbeat_until_cancelled")] += 1
    try:
        while True:
            activity.heartbeat()
            await asyncio.sleep(0.1)
    except asyncio.CancelledError:
        calls[key].append("cancelled")
        raise


@activity.defn
async def hang() -> None:
    await activity.wait_for_cancelled()


ALL = [
    add_one,
    compose_greeting,
    finish_when_worker_shuts_down,
    record,
    book,
    heartbeat_then_fail,
    heartbeat_once_then_hang,
    heartbeat_until_cancelled,
    hang,
]
