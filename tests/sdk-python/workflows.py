"""Workflows of the suite (run in the SDK's sandbox: deterministic code only)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy, SearchAttributeKey
from temporalio.exceptions import ActivityError, ApplicationError, TimeoutError

with workflow.unsafe.imports_passed_through():
    import activities

ACTIVITY_TIMEOUT = timedelta(seconds=30)
STAGE = SearchAttributeKey.for_keyword("PyStage")


@workflow.defn
class PipelineWorkflow:
    """activity, timer, activity: three workflow tasks, so a sticky worker serves the later ones."""

    @workflow.run
    async def run(self, n: int) -> list[int]:
        first = await workflow.execute_activity(
            activities.add_one, n, start_to_close_timeout=ACTIVITY_TIMEOUT
        )
        await asyncio.sleep(0.01)
        second = await workflow.execute_activity(
            activities.add_one, first, start_to_close_timeout=ACTIVITY_TIMEOUT
        )
        return [n, first, second]


@workflow.defn(name="PipelineWorkflow")
class ChangedPipelineWorkflow:
    """PipelineWorkflow after an incompatible change (a timer first): must fail to replay its
    histories. Registered only with the Replayer, never with a worker."""

    @workflow.run
    async def run(self, n: int) -> list[int]:
        await asyncio.sleep(0.01)
        first = await workflow.execute_activity(
            activities.add_one, n, start_to_close_timeout=ACTIVITY_TIMEOUT
        )
        return [n, first]


@workflow.defn
class ShutdownWorkflow:
    """One activity that outlives its worker's shutdown, then one more on whichever worker runs."""

    @workflow.run
    async def run(self, key: str) -> list[str]:
        first = await workflow.execute_activity(
            activities.finish_when_worker_shuts_down, key,
            start_to_close_timeout=timedelta(minutes=2),
            retry_policy=RetryPolicy(maximum_attempts=1),
        )
        second = await workflow.execute_activity(
            activities.record, args=[key, "after_shutdown"], start_to_close_timeout=ACTIVITY_TIMEOUT
        )
        return [first, second]


@workflow.defn
class MessagesWorkflow:
    """Collects items from signals and updates until told to finish; queries read the items."""

    def __init__(self) -> None:
        self.items: list[str] = []
        self.done = False

    @workflow.run
    async def run(self) -> list[str]:
        await workflow.wait_condition(lambda: self.done)
        return self.items

    @workflow.signal
    def add(self, item: str) -> None:
        self.items.append(item)

    @workflow.signal
    def finish(self) -> None:
        self.done = True

    @workflow.query
    def get_items(self) -> list[str]:
        return self.items

    @workflow.update
    async def add_and_count(self, item: str) -> int:
        # Waits for an activity, so the update's result comes after further workflow tasks.
        item = await workflow.execute_activity(
            activities.compose_greeting, item, start_to_close_timeout=ACTIVITY_TIMEOUT
        )
        self.items.append(item)
        return len(self.items)

    @add_and_count.validator
    def validate_add_and_count(self, item: str) -> None:
        if not item or item.startswith("bad"):
            raise ValueError(f"refusing item {item!r}")


@workflow.defn
class GreetingChildWorkflow:
    @workflow.run
    async def run(self, name: str) -> str:
        return await workflow.execute_activity(
            activities.compose_greeting, name, start_to_close_timeout=ACTIVITY_TIMEOUT
        )


@workflow.defn
class ParentWorkflow:
    """Starts one child per name in parallel and returns their results with the children's ids."""

    @workflow.run
    async def run(self, names: list[str]) -> list[str]:
        parent_id = workflow.info().workflow_id
        children = [
            workflow.execute_child_workflow(
                GreetingChildWorkflow.run, name, id=f"{parent_id}-child-{i}"
            )
            for i, name in enumerate(names)
        ]
        return list(await asyncio.gather(*children))


@dataclass
class SagaInput:
    key: str
    steps: list[str]
    fail_at: str = ""


@workflow.defn
class SagaWorkflow:
    """Books each step; when one fails, undoes the booked ones in reverse order and fails."""

    @workflow.run
    async def run(self, saga: SagaInput) -> list[str]:
        confirmed: list[str] = []
        compensations: list[str] = []
        try:
            for step in saga.steps:
                confirmed.append(await self._book(saga.key, step, step == saga.fail_at))
                compensations.append(f"undo-{step}")
        except ActivityError as err:
            for undo in reversed(compensations):
                await self._book(saga.key, undo, False)
            raise ApplicationError(f"saga compensated: {err.cause}", non_retryable=True) from err
        return confirmed

    @staticmethod
    async def _book(key: str, step: str, fail: bool) -> str:
        return await workflow.execute_activity(
            activities.book, args=[key, step, fail], start_to_close_timeout=ACTIVITY_TIMEOUT
        )


