"""Graceful worker shutdown: an activity that is running when shutdown begins finishes, and the
workflow completes on a new worker, with no activity lost or run twice."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from temporalio.client import WorkflowExecutionStatus

import activities
from conftest import running_worker, unique
from tern_server import wait_until_async
from workflows import ShutdownWorkflow


async def test_graceful_shutdown_lets_the_activity_finish(client, task_queue):
    key = unique("shutdown")
    async with running_worker(
        client, task_queue, graceful_shutdown_timeout=timedelta(minutes=1)
    ) as worker:
        handle = await client.start_workflow(
            ShutdownWorkflow.run, key, id=key, task_queue=task_queue
        )
        await wait_until_async(
            "the activity to start",
            lambda: activities.executions[(key, "finish_when_worker_shuts_down")] == 1,
        )
        # The activity returns only once the shutdown has begun.
        await worker.shutdown()

    # The first worker is gone; the workflow waits for a worker, not lost and not failed.
    assert (await handle.describe()).status == WorkflowExecutionStatus.RUNNING

    async with running_worker(client, task_queue):
        result = await asyncio.wait_for(handle.result(), timeout=120)

    assert result == ["finished during shutdown", "after_shutdown"]
    assert activities.executions[(key, "finish_when_worker_shuts_down")] == 1
    assert activities.executions[(key, "after_shutdown")] == 1
