"""Search attributes: registered through the operator service, set (typed) at start, upserted by
the workflow; list_workflows and count_workflows return exactly the matching workflows."""

from __future__ import annotations

from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import (
    AddSearchAttributesRequest,
    ListSearchAttributesRequest,
)
from temporalio.common import SearchAttributeKey, SearchAttributePair, TypedSearchAttributes

from conftest import running_worker, unique
from tern_server import wait_until_async
from workflows import STAGE, TaggedWorkflow

CUSTOMER = SearchAttributeKey.for_keyword("PyCustomer")
AMOUNT = SearchAttributeKey.for_int("PyAmount")
VIP = SearchAttributeKey.for_bool("PyVip")
REGISTERED = {
    CUSTOMER.name: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
    AMOUNT.name: IndexedValueType.INDEXED_VALUE_TYPE_INT,
    VIP.name: IndexedValueType.INDEXED_VALUE_TYPE_BOOL,
    STAGE.name: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
}


async def list_ids(client, query: str) -> set[str]:
    return {wf.id async for wf in client.list_workflows(query)}


async def expect_ids(client, query: str, expected: set[str]) -> None:
    """Visibility is eventually consistent: wait until the query returns exactly `expected`."""
    seen: set[str] = set()

    async def matches() -> bool:
        nonlocal seen
        seen = await list_ids(client, query)
        return seen == expected

    try:
        await wait_until_async(f"{query!r} to list {sorted(expected)}", matches, timeout=30)
    except TimeoutError as err:
        raise AssertionError(f"{query!r} listed {sorted(seen)}, want {sorted(expected)}") from err
    assert (await client.count_workflows(query)).count == len(expected)


async def test_search_attributes(client, task_queue):
    await client.operator_service.add_search_attributes(
        AddSearchAttributesRequest(namespace=client.namespace, search_attributes=REGISTERED)
    )
    listed = await client.operator_service.list_search_attributes(
        ListSearchAttributesRequest(namespace=client.namespace)
    )
    assert {k: listed.custom_attributes[k] for k in REGISTERED} == REGISTERED

    acme, other = unique("acme"), unique("other")
    orders = {  # workflow id -> (customer, amount, vip)
        unique("order-big"): (acme, 150, True),
        unique("order-small"): (acme, 50, False),
        unique("order-other"): (other, 500, True),
    }
    big, small, elsewhere = orders
    both = f"PyCustomer IN ('{acme}', '{other}')"
    async with running_worker(client, task_queue):
        handles = {}
        for wf_id, (customer, amount, vip) in orders.items():
            handles[wf_id] = await client.start_workflow(
                TaggedWorkflow.run, id=wf_id, task_queue=task_queue,
                search_attributes=TypedSearchAttributes([
                    SearchAttributePair(CUSTOMER, customer),
                    SearchAttributePair(AMOUNT, amount),
                    SearchAttributePair(VIP, vip),
                ]),
            )

        await expect_ids(client, f"PyCustomer = '{acme}'", {big, small})
        await expect_ids(client, f"PyCustomer = '{acme}' AND PyAmount > 100", {big})
        await expect_ids(client, f"{both} AND PyVip = true", {big, elsewhere})
        await expect_ids(client, f"{both} AND PyAmount BETWEEN 50 AND 150", {big, small})

        # Upserted by the workflows themselves.
        for wf_id, stage in ((big, "shipped"), (small, "packed"), (elsewhere, "shipped")):
            await handles[wf_id].signal(TaggedWorkflow.set_stage, stage)
        for wf_id, stage in ((big, "shipped"), (small, "packed"), (elsewhere, "shipped")):
            await wait_until_async(
                f"{wf_id} to upsert", lambda h=handles[wf_id], s=stage: _upserted(h, s)
            )
        await expect_ids(client, f"{both} AND PyStage = 'shipped'", {big, elsewhere})
        await expect_ids(client, f"PyCustomer = '{acme}' AND PyStage = 'packed'", {small})

        described = (await handles[big].describe()).typed_search_attributes
        assert described.get(CUSTOMER) == acme
        assert described.get(AMOUNT) == 150
        assert described.get(VIP) is True
        assert described.get(STAGE) == "shipped"

        await handles[big].signal(TaggedWorkflow.finish)
        assert await handles[big].result() == "shipped"
        await expect_ids(
            client, f"PyCustomer = '{acme}' AND ExecutionStatus = 'Completed'", {big}
        )
        await expect_ids(client, f"{both} AND ExecutionStatus = 'Running'", {small, elsewhere})

        for wf_id in (small, elsewhere):
            await handles[wf_id].signal(TaggedWorkflow.finish)
            await handles[wf_id].result()


async def _upserted(handle, stage: str) -> bool:
    return await handle.query(TaggedWorkflow.upserted) == stage
