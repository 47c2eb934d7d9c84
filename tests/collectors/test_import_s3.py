"""`eksdoctor import s3://BUCKET/KEY`: an uploaded bundle is downloaded (verified) and imported."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from eksdoctor import api
from eksdoctor.cli import main
from eksdoctor.errors import AwsError, InputError

BUCKET = "support-uploads"


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    from eksdoctor.sample_bundles import generate

    return generate("al2-unauthorized", tmp_path_factory.mktemp("s3sample"))


def test_cli_imports_an_s3_object_then_searches_it(aws, sample):
    aws.s3.create_bucket(Bucket=BUCKET)
    key = f"case-1234/{sample.path.name}"
    aws.s3.put_object(Bucket=BUCKET, Key=key, Body=sample.path.read_bytes())
    result = CliRunner().invoke(main, ["import", f"s3://{BUCKET}/{key}", "--format", "json"])
    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout)
    assert record["source"] == f"s3://{BUCKET}/{key}" and record["status"] == "imported"
    assert record["download"]["size"] == sample.path.stat().st_size
    assert record["download"]["verified"] in ("sha256", "md5", "size")
    iid = record["key"]
    assert iid.startswith("i-") and record["lines_indexed"] > 0
    assert api.search(iid, "Unauthorized")["total"] > 0
    again = api.import_bundle(f"s3://{BUCKET}/{key}")
    assert again["status"] == "unchanged"


def test_missing_object_and_bad_uri_are_clear_errors(aws):
    aws.s3.create_bucket(Bucket=BUCKET)
    with pytest.raises(AwsError) as err:
        api.import_bundle(f"s3://{BUCKET}/nope/eks_i-0abc.tar.gz")
    assert "\n" not in str(err.value)
    for bad in ("s3://", f"s3://{BUCKET}", f"s3://{BUCKET}/prefix/"):
        with pytest.raises(InputError, match="bad S3 object"):
            api.import_bundle(bad)
