"""Fixtures: one real Tern for the whole session (TLS tests start their own), a client per test,
a unique task queue per test, and workers that are always shut down."""

from __future__ import annotations

import contextlib
import logging
import shutil
import signal
import tempfile
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from temporalio.client import Client
from temporalio.worker import Worker

import activities
import workflows
from tern_server import Tern

# Activities that fail on purpose would otherwise log a warning with a traceback each.
logging.getLogger("temporalio.activity").setLevel(logging.ERROR)


def pytest_configure(config: pytest.Config) -> None:
    # SIGTERM (a CI timeout, scripts/test stopping a runner) ends the run like Ctrl-C, so the
    # fixtures' teardown still stops the servers they started.
    signal.signal(signal.SIGTERM, signal.default_int_handler)


@pytest.fixture(scope="session")
def tern() -> Tern:
    data_dir = Path(tempfile.mkdtemp(prefix="tern-sdk-python-"))
    server = Tern(data_dir)
    try:
        server.start()
        yield server
    finally:
        server.stop()
    shutil.rmtree(data_dir, ignore_errors=True)


@pytest_asyncio.fixture
async def client(tern: Tern) -> Client:
    return await tern.connect()


@pytest.fixture
def task_queue(request: pytest.FixtureRequest) -> str:
    return unique(request.node.name[:40])


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


@contextlib.asynccontextmanager
async def running_worker(client: Client, task_queue: str, **options) -> AsyncIterator[Worker]:
    """A worker with every workflow and activity of this suite (overridable), shut down on exit."""
    options.setdefault("workflows", workflows.ALL)
    options.setdefault("activities", activities.ALL)
    async with Worker(client, task_queue=task_queue, **options) as worker:
        yield worker
