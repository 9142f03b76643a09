"""mTLS on the frontend: a client and a worker with a certificate from the cluster's CA run a
workflow; clients without a certificate, with one from another CA, or without TLS are refused."""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from pathlib import Path

import pytest
from temporalio.client import Client
from temporalio.service import TLSConfig

from certs import Certs, make_certs
from conftest import running_worker, unique
from tern_server import ClientTls, Tern
from workflows import PipelineWorkflow


@pytest.fixture(scope="module")
def data_dir():
    path = Path(tempfile.mkdtemp(prefix="tern-sdk-python-tls-"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="module")
def certs(data_dir) -> Certs:
    return make_certs(data_dir / "certs")


@pytest.fixture(scope="module")
def tls_tern(data_dir, certs):
    server = Tern(
        data_dir,
        tls={"frontend": {
            "server": {"certFile": str(certs.server.cert), "keyFile": str(certs.server.key),
                       "clientCaFiles": [str(certs.ca)], "requireClientAuth": True},
            "client": {"serverName": "localhost", "rootCaFiles": [str(certs.ca)]},
        }},
        client_tls=ClientTls(certs.ca, certs.client.cert, certs.client.key),
    )
    try:
        server.start()
        yield server
    finally:
        server.stop()


async def test_client_certificate_runs_a_workflow(tls_tern):
    client = await tls_tern.connect()
    task_queue = unique("tls")
    async with running_worker(client, task_queue):
        result = await client.execute_workflow(
            PipelineWorkflow.run, 1, id=unique("tls-wf"), task_queue=task_queue
        )
    assert result == [1, 2, 3]


async def refused(tern: Tern, tls: TLSConfig | bool) -> None:
    """The connection is refused at the transport (the handshake), before any RPC is served."""
    with pytest.raises(RuntimeError) as err:
        await asyncio.wait_for(
            Client.connect(tern.address, namespace=tern.namespace, tls=tls), timeout=60
        )
    # Depending on when the server drops the connection the status is UNKNOWN ("transport
    # error") or CANCELLED ("connection closed"); either way the transport failed, no RPC ran.
    assert "Failed client connect" in str(err.value)
    assert "tonic::transport::Error(Transport" in str(err.value)


async def test_client_without_certificate_is_refused(tls_tern, certs):
    await refused(tls_tern, TLSConfig(server_root_ca_cert=certs.ca.read_bytes(), domain="localhost"))


async def test_client_certificate_from_another_ca_is_refused(tls_tern, certs):
    await refused(tls_tern, TLSConfig(
        server_root_ca_cert=certs.ca.read_bytes(), domain="localhost",
        client_cert=certs.stranger.cert.read_bytes(),
        client_private_key=certs.stranger.key.read_bytes(),
    ))


async def test_plaintext_client_is_refused(tls_tern):
    await refused(tls_tern, False)
