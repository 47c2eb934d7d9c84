from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def report_samples(tmp_path_factory):
    """Diagnoses of a few representative bundles: root cause with context, network without, healthy,
    bootstrap (AL2023), and the bundle with planted secrets."""
    import os

    from eksdoctor import api
    from eksdoctor.sample_bundles import generate

    os.environ["EKSDOCTOR_HOME"] = str(tmp_path_factory.mktemp("ws"))
    root = tmp_path_factory.mktemp("samples")
    out = {}
    for name in ("al2-instance-profile-arn", "al2-tls-handshake-timeout", "al2023-healthy",
                 "al2023-nodeconfig-invalid", "al2-secrets", "al2023-private-no-endpoints"):
        gb = generate(name, root / name)
        out[name] = (gb, api.diagnose(str(gb.path), context=str(gb.context_path) if gb.context_path else None))
    return out
