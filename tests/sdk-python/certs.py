"""Test certificates made with the openssl CLI: a CA with a server certificate for
localhost/127.0.0.1 and a client certificate, and an unrelated CA with a client certificate."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path


@dataclass
class Pair:
    cert: Path
    key: Path


@dataclass
class Certs:
    ca: Path
    server: Pair
    client: Pair
    stranger: Pair  # a client certificate signed by another CA


def _openssl(cwd: Path, *args: str) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


def _make_ca(cwd: Path, name: str, subject: str) -> Path:
    _openssl(cwd, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "30",
             "-subj", subject, "-addext", "basicConstraints=critical,CA:TRUE",
             "-addext", "keyUsage=critical,keyCertSign,cRLSign",
             "-keyout", f"{name}.key", "-out", f"{name}.pem")
    return cwd / f"{name}.pem"


def _issue(cwd: Path, name: str, ca: str, subject: str, extensions: list[str]) -> Pair:
    _openssl(cwd, "req", "-newkey", "rsa:2048", "-nodes", "-subj", subject,
             "-keyout", f"{name}.key", "-out", f"{name}.csr")
    (cwd / f"{name}.ext").write_text("\n".join(extensions) + "\n")
    _openssl(cwd, "x509", "-req", "-in", f"{name}.csr", "-CA", f"{ca}.pem", "-CAkey", f"{ca}.key",
             "-CAcreateserial", "-days", "30", "-extfile", f"{name}.ext", "-out", f"{name}.pem")
    return Pair(cwd / f"{name}.pem", cwd / f"{name}.key")


def make_certs(cwd: Path) -> Certs:
    cwd.mkdir(parents=True, exist_ok=True)
    client_ext = ["extendedKeyUsage=clientAuth"]
    ca = _make_ca(cwd, "ca", "/CN=Tern test CA")
    _make_ca(cwd, "other-ca", "/CN=Unrelated test CA")
    return Certs(
        ca=ca,
        server=_issue(cwd, "server", "ca", "/CN=tern-server",
                      ["subjectAltName=DNS:localhost,IP:127.0.0.1",
                       "extendedKeyUsage=serverAuth,clientAuth"]),
        client=_issue(cwd, "client", "ca", "/CN=test-client", client_ext),
        stranger=_issue(cwd, "stranger", "other-ca", "/CN=stranger", client_ext),
    )