@dataclass
class CounterState:
    runs: int
    limit: int
    total: int = 0
    run_ids: list[str] = field(default_factory=list)


@workflow.defn
class CounterWorkflow:
    """Adds the run number to `total` in each run and continues as new until `limit` runs."""

    @workflow.run
    async def run(self, state: CounterState) -> CounterState:
        state.runs += 1
        state.total = await workflow.execute_activity(
            activities.add_one, state.total + state.runs - 1, start_to_close_timeout=ACTIVITY_TIMEOUT
        )
        state.run_ids.append(workflow.info().run_id)
        if state.runs < state.limit:
            workflow.continue_as_new(state)
        return state


@workflow.defn
class HeartbeatRetryWorkflow:
    @workflow.run
    async def run(self, key: str, progress: int) -> list:
        return await workflow.execute_activity(
            activities.heartbeat_then_fail, args=[key, progress],
            start_to_close_timeout=ACTIVITY_TIMEOUT,
            retry_policy=RetryPolicy(initial_interval=timedelta(milliseconds=100), maximum_attempts=3),
        )


@workflow.defn
class ActivityTimeoutWorkflow:
    """Runs an activity that times out and reports how the timeout reached the workflow."""

    @workflow.run
    async def run(self, kind: str) -> dict:
        if kind == "heartbeat":
            run = workflow.execute_activity(
                activities.heartbeat_once_then_hang,
                start_to_close_timeout=timedelta(minutes=5),
                heartbeat_timeout=timedelta(seconds=1),
                retry_policy=RetryPolicy(maximum_attempts=1),
            )
        else:
            run = workflow.execute_activity(
                activities.hang,
                start_to_close_timeout=timedelta(seconds=1),
                retry_policy=RetryPolicy(maximum_attempts=1),
            )
        try:
            await run
        except ActivityError as err:
            cause = err.cause
            return {
                "error": type(cause).__name__,
                "timeout_type": cause.type.name if isinstance(cause, TimeoutError) else None,
                "heartbeat_details": list(cause.last_heartbeat_details)
                if isinstance(cause, TimeoutError) else None,
            }
        raise ApplicationError("the activity did not time out")


@workflow.defn
class CancellableWorkflow:
    """Waits on a heartbeating activity; when the workflow is cancelled, the activity is too, and
    the workflow runs a cleanup activity before it reports the cancellation."""

    @workflow.run
    async def run(self, key: str) -> None:
        try:
            await workflow.execute_activity(
                activities.heartbeat_until_cancelled, key,
                start_to_close_timeout=timedelta(minutes=5),
                heartbeat_timeout=timedelta(seconds=2),
                cancellation_type=workflow.ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
            )
        except ActivityError:
            # The cancellation was delivered once; the workflow can still run activities.
            await workflow.execute_activity(
                activities.record, args=[key, "cleanup"], start_to_close_timeout=ACTIVITY_TIMEOUT
            )
            raise


@workflow.defn
class TaggedWorkflow:
    """Waits for a stage signal, upserts PyStage with it, then waits to be finished."""

    def __init__(self) -> None:
        self.stage = ""
        self.done = False

    @workflow.run
    async def run(self) -> str:
        await workflow.wait_condition(lambda: bool(self.stage))
        workflow.upsert_search_attributes([STAGE.value_set(self.stage)])
        await workflow.wait_condition(lambda: self.done)
        return self.stage

    @workflow.signal
    def set_stage(self, stage: str) -> None:
        self.stage = stage

    @workflow.signal
    def finish(self) -> None:
        self.done = True

    @workflow.query
    def upserted(self) -> str:
        return workflow.info().typed_search_attributes.get(STAGE) or ""


ALL = [
    PipelineWorkflow,
    ShutdownWorkflow,
    MessagesWorkflow,
    GreetingChildWorkflow,
    ParentWorkflow,
    SagaWorkflow,
    CounterWorkflow,
    HeartbeatRetryWorkflow,
    ActivityTimeoutWorkflow,
    CancellableWorkflow,
    TaggedWorkflow,
]
