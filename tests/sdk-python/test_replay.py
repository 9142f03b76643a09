"""Replay testing: histories fetched from Tern replay without a non-determinism error against
the workflow code that made them, and fail against an incompatible change of that code."""

from __future__ import annotations

import pytest
from temporalio.worker import Replayer
from temporalio.workflow import NondeterminismError

import workflows
from conftest import running_worker, unique
from tern_server import wait_until_async
from workflows import ChangedPipelineWorkflow, MessagesWorkflow, PipelineWorkflow, SagaInput


async def run_some_workflows(client, task_queue) -> list:
    async with running_worker(client, task_queue):
        pipeline = await client.start_workflow(
            PipelineWorkflow.run, 7, id=unique("replay-pipeline"), task_queue=task_queue
        )
        saga = await client.start_workflow(
            workflows.SagaWorkflow.run, SagaInput(unique("k"), ["a", "b"]),
            id=unique("replay-saga"), task_queue=task_queue,
        )
        messages = await client.start_workflow(
            MessagesWorkflow.run, id=unique("replay-messages"), task_queue=task_queue
        )
        await messages.signal(MessagesWorkflow.add, "x")
        assert await messages.execute_update(MessagesWorkflow.add_and_count, "y") == 2
        await messages.signal(MessagesWorkflow.finish)
        counter = await client.start_workflow(
            workflows.CounterWorkflow.run, workflows.CounterState(runs=0, limit=2),
            id=unique("replay-counter"), task_queue=task_queue,
        )
        for handle in (pipeline, saga, messages, counter):
            await handle.result()
    return [pipeline, saga, messages, counter]


async def test_histories_replay_and_a_changed_workflow_does_not(client, task_queue):
    handles = await run_some_workflows(client, task_queue)
    histories = [await h.fetch_history() for h in handles]

    replayer = Replayer(workflows=workflows.ALL)
    for history in histories:
        result = await replayer.replay_workflow(history)
        assert result.replay_failure is None

    # The same history against PipelineWorkflow after an incompatible change.
    changed = Replayer(workflows=[ChangedPipelineWorkflow])
    with pytest.raises(NondeterminismError):
        await changed.replay_workflow(histories[0])


async def test_history_listing_replays(client, task_queue):
    """Histories fetched in bulk from a list_workflows query, as a CI replay job would."""
    async with running_worker(client, task_queue):
        ids = [unique(f"bulk-{i}") for i in range(3)]
        for i, wf_id in enumerate(ids):
            await client.execute_workflow(PipelineWorkflow.run, i, id=wf_id, task_queue=task_queue)
    query = f"TaskQueue = '{task_queue}'"
    async def all_listed() -> bool:
        return {wf.id async for wf in client.list_workflows(query)} == set(ids)

    await wait_until_async(f"{query!r} to list the workflows", all_listed)
    results = await Replayer(workflows=workflows.ALL).replay_workflows(
        client.list_workflows(query).map_histories()
    )
    assert results.replay_failures == {}
