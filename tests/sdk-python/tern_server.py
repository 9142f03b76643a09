"""Starts a real Tern for the tests: scripts/start-dev with a private PostgreSQL on free ports.

start-dev runs in a process group of its own; stop() sends that group SIGTERM (start-dev then
stops tern-server and PostgreSQL), waits, and kills the group if it does not end. Nothing here
sleeps for a fixed time: waits poll a condition until a deadline.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from temporalio.api.workflowservice.v1 import DescribeNamespaceRequest
from temporalio.client import Client
from temporalio.service import TLSConfig

REPO = Path(__file__).resolve().parents[2]
BIN_DIR = Path(os.environ.get("TERN_BIN_DIR", REPO / "build" / "bin"))
START_DEV = REPO / "scripts" / "start-dev"
PG_SH = REPO / "scripts" / "lib" / "pg.sh"
START_TIMEOUT_S = float(os.environ.get("TERN_START_TIMEOUT_S", "120"))
STOP_TIMEOUT_S = 30.0
# start-dev's ports relative to --port: frontend, history, matching, worker.
PORT_OFFSETS = (0, 1, 2, 6)
# A throwaway cluster: no fsync and no shutdown checkpoint (the data dir is deleted afterwards).
PG_ENV = {"PG_FAST": "1", "PG_STOP_MODE": "immediate"}


def wait_until(what: str, probe: Callable[[], object], timeout: float, interval: float = 0.1):
    """Returns probe()'s first truthy value; raises TimeoutError naming `what` at the deadline."""
    deadline = time.monotonic() + timeout
    last_error: Exception | None = None
    while True:
        try:
            value = probe()
            if value:
                return value
        except Exception as err:  # noqa: BLE001 - the probe may fail until the condition holds
            last_error = err
        if time.monotonic() >= deadline:
            cause = f": {last_error}" if last_error else ""
            raise TimeoutError(f"timed out after {timeout}s waiting for {what}{cause}")
        time.sleep(interval)



async def wait_until_async(what: str, probe: Callable[[], object], timeout: float = 30,
                           interval: float = 0.05):
    """wait_until for the event loop: probe may be a coroutine function."""
    deadline = time.monotonic() + timeout
    last_error: Exception | None = None
    while True:
        try:
            value = probe()
            if asyncio.iscoroutine(value):
                value = await value
            if value:
                return value
        except Exception as err:  # noqa: BLE001 - the probe may fail until the condition holds
            last_error = err
        if time.monotonic() >= deadline:
            cause = f": {last_error}" if last_error else ""
            raise TimeoutError(f"timed out after {timeout}s waiting for {what}{cause}")
        await asyncio.sleep(interval)

def _port_is_free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_base_port() -> int:
    """A port P such that every port start-dev derives from it is free right now."""
    for _ in range(200):
        base = random.randint(20000, 59000)
        if all(_port_is_free(base + off) for off in PORT_OFFSETS):
            return base
    raise RuntimeError("no free port range for start-dev")


@dataclass
class ClientTls:
    """What a client needs to reach a TLS frontend (PEM file paths)."""

    ca: Path
    cert: Path
    key: Path

    def sdk_config(self, with_client_cert: bool = True) -> TLSConfig:
        return TLSConfig(
            server_root_ca_cert=self.ca.read_bytes(),
            client_cert=self.cert.read_bytes() if with_client_cert else None,
            client_private_key=self.key.read_bytes() if with_client_cert else None,
            domain="localhost",
        )


