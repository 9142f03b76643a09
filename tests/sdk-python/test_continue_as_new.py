"""Continue-as-new: a workflow that runs several times carries its state into each new run, and
the client follows the chain to the last run's result."""

from __future__ import annotations

from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowExecutionStatus

from conftest import running_worker, unique
from workflows import CounterState, CounterWorkflow

RUNS = 5


async def test_continue_as_new_carries_state(client, task_queue):
    workflow_id = unique("counter")
    async with running_worker(client, task_queue):
        handle = await client.start_workflow(
            CounterWorkflow.run, CounterState(runs=0, limit=RUNS), id=workflow_id,
            task_queue=task_queue,
        )
        result = await handle.result()

    # Run r adds r: 1 + 2 + ... + RUNS; every run saw the state of the one before it.
    assert result.runs == RUNS
    assert result.total == sum(range(1, RUNS + 1))
    assert len(set(result.run_ids)) == RUNS
    assert result.run_ids[0] == handle.first_execution_run_id

    # The first run ended by continuing as new into the second; the latest run completed.
    first = client.get_workflow_handle(workflow_id, run_id=result.run_ids[0])
    assert (await first.describe()).status == WorkflowExecutionStatus.CONTINUED_AS_NEW
    last_event = (await first.fetch_history()).events[-1]
    assert last_event.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW
    assert (
        last_event.workflow_execution_continued_as_new_event_attributes.new_execution_run_id
        == result.run_ids[1]
    )
    latest = await client.get_workflow_handle(workflow_id).describe()
    assert latest.run_id == result.run_ids[-1]
    assert latest.status == WorkflowExecutionStatus.COMPLETED
