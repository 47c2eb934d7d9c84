"""moto in server mode for the collector tests (so subprocess CLI tests reach it too).

Tests that build their own fake account use `aws` (which resets moto first); read-only tests
share a module-scoped world (see test_aws_context.py), since the code under test changes nothing.

Every gateway made through the `gateway` fixture is checked at teardown: it may only have sent
registered operations, and nothing mutating except the two collection starts.
"""

from __future__ import annotations

import os
import socket
import urllib.request
from pathlib import Path

import logging

import pytest

FAKE_ENV = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_SESSION_TOKEN": "testing",
            "AWS_DEFAULT_REGION": "us-east-1", "AWS_REGION": "us-east-1"}
# Speed: moto's default AMI catalogue and the ~1,200 AWS managed IAM policies cost 2-5 s per reset on a
# 2-core box. One EKS AMI is all we need, and the node policies are created by aws_world.
os.environ.setdefault("MOTO_AMIS_PATH", str(Path(__file__).with_name("amis.json")))
os.environ["MOTO_IAM_LOAD_MANAGED_POLICIES"] = "false"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def reset_moto(endpoint: str) -> None:
    urllib.request.urlopen(urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST"), timeout=10).read()


@pytest.fixture(scope="session")
def moto_endpoint():
    """A ThreadedMotoServer for the whole session, with fake credentials and AWS_ENDPOINT_URL pointing
    at it (so subprocesses reach it too). The environment is restored at the end of the session."""
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one INFO line per request drowns failures
    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    saved = dict(os.environ)
    for key in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE"):
        os.environ.pop(key, None)
    os.environ.update(FAKE_ENV, AWS_ENDPOINT_URL=endpoint, AWS_CONFIG_FILE=os.devnull,
                      AWS_SHARED_CREDENTIALS_FILE=os.devnull)
    yield endpoint
    os.environ.clear()
    os.environ.update(saved)
    server.stop()


@pytest.fixture(autouse=True)
def aws_env(moto_endpoint, monkeypatch, tmp_path):
    """Every test: the moto endpoint and fake credentials (session), a private workspace."""
    monkeypatch.setenv("EKSDOCTOR_HOME", str(tmp_path / "workspace"))
    return moto_endpoint


@pytest.fixture
def fresh_aws(moto_endpoint):
    """An empty fake account for tests that build their own world."""
    reset_moto(moto_endpoint)
    return moto_endpoint


@pytest.fixture(scope="session")
def boto3_session(moto_endpoint):
    """Shared so service models load once (a fresh boto3 Session costs ~0.2 s per client on CI)."""
    import boto3

    return boto3.Session(region_name="us-east-1")


@pytest.fixture
def gateway(boto3_session):
    """An AwsGateway on the moto server; after the test, every call it sent must be registered and read-only."""
    from eksdoctor.collectors.gateway import COLLECTION_STARTS, OPERATIONS, READ_PREFIXES, AwsGateway

    gw = AwsGateway(boto3_session, max_attempts=2)
    yield gw
    for service, operation in gw.calls:
        assert (service, operation) in OPERATIONS, f"unregistered call {service}:{operation}"
        assert operation.startswith(READ_PREFIXES) or (service, operation) in COLLECTION_STARTS, \
            f"mutating call {service}:{operation}"


@pytest.fixture
def aws(fresh_aws):
    """Raw boto3 clients on an empty fake account (setup may mutate; the code under test may not)."""
    from aws_world import Clients

    return Clients()
