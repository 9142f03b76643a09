"""Child workflows, and a saga whose compensations run in reverse order when a step fails."""

from __future__ import annotations

import pytest
from temporalio.client import WorkflowFailureError
from temporalio.exceptions import ApplicationError

import activities
from conftest import running_worker, unique
from workflows import ParentWorkflow, SagaInput, SagaWorkflow


async def test_parent_runs_children(client, task_queue):
    parent_id = unique("parent")
    names = ["ada", "grace", "linus"]
    async with running_worker(client, task_queue):
        result = await client.execute_workflow(
            ParentWorkflow.run, names, id=parent_id, task_queue=task_queue
        )
    assert result == ["Hello, ada!", "Hello, grace!", "Hello, linus!"]

    # The children ran as workflows of their own, each with the parent recorded.
    for i in range(len(names)):
        child = await client.get_workflow_handle(f"{parent_id}-child-{i}").describe()
        assert child.workflow_type == "GreetingChildWorkflow"
        assert child.parent_id == parent_id
        assert await client.get_workflow_handle(child.id).result() == f"Hello, {names[i]}!"


STEPS = ["car", "hotel", "flight", "dinner"]


async def test_saga_compensates_in_reverse_order(client, task_queue):
    key = unique("saga-fail")
    async with running_worker(client, task_queue):
        with pytest.raises(WorkflowFailureError) as failed:
            await client.execute_workflow(
                SagaWorkflow.run, SagaInput(key, STEPS, fail_at="flight"),
                id=key, task_queue=task_queue,
            )
    assert isinstance(failed.value.cause, ApplicationError)
    assert "saga compensated" in failed.value.cause.message
    assert activities.calls[key] == ["car", "hotel", "flight", "undo-hotel", "undo-car"]


async def test_saga_without_failure_books_everything(client, task_queue):
    key = unique("saga-ok")
    async with running_worker(client, task_queue):
        result = await client.execute_workflow(
            SagaWorkflow.run, SagaInput(key, STEPS), id=key, task_queue=task_queue
        )
    assert result == [f"{s}-confirmed" for s in STEPS]
    assert activities.calls[key] == STEPS
