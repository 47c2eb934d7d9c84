"""Fixtures for batch tests: a fleet of generated bundles, fake bundles, a moto S3 server."""

from __future__ import annotations

import os
import shutil
import socket
from pathlib import Path

import pytest
from eksdoctor.sample_bundles import SCENARIOS, generate

from eksdoctor.batch_sources import ARCHIVE_SUFFIXES

# 20 scenarios over every category; the needs_context ones also prove that sidecar contexts are used.
FLEET = (
    "al2-healthy", "al2023-healthy", "al2-unauthorized", "al2023-unauthorized-access-entry",
    "al2-credential-helper", "al2-sts-invalid-token", "al2023-sts-expired-clock", "al2-tls-handshake-timeout",
    "al2-no-route", "al2-dns-no-such-host", "al2023-legacy-userdata", "al2-cluster-name-mismatch",
    "al2-sg-no-443-egress", "al2023-nacl-blocks-ephemeral", "al2-missing-cluster-tag", "al2-kubelet-missing",
    "al2-ip-exhaustion", "al2023-ipamd-imds-hop-limit", "rh-transient-refused-then-joined", "bottlerocket-sample",
)


@pytest.fixture(scope="session")
def fleet(tmp_path_factory) -> tuple[Path, dict[str, str]]:
    """A folder of 20 generated tarballs (+ <bundle>.aws-context.json sidecars) and their expected
    root-cause category by source path."""
    folder = tmp_path_factory.mktemp("fleet")
    scratch = tmp_path_factory.mktemp("fleet-scratch")
    expected = {}
    for name in FLEET:
        bundle = generate(name, scratch / name)
        dest = folder / bundle.path.name
        shutil.move(str(bundle.path), dest)
        if bundle.context_path:
            suffix = next(s for s in ARCHIVE_SUFFIXES if dest.name.endswith(s))
            stem = dest.name[: -len(suffix)]
            shutil.move(str(bundle.context_path), folder / f"{stem}.aws-context.json")
        expected[str(dest)] = SCENARIOS[name].expected_category
    return folder, expected


@pytest.fixture
def fake_dir(tmp_path) -> Path:
    folder = tmp_path / "fake-bundles"
    folder.mkdir()
    return folder


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def moto_endpoint():
    """A moto server in this process; worker processes reach it through AWS_ENDPOINT_URL."""
    from moto.server import ThreadedMotoServer

    saved = {k: os.environ.get(k) for k in ("AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
                                            "AWS_DEFAULT_REGION", "AWS_SESSION_TOKEN")}
    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    os.environ.update(AWS_ENDPOINT_URL=endpoint, AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing",
                      AWS_DEFAULT_REGION="us-east-1")
    os.environ.pop("AWS_SESSION_TOKEN", None)
    try:
        yield endpoint
    finally:
        server.stop()
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
