"""Activity heartbeats and timeouts as the workflow sees them: heartbeat details survive a retry;
a heartbeat timeout and a start-to-close timeout reach the workflow as TimeoutErrors of the right
type; cancelling a workflow cancels its running activity through the heartbeat."""

from __future__ import annotations

import pytest
from temporalio.client import WorkflowExecutionStatus, WorkflowFailureError
from temporalio.exceptions import CancelledError

import activities
from conftest import running_worker, unique
from tern_server import wait_until_async
from workflows import ActivityTimeoutWorkflow, CancellableWorkflow, HeartbeatRetryWorkflow


async def test_heartbeat_details_survive_a_retry(client, task_queue):
    key = unique("heartbeat-retry")
    async with running_worker(client, task_queue):
        result = await client.execute_workflow(
            HeartbeatRetryWorkflow.run, args=[key, 42], id=key, task_queue=task_queue
        )
    # Attempt 2 started from the details attempt 1 heartbeated.
    assert result == [2, 42]
    assert activities.executions[(key, "heartbeat_then_fail")] == 2


async def test_heartbeat_timeout(client, task_queue):
    async with running_worker(client, task_queue):
        result = await client.execute_workflow(
            ActivityTimeoutWorkflow.run, "heartbeat", id=unique("hb-timeout"),
            task_queue=task_queue,
        )
    assert result == {
        "error": "TimeoutError", "timeout_type": "HEARTBEAT", "heartbeat_details": ["started"],
    }


async def test_start_to_close_timeout(client, task_queue):
    async with running_worker(client, task_queue):
        result = await client.execute_workflow(
            ActivityTimeoutWorkflow.run, "start_to_close", id=unique("stc-timeout"),
            task_queue=task_queue,
        )
    assert result == {"error": "TimeoutError", "timeout_type": "START_TO_CLOSE",
                      "heartbeat_details": []}


async def test_cancelling_a_workflow_cancels_its_activity(client, task_queue):
    key = unique("cancel")
    async with running_worker(client, task_queue):
        handle = await client.start_workflow(
            CancellableWorkflow.run, key, id=key, task_queue=task_queue
        )
        await wait_until_async(
            "the activity to start",
            lambda: activities.executions[(key, "heartbeat_until_cancelled")] == 1,
        )
        await handle.cancel()
        with pytest.raises(WorkflowFailureError) as failed:
            await handle.result()
    assert isinstance(failed.value.cause, CancelledError)
    assert (await handle.describe()).status == WorkflowExecutionStatus.CANCELED
    # The activity learnt of the cancellation from its heartbeat, then the cleanup ran once.
    assert activities.calls[key] == ["cancelled"]
    assert activities.executions[(key, "cleanup")] == 1
