"""SOURCES: folders, globs, extracted bundles, files of instance ids, S3 prefixes (moto server)."""

from __future__ import annotations

import boto3
import pytest
from batch_fakes import write_fake_bundle

from eksdoctor.batch import run_batch
from eksdoctor.batch_sources import expand_sources
from eksdoctor.errors import InputError


def test_folder_expands_to_archives_and_extracted_bundles_but_not_other_files(tmp_path):
    (tmp_path / "a.tar.gz").write_bytes(b"x" * 10)
    (tmp_path / "b.zip").write_bytes(b"x" * 30)
    (tmp_path / "notes.txt").write_text("hello")
    (tmp_path / "a.aws-context.json").write_text("{}")
    extracted = tmp_path / "eks_i-0123456789abcdef0_2024-06-06_1940-UTC_0.7.8"
    (extracted / "kubelet").mkdir(parents=True)
    (tmp_path / "random-dir").mkdir()
    tasks = expand_sources([str(tmp_path)])
    assert [t.source.rsplit("/", 1)[-1] for t in tasks] == ["b.zip", "a.tar.gz", extracted.name]  # biggest first
    assert tasks[1].context == str(tmp_path / "a.aws-context.json")  # sidecar context found
    assert expand_sources([str(extracted)])[0].source == str(extracted)  # an extracted bundle itself


def test_case_folders_are_searched_a_few_levels_down_with_their_shared_context(tmp_path):
    cases = tmp_path / "cases"
    node = cases / "T-1001" / "node-a"  # cases/<ticket>/<node>/: what `eksdoctor sample --all` and support cases look like
    node.mkdir(parents=True)
    (node / "eks_i-0123456789abcdef0_2024-06-06_1940-UTC_0.7.8.tar.gz").write_bytes(b"x")
    (node / "aws-context.json").write_text("{}")
    two = cases / "T-1002"
    two.mkdir()
    for name in ("a.tar.gz", "b.tar.gz"):
        (two / name).write_bytes(b"x")
    (two / "aws-context.json").write_text("{}")  # two bundles: whose context it is cannot be told
    too_deep = cases / "1" / "2" / "3" / "4"
    too_deep.mkdir(parents=True)
    (too_deep / "deep.tar.gz").write_bytes(b"x")
    (cases / ".cache").mkdir()
    (cases / ".cache" / "hidden.tar.gz").write_bytes(b"x")
    tasks = {t.source.rsplit("/", 1)[-1]: t for t in expand_sources([str(cases)])}
    assert sorted(tasks) == ["a.tar.gz", "b.tar.gz", "eks_i-0123456789abcdef0_2024-06-06_1940-UTC_0.7.8.tar.gz"]
    assert tasks["eks_i-0123456789abcdef0_2024-06-06_1940-UTC_0.7.8.tar.gz"].context == str(node / "aws-context.json")
    assert tasks["a.tar.gz"].context is None and tasks["b.tar.gz"].context is None


def test_folder_without_any_bundle_is_an_error_not_zero_nodes(tmp_path):
    (tmp_path / "notes.txt").write_text("hello")
    (tmp_path / "sub").mkdir()
    with pytest.raises(InputError, match="no bundle found in"):
        expand_sources([str(tmp_path)])


def test_glob_and_duplicates(tmp_path):
    for name in ("x1.tgz", "x2.tgz", "y.tgz"):
        (tmp_path / name).write_bytes(b"1")
    tasks = expand_sources([str(tmp_path / "x*.tgz"), str(tmp_path / "x1.tgz")])
    assert sorted(t.source.rsplit("/", 1)[-1] for t in tasks) == ["x1.tgz", "x2.tgz"]
    with pytest.raises(InputError, match="matches no bundle"):
        expand_sources([str(tmp_path / "z*.tgz")])
    with pytest.raises(InputError, match="no such source"):
        expand_sources([str(tmp_path / "missing.tgz")])


def test_file_of_instance_ids_with_comments_and_a_bad_line(tmp_path):
    ids = tmp_path / "nodes.txt"
    ids.write_text("# failed in the 10:00 scale-up\ni-0123456789abcdef0\n\ni-0fedcba9876543210  # az-b\n")
    assert [(t.kind, t.source) for t in expand_sources([str(ids)])] == [
        ("instance", "i-0123456789abcdef0"), ("instance", "i-0fedcba9876543210")]
    ids.write_text("i-0123456789abcdef0\nnode-7\n")
    with pytest.raises(InputError, match=r"nodes.txt:2: 'node-7' is not an EC2 instance id"):
        expand_sources([str(ids)])


def test_instance_ids_whose_collection_fails_are_still_diagnosed_from_aws_context(tmp_path, moto_endpoint):
    # moto has no SSM describe_instance_information: the real api.collect fails its preflight
    ids = tmp_path / "nodes.txt"
    ids.write_text("i-0123456789abcdef0\n")
    report = run_batch([str(ids)], db=tmp_path / "r.db", jobs=1, bucket="eks-node-logs", start_method="spawn",
                       diagnose="batch_fakes:fake_diagnose", workspace=tmp_path / "ws")
    (row,) = report["rows"]
    assert (row["status"], row["category"], row["instance_id"]) == ("ok", "security_rules", "i-0123456789abcdef0")
    assert row["error"].startswith("collection failed") and "AWS context alone" in row["error"]


def test_s3_prefix_is_listed_downloaded_and_diagnosed(tmp_path, moto_endpoint, fake_dir):
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket="eks-uploads-batch")
    for n, category in enumerate(["iam_auth", "iam_auth", "dns_config"]):
        path = write_fake_bundle(fake_dir, f"i-00000000000000a{n}", category=category, evidence="line")
        s3.upload_file(str(path), "eks-uploads-batch", f"case-1/{path.name}")
    s3.put_object(Bucket="eks-uploads-batch", Key="case-1/readme.txt", Body=b"not a bundle")
    s3.put_object(Bucket="eks-uploads-batch", Key="case-2/other.tar.gz", Body=b"{}")
    report = run_batch(["s3://eks-uploads-batch/case-1/"], db=tmp_path / "r.db", jobs=2, start_method="spawn",
                       diagnose="batch_fakes:fake_diagnose", workspace=tmp_path / "ws")
    assert sorted(r["source"].rsplit("/", 2)[-2] for r in report["rows"]) == ["case-1"] * 3
    assert {c["category"]: c["count"] for c in report["by_root_cause"]} == {"iam_auth": 2, "dns_config": 1}
    assert not any((tmp_path / "ws" / "tmp").iterdir())  # downloads are removed after diagnosis
