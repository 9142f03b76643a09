"""Signals, queries and updates as a client sees them: signal-with-start, a query that reflects
the signals sent before it, an update whose validator rejects bad input (the caller gets the
rejection, the workflow never sees it), accepted updates that return their result, and a query
of a closed workflow."""

from __future__ import annotations

import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowUpdateFailedError, WorkflowUpdateStage
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from conftest import running_worker, unique
from workflows import MessagesWorkflow


async def test_signals_queries_and_updates(client, task_queue):
    async with running_worker(client, task_queue):
        handle = await client.start_workflow(
            MessagesWorkflow.run, id=unique("messages"), task_queue=task_queue,
            start_signal="add", start_signal_args=["first"],
        )
        await handle.signal(MessagesWorkflow.add, "second")
        assert await handle.query(MessagesWorkflow.get_items) == ["first", "second"]

        count = await handle.execute_update(MessagesWorkflow.add_and_count, "update")
        assert count == 3

        with pytest.raises(WorkflowUpdateFailedError) as rejected:
            await handle.execute_update(MessagesWorkflow.add_and_count, "bad item")
        assert isinstance(rejected.value.cause, ApplicationError)
        assert "refusing item 'bad item'" in rejected.value.cause.message

        # An update started without waiting for its result, then awaited through its handle.
        update = await handle.start_update(
            MessagesWorkflow.add_and_count, "later", wait_for_stage=WorkflowUpdateStage.ACCEPTED
        )
        assert await update.result() == 4
        assert await handle.query(MessagesWorkflow.get_items) == [
            "first", "second", "Hello, update!", "Hello, later!",
        ]

        await handle.signal(MessagesWorkflow.finish)
        assert await handle.result() == ["first", "second", "Hello, update!", "Hello, later!"]

    # A closed workflow still answers queries (a worker replays it); a signal is refused.
    async with running_worker(client, task_queue):
        assert await handle.query(MessagesWorkflow.get_items) == [
            "first", "second", "Hello, update!", "Hello, later!",
        ]
    with pytest.raises(RPCError) as closed:
        await handle.signal(MessagesWorkflow.add, "too late")
    assert closed.value.status == RPCStatusCode.NOT_FOUND

    # The rejected update left no trace in the history; the accepted ones did.
    events = (await handle.fetch_history()).events
    types = [e.event_type for e in events]
    assert types.count(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED) == 3
    assert types.count(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED) == 2
    assert types.count(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED) == 2


async def test_query_of_an_unknown_handler_is_an_error(client, task_queue):
    async with running_worker(client, task_queue):
        handle = await client.start_workflow(
            MessagesWorkflow.run, id=unique("messages-unknown"), task_queue=task_queue
        )
        with pytest.raises(Exception, match="no_such_query"):
            await handle.query("no_such_query")
        await handle.signal(MessagesWorkflow.finish)
        assert await handle.result() == []
