"""A production-shaped worker: explicit slot limits and sticky-cache settings, many workflows at
once, every result right, and the server hands later workflow tasks to the worker's sticky queue."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from temporalio.api.enums.v1 import EventType, TaskQueueKind

import activities
from conftest import running_worker, unique
from workflows import PipelineWorkflow

WORKFLOWS = 40
MAX_ACTIVITIES = 4


async def test_many_workflows_on_a_tuned_worker(client, task_queue):
    activities.in_flight.update(now=0, max=0)
    async with running_worker(
        client,
        task_queue,
        max_concurrent_activities=MAX_ACTIVITIES,
        max_concurrent_workflow_tasks=5,
        # Fewer cached workflows than running ones: the cache evicts, and evicted workflows are
        # rebuilt from history on the normal queue.
        max_cached_workflows=10,
        sticky_queue_schedule_to_start_timeout=timedelta(seconds=5),
    ):
        handles = await asyncio.gather(*(
            client.start_workflow(
                PipelineWorkflow.run, i, id=unique(f"tuned-{i}"), task_queue=task_queue
            )
            for i in range(WORKFLOWS)
        ))
        results = await asyncio.gather(*(h.result() for h in handles))

    assert results == [[i, i + 1, i + 2] for i in range(WORKFLOWS)]
    assert 1 <= activities.in_flight["max"] <= MAX_ACTIVITIES

    # Each workflow completed once, with exactly two activities in its history.
    sticky = 0
    for handle in handles:
        history = await handle.fetch_history()
        types = [e.event_type for e in history.events]
        assert types.count(EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED) == 2
        assert types[-1] == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED
        sticky += sum(
            1 for e in history.events
            if e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED
            and e.workflow_task_scheduled_event_attributes.task_queue.kind
            == TaskQueueKind.TASK_QUEUE_KIND_STICKY
        )
    assert sticky > 0, "no workflow task was scheduled on the worker's sticky queue"
