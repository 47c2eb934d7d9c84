"""Determinism, scale, context documents and the `eksdoctor sample` command."""

from __future__ import annotations

import json
import re
import tarfile

import pytest
from click.testing import CliRunner
from sample_helpers import DOC

from eksdoctor.cli import main
from eksdoctor.context import load_context
from eksdoctor.errors import InputError
from eksdoctor.sample_bundles import SCENARIOS, generate


@pytest.mark.parametrize("name", ["al2-healthy", "al2023-unauthorized-access-entry", "al2-secrets", "windows-sample", "bottlerocket-sample"])
def test_same_inputs_same_bytes(tmp_path, name):
    a = generate(name, tmp_path / "a")
    b = generate(name, tmp_path / "b")
    assert a.path.name == b.path.name
    assert a.path.read_bytes() == b.path.read_bytes()
    if a.context_path:
        assert a.context_path.read_bytes() == b.context_path.read_bytes()


def test_other_seed_other_node(tmp_path):
    a = generate("al2-healthy", tmp_path / "a", seed=0)
    b = generate("al2-healthy", tmp_path / "b", seed=1)
    assert a.path.name != b.path.name


def _uncompressed(path) -> int:
    with tarfile.open(path) as tar:
        return sum(m.size for m in tar.getmembers())


def test_scale_grows_size_linearly(tmp_path):
    sizes = [_uncompressed(generate("al2-healthy", tmp_path / str(s), scale=s).path) for s in (1, 6, 11)]
    step1, step2 = sizes[1] - sizes[0], sizes[2] - sizes[1]
    assert step1 > 100_000 * 5  # documented ~177 KB per unit on a healthy AL2 node
    assert abs(step1 - step2) / step1 < 0.05


def test_bad_inputs_raise_typed_errors(tmp_path):
    with pytest.raises(InputError):
        generate("no-such-scenario", tmp_path)
    with pytest.raises(InputError):
        generate("al2-healthy", tmp_path, scale=0)


def _schema_example() -> dict:
    text = DOC.read_text()
    return json.loads(re.search(r"```json\n(.*?)```", text, re.S).group(1))


def test_context_documents_follow_the_schema(generated):
    example = _schema_example()
    with_ctx = [g for g in generated.values() if g.context_path]
    assert {g.scenario.name for g in with_ctx} >= {n for n, s in SCENARIOS.items() if s.needs_context}
    for g in with_ctx:
        doc = json.loads(g.context_path.read_text())
        load_context(g.context_path)  # the project's validator accepts it
        assert set(doc) <= set(example), (g.scenario.name, set(doc) - set(example))
        for key, value in doc.items():
            if isinstance(value, dict) and isinstance(example[key], dict):
                assert set(value) <= set(example[key]) | {"dhcp_options"}, (g.scenario.name, key, set(value) - set(example[key]))
        # the context describes the same node as the bundle
        iid = re.match(r"eks_(i-[0-9a-f]+)_", g.path.name).group(1)
        assert doc["instance"]["id"] == iid
        with tarfile.open(g.path) as tar:
            region = tar.extractfile("./system/region.txt").read().decode().strip()
        assert doc["region"] == region


def test_contexts_break_the_right_setting(generated):
    ctx = {n: json.loads(g.context_path.read_text()) for n, g in generated.items() if g.context_path}
    assert ctx["al2023-unauthorized-access-entry"]["cluster"]["authentication_mode"] == "API"
    node_role = ctx["al2023-unauthorized-access-entry"]["instance"]["role_arn"]
    assert node_role not in {e["principal_arn"] for e in ctx["al2023-unauthorized-access-entry"]["access_entries"]}
    assert ":instance-profile/" in ctx["al2-instance-profile-arn"]["aws_auth"]["map_roles"][0]["rolearn"]
    assert "/development/apps/" in ctx["al2-role-arn-path"]["aws_auth"]["map_roles"][0]["rolearn"]
    assert ctx["al2-ip-exhaustion"]["subnet"]["available_ips"] == 0
    assert ctx["al2023-ipamd-imds-hop-limit"]["instance"]["metadata_hop_limit"] == 1
    assert ctx["al2023-version-skew"]["cluster"]["version"] == "1.28"
    assert ctx["al2-sts-invalid-token"]["sts"]["regional_endpoint_active"] is False
    assert not any(r["destination"] == "0.0.0.0/0" for r in ctx["al2023-private-no-endpoints"]["route_table"]["routes"])
    assert all(r["from_port"] != 443 for r in ctx["al2-sg-no-443-egress"]["security_groups"][0]["egress"])
    assert "AmazonEKS_CNI_Policy" not in ctx["al2023-missing-cni-policy"]["node_role"]["attached_policies"]
    assert "AmazonEKS_CNI_Policy" in ctx["al2-healthy"]["node_role"]["attached_policies"]
    assert not any(k.startswith("kubernetes.io/cluster/") for k in ctx["al2-missing-cluster-tag"]["instance"]["tags"])
    assert ctx["al2-cluster-name-mismatch"]["cluster"]["name"] == "prod-east"


def test_cli_lists_and_writes(tmp_path):
    runner = CliRunner()
    listed = runner.invoke(main, ["sample", "--list", "--format", "json"])
    assert listed.exit_code == 0
    assert {r["name"] for r in json.loads(listed.output)} == set(SCENARIOS)
    wrote = runner.invoke(main, ["sample", "al2-sg-no-443-egress", "--out", str(tmp_path), "--format", "json"])
    assert wrote.exit_code == 0, wrote.output
    row = json.loads(wrote.output)[0]
    assert row["bundle"].endswith(".tar.gz") and row["context"].endswith("aws-context.json")
    bad = runner.invoke(main, ["sample", "nope", "--out", str(tmp_path)])
    assert bad.exit_code == 1 and "unknown sample scenario" in bad.output
    assert runner.invoke(main, ["sample", "al2-healthy"]).exit_code == 2  # --out missing: usage error