class Tern:
    """One tern-server with its PostgreSQL, started by scripts/start-dev in `data_dir`."""

    namespace = "default"

    def __init__(self, data_dir: Path, tls: dict | None = None, client_tls: ClientTls | None = None):
        self.data_dir = data_dir
        self.tls = tls  # global.tls of the server config, or None for plaintext
        self.client_tls = client_tls
        self.log_path = data_dir / "start-dev.log"
        self.proc: subprocess.Popen | None = None
        self.address = ""

    def sdk_tls(self) -> TLSConfig | bool:
        return self.client_tls.sdk_config() if self.client_tls else False

    async def connect(self, **kwargs) -> Client:
        return await Client.connect(
            self.address, namespace=self.namespace, tls=self.sdk_tls(), **kwargs
        )

    def log_tail(self, lines: int = 60) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError as err:
            return f"(cannot read {self.log_path}: {err})"

    # --- start ----------------------------------------------------------------------------

    def start(self) -> None:
        # The postgres user must reach its data dir inside ours.
        self.data_dir.chmod(0o755)
        for attempt in range(3):
            port = free_base_port()
            try:
                self._start_once(port)
                return
            except Exception:
                self.stop()
                # A port taken between the check and the bind: try another range.
                if attempt == 2 or "Address already in use" not in self.log_tail(200):
                    raise

    def _start_once(self, port: int) -> None:
        self.address = f"127.0.0.1:{port}"
        args = [str(START_DEV), "--no-build", "--port", str(port), "--data-dir", str(self.data_dir)]
        env = {**os.environ, **PG_ENV, "TERN_BIN_DIR": str(BIN_DIR)}
        if self.tls is not None:
            args += ["--config", str(self._write_tls_config(port))]
            # start-dev's own health check and namespace registration go through the CLI.
            env.update(
                TEMPORAL_TLS_CA=str(self.client_tls.ca),
                TEMPORAL_TLS_CERT=str(self.client_tls.cert),
                TEMPORAL_TLS_KEY=str(self.client_tls.key),
                TEMPORAL_TLS_SERVER_NAME="localhost",
            )
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(
                args, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                env=env, start_new_session=True,
            )
        wait_until(f"Tern on {self.address} to serve namespace default", self._ready,
                   START_TIMEOUT_S, interval=0.25)

    def _ready(self) -> bool:
        if self.proc.poll() is not None:
            raise RuntimeError(
                f"start-dev exited with {self.proc.returncode}:\n{self.log_tail()}"
            )

        async def describe() -> bool:
            client = await self.connect()
            await client.workflow_service.describe_namespace(
                DescribeNamespaceRequest(namespace=self.namespace), timeout=timedelta(seconds=2)
            )
            return True

        try:
            return asyncio.run(asyncio.wait_for(describe(), timeout=5))
        except Exception as err:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"start-dev exited with {self.proc.returncode}:\n{self.log_tail()}"
                ) from err
            raise

    def _write_tls_config(self, port: int) -> Path:
        """start-dev --config needs the PostgreSQL port up front: start the cluster here (start-dev
        finds it running, uses it, and stops it on exit) and write the config around its port."""
        pg_dir = self.data_dir / "postgres"
        subprocess.run(
            ["bash", "-c", 'source "$0" && pg_start "$1" >/dev/null', str(PG_SH), str(pg_dir)],
            check=True, env={**os.environ, **PG_ENV}, timeout=120,
        )
        pg_port = (pg_dir / "tern.conf").read_text().split("port = ")[1].split()[0]
        services = {"frontend": 0, "history": 1, "matching": 2, "worker": 6}
        lines = [
            "global:",
            "  log: {level: info, format: json}",
            # JSON is YAML.
            f"  tls: {json.dumps(self.tls)}",
            "  membership: {heartbeatInterval: 1s, maxHeartbeatAge: 10s}",
            "persistence:",
            "  numHistoryShards: 4",
            "  defaultStore: default",
            "  datastores:",
            "    default:",
            "      sql: {pluginName: postgres, databaseName: tern_dev, "
            f'connectAddr: "127.0.0.1:{pg_port}", user: postgres, password: "", maxConns: 16}}',
            "services:",
            *(f"  {name}: {{rpc: {{grpcPort: {port + off}, bindOnIP: 127.0.0.1}}}}"
              for name, off in services.items()),
            "dynamicConfig:",
            "  matching.numTaskqueuePartitions: 4",
            "",
        ]
        config = self.data_dir / "tls-config.yaml"
        config.write_text("\n".join(lines))
        return config

    # --- stop -----------------------------------------------------------------------------

    def stop(self) -> None:
        """Stops start-dev's process group (SIGTERM, then SIGKILL) and makes sure PostgreSQL is
        down even if start-dev could not stop it."""
        proc, self.proc = self.proc, None
        if proc is not None and proc.poll() is None:
            _signal_group(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                _signal_group(proc.pid, signal.SIGKILL)
                proc.wait(timeout=STOP_TIMEOUT_S)
        if proc is not None:
            # Members of the group that outlived start-dev (tern-server after a SIGKILL).
            _signal_group(proc.pid, signal.SIGKILL)
        pg_dir = self.data_dir / "postgres"
        if (pg_dir / "postmaster.pid").exists():
            subprocess.run(
                ["bash", "-c", 'source "$0" && pg_stop "$1"', str(PG_SH), str(pg_dir)],
                check=False, env={**os.environ, **PG_ENV}, timeout=120,
            )


def _signal_group(pgid: int, sig: signal.Signals) -> None:
    try:
        os.killpg(pgid, sig)
    except ProcessLookupError:
        pass

