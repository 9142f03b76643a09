"""Schedules from the Python client: an interval schedule starts workflows that a Python worker
runs; a calendar in an IANA zone gives the local wall-clock times; pause, trigger, update,
backfill, list and delete behave as the SDK documents them."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from temporalio.client import (
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleAlreadyRunningError,
    ScheduleBackfill,
    ScheduleCalendarSpec,
    ScheduleIntervalSpec,
    ScheduleOverlapPolicy,
    SchedulePolicy,
    ScheduleRange,
    ScheduleSpec,
    ScheduleState,
    ScheduleUpdate,
)
from temporalio.service import RPCError, RPCStatusCode

from conftest import running_worker, unique
from tern_server import wait_until_async
from workflows import GreetingChildWorkflow

NEW_YORK = ZoneInfo("America/New_York")


def start_greeting(task_queue: str, name: str) -> ScheduleActionStartWorkflow:
    return ScheduleActionStartWorkflow(
        GreetingChildWorkflow.run, name, id=unique("greet"), task_queue=task_queue
    )


async def test_interval_schedule_runs_workflows(client, task_queue):
    handle = await client.create_schedule(
        unique("py-every-2s"),
        Schedule(
            action=start_greeting(task_queue, "schedule"),
            spec=ScheduleSpec(intervals=[ScheduleIntervalSpec(every=timedelta(seconds=2))]),
            # Every time starts even on a slow machine where a run outlives the interval.
            policy=SchedulePolicy(overlap=ScheduleOverlapPolicy.ALLOW_ALL),
        ),
    )
    try:
        async with running_worker(client, task_queue):
            described = await wait_until_async(
                "two actions",
                lambda: _described_when(handle, lambda d: len(d.info.recent_actions) >= 2),
            )
            first, second = described.info.recent_actions[:2]
            assert second.scheduled_at - first.scheduled_at == timedelta(seconds=2)
            for action in (first, second):
                run = client.get_workflow_handle(
                    action.action.workflow_id, run_id=action.action.first_execution_run_id
                )
                assert await run.result() == "Hello, schedule!"
        assert described.info.num_actions >= 2
        assert len(described.info.next_action_times) == 10
    finally:
        await handle.delete()


async def test_calendar_in_a_time_zone_pause_trigger_update(client, task_queue):
    handle = await client.create_schedule(
        unique("py-nine-in-new-york"),
        Schedule(
            action=start_greeting(task_queue, "morning"),
            spec=ScheduleSpec(
                calendars=[ScheduleCalendarSpec(hour=[ScheduleRange(9)], minute=[ScheduleRange(0)])],
                time_zone_name="America/New_York",
            ),
            policy=SchedulePolicy(overlap=ScheduleOverlapPolicy.BUFFER_ONE),
        ),
    )
    try:
        described = await handle.describe()
        assert described.schedule.spec.time_zone_name == "America/New_York"
        for when in described.info.next_action_times:
            local = when.astimezone(NEW_YORK)
            assert (local.hour, local.minute) == (9, 0), when

        await handle.pause(note="holiday")
        described = await handle.describe()
        assert described.schedule.state.paused
        assert described.schedule.state.note == "holiday"
        assert described.info.next_action_times == []

        async with running_worker(client, task_queue):
            await handle.trigger()
            described = await wait_until_async(
                "the triggered action",
                lambda: _described_when(handle, lambda d: len(d.info.recent_actions) == 1),
            )
            action = described.info.recent_actions[0].action
            result = await client.get_workflow_handle(action.workflow_id).result()
            assert result == "Hello, morning!"

        def every_hour(update_input):
            schedule = update_input.description.schedule
            schedule.spec = ScheduleSpec(intervals=[ScheduleIntervalSpec(every=timedelta(hours=1))])
            schedule.state = ScheduleState(paused=False, note="back")
            return ScheduleUpdate(schedule=schedule)

        await handle.update(every_hour)
        described = await handle.describe()
        assert not described.schedule.state.paused
        assert described.schedule.spec.intervals[0].every == timedelta(hours=1)
        assert described.schedule.policy.overlap == ScheduleOverlapPolicy.BUFFER_ONE
    finally:
        await handle.delete()


async def test_backfill_list_and_delete(client, task_queue):
    schedule_id = unique("py-backfill")
    schedule = Schedule(
        action=start_greeting(task_queue, "backfill"),
        spec=ScheduleSpec(intervals=[ScheduleIntervalSpec(every=timedelta(minutes=10))]),
        state=ScheduleState(paused=True),
    )
    handle = await client.create_schedule(schedule_id, schedule)
    with pytest.raises(ScheduleAlreadyRunningError):
        await client.create_schedule(schedule_id, schedule)

    now = datetime.now(timezone.utc)
    end = now.replace(minute=now.minute - now.minute % 10, second=0, microsecond=0)
    start = end - timedelta(minutes=20)
    await handle.backfill(
        ScheduleBackfill(start_at=start, end_at=end, overlap=ScheduleOverlapPolicy.ALLOW_ALL)
    )
    described = await wait_until_async(
        "three backfilled actions",
        lambda: _described_when(handle, lambda d: len(d.info.recent_actions) == 3),
    )
    assert [a.scheduled_at for a in described.info.recent_actions] == [
        start,
        start + timedelta(minutes=10),
        end,
    ]

    async def listed() -> bool:
        return schedule_id in {entry.id async for entry in await client.list_schedules()}

    await wait_until_async("the schedule in list_schedules", listed)
    await handle.delete()
    with pytest.raises(RPCError) as not_found:
        await handle.describe()
    assert not_found.value.status == RPCStatusCode.NOT_FOUND


async def _described_when(handle, condition):
    described = await handle.describe()
    return described if condition(described) else None

