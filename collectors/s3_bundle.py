"""Find a collected tarball in S3 and download it with a size and checksum check."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path, PurePosixPath

from eksdoctor.errors import AwsError

from .gateway import AwsGateway

BUNDLE_SUFFIXES = (".tar.gz", ".tgz", ".tar", ".zip")
CLOCK_SKEW = timedelta(minutes=2)  # S3 LastModified vs the SSM start time: different clocks
_CHUNK = 1 << 20

Progress = Callable[[int, int | None], None]


def find_bundle(gw: AwsGateway, bucket: str, prefixes: list[str], not_before: datetime | None = None) -> dict | None:
    """Newest bundle-looking object under the first prefix that has one, modified after `not_before`.

    Returns {"bucket", "key", "size", "last_modified", "uri"} or None when nothing is there (yet)."""
    for prefix in prefixes:
        candidates = [o for o in gw.paginate("s3", "ListObjectsV2", "Contents", Bucket=bucket, Prefix=prefix)
                      if o["Key"].lower().endswith(BUNDLE_SUFFIXES)
                      and (not_before is None or o["LastModified"] >= not_before - CLOCK_SKEW)]
        if candidates:
            obj = max(candidates, key=lambda o: (o["LastModified"], o["Key"]))
            return {"bucket": bucket, "key": obj["Key"], "size": obj.get("Size"),
                    "last_modified": obj["LastModified"].isoformat(), "uri": f"s3://{bucket}/{obj['Key']}"}
    return None


def _expected_checksums(head: dict) -> tuple[str | None, str | None]:
    """(sha256 base64, md5 hex) that S3 vouches for; composite (multipart) values are not whole-object digests."""
    sha = head.get("ChecksumSHA256")
    if sha and "-" in sha:
        sha = None
    etag = (head.get("ETag") or "").strip('"')
    md5 = etag if etag and "-" not in etag and head.get("ServerSideEncryption") != "aws:kms" and len(etag) == 32 else None
    return sha, md5


def download(gw: AwsGateway, bucket: str, key: str, dest_dir: Path, progress: Progress | None = None) -> dict:
    """Download s3://bucket/key into dest_dir (file named after the key), verify size and checksum.

    Returns {"path", "size", "sha256", "verified": "sha256"|"md5"|"size"}. A mismatch is retried once,
    then raised as AwsError (a truncated or corrupted transfer must never reach the importer)."""
    name = PurePosixPath(key).name or "bundle.tar.gz"
    dest_dir.mkdir(parents=True, exist_ok=True)
    path = dest_dir / name
    head = gw.call("s3", "HeadObject", Bucket=bucket, Key=key, ChecksumMode="ENABLED")
    size = int(head.get("ContentLength") or 0)
    want_sha, want_md5 = _expected_checksums(head)
    problem = ""
    for _attempt in range(2):
        body = gw.call("s3", "GetObject", Bucket=bucket, Key=key, **({"IfMatch": head["ETag"]} if head.get("ETag") else {}))
        sha, md5, done = hashlib.sha256(), hashlib.md5(usedforsecurity=False), 0
        with open(path, "wb") as fh:
            stream = body["Body"]
            try:
                while chunk := stream.read(_CHUNK):
                    fh.write(chunk)
                    sha.update(chunk)
                    md5.update(chunk)
                    done += len(chunk)
                    if progress:
                        progress(done, size)
            finally:
                stream.close()
        if done != size:
            problem = f"got {done} bytes, S3 says {size}"
        elif want_sha and base64.b64encode(sha.digest()).decode() != want_sha:
            problem = "SHA-256 does not match S3's ChecksumSHA256"
        elif want_md5 and md5.hexdigest() != want_md5:
            problem = "MD5 does not match the object's ETag"
        else:
            verified = "sha256" if want_sha else ("md5" if want_md5 else "size")
            return {"path": str(path), "size": done, "sha256": sha.hexdigest(), "verified": verified}
    path.unlink(missing_ok=True)
    raise AwsError(f"download of s3://{bucket}/{key} is corrupt ({problem})",
                   hint="retry; if it persists, download it with `aws s3 cp` and run `eksdoctor import`")
