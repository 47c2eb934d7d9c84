"""Turn `eksdoctor batch SOURCES…` into a flat list of tasks, one per node to diagnose.

A source is a bundle tarball, a directory (of tarballs and extracted bundles, or one extracted
bundle), a glob, an S3 prefix `s3://bucket/prefix/`, or a text file of instance ids (one per line,
`#` comments). Expansion happens in the parent; workers only ever see one `Task`.
"""

from __future__ import annotations

import glob
import re
from dataclasses import dataclass
from pathlib import Path

from eksdoctor.errors import AwsError, InputError

ARCHIVE_SUFFIXES = (".tar.gz", ".tgz", ".tar", ".zip")
# Top-level folders the EKS log collector writes; any one of them marks an extracted bundle.
_BUNDLE_MARKERS = ("kubelet", "var_log", "system", "networking", "ipamd", "nodeadm", "cni",
                   "containerd", "docker", "sysctls", "storage", "eks", "ec2-metadata")
_INSTANCE_ID = re.compile(r"^(i|mi)-[0-9a-f]{8,17}$")
_GLOB_CHARS = re.compile(r"[*?\[]")


@dataclass(frozen=True, slots=True)
class Task:
    """One node to diagnose. `source` is the resume key: an absolute path, an s3:// URI or an instance id."""

    kind: str                 # "path" | "s3" | "instance"
    source: str
    size: int | None = None   # bytes, when known; biggest bundles go first for load balance
    context: str | None = None  # aws-context.json that belongs to this bundle (sidecar file)


def is_archive(name: str) -> bool:
    return name.lower().endswith(ARCHIVE_SUFFIXES)


def looks_like_bundle_dir(path: Path) -> bool:
    """An extracted collector bundle: at least one of the collector's top-level folders."""
    try:
        return any((path / marker).is_dir() for marker in _BUNDLE_MARKERS)
    except OSError:
        return False


def sidecar_context(bundle: Path) -> str | None:
    """`<bundle stem>.aws-context.json` beside a tarball, so many bundles can share a folder; or a plain
    `aws-context.json` in a folder holding only this one bundle (what `collect` and `sample` write)."""
    name = bundle.name
    for suffix in ARCHIVE_SUFFIXES:
        if name.lower().endswith(suffix):
            candidate = bundle.with_name(name[: -len(suffix)] + ".aws-context.json")
            if candidate.is_file():
                return str(candidate)
            shared = bundle.with_name("aws-context.json")
            if shared.is_file() and [p for p in bundle.parent.iterdir() if is_archive(p.name)] == [bundle]:
                return str(shared)
            return None
    return None


def _path_task(path: Path) -> Task:
    path = path.absolute()
    size = path.stat().st_size if path.is_file() else None
    return Task("path", str(path), size, sidecar_context(path) if path.is_file() else None)


MAX_DIR_DEPTH = 3  # cases/<ticket>/<node>/eks_….tar.gz: deep enough for case folders, not a whole disk


def _expand_directory(path: Path) -> list[Task]:
    """Tarballs and extracted bundles in `path` and its sub-folders (MAX_DIR_DEPTH levels down); an
    extracted bundle is one task, never searched inside. A folder with none is an error, not 0 nodes."""
    if looks_like_bundle_dir(path):
        return [_path_task(path)]
    tasks: list[Task] = []
    folders = [(path, 0)]
    while folders:
        folder, depth = folders.pop(0)
        try:
            children = sorted(folder.iterdir())
        except OSError:
            continue  # an unreadable sub-folder: the others still count
        tasks += [_path_task(c) for c in children if c.is_file() and is_archive(c.name)]
        for child in children:
            if not child.is_dir() or child.name.startswith("."):
                continue
            if looks_like_bundle_dir(child):
                tasks.append(_path_task(child))
            elif depth + 1 <= MAX_DIR_DEPTH:
                folders.append((child, depth + 1))
    if not tasks:
        raise InputError(f"no bundle found in {path} (searched {MAX_DIR_DEPTH} folder levels down)",
                         hint="a bundle is an eks_<instance-id>_….tar.gz / .zip, or an extracted bundle folder")
    return tasks


def read_instance_ids(path: Path) -> list[str]:
    """Instance ids from a text file: one per line, blank lines and `#` comments ignored."""
    ids: list[str] = []
    for lineno, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
        text = line.split("#", 1)[0].strip()
        if not text:
            continue
        if not _INSTANCE_ID.match(text):
            raise InputError(f"{path}:{lineno}: {text!r} is not an EC2 instance id",
                             hint="a file of instance ids has one id like i-0abc123def4567890 per line")
        ids.append(text)
    return ids


def _expand_s3(uri: str, *, region: str | None, profile: str | None) -> list[Task]:
    bucket, _, prefix = uri[len("s3://"):].partition("/")
    if not bucket:
        raise InputError(f"bad S3 source {uri!r}", hint="use s3://BUCKET/PREFIX/")
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        s3 = boto3.Session(profile_name=profile, region_name=region).client("s3")
        tasks = []
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            for obj in page.get("Contents", []):
                if is_archive(obj["Key"]):
                    tasks.append(Task("s3", f"s3://{bucket}/{obj['Key']}", int(obj.get("Size", 0))))
        return tasks
    except (BotoCoreError, ClientError) as err:
        raise AwsError(f"cannot list {uri}: {err}",
                       hint="check credentials/region and s3:ListBucket on the bucket") from err


def expand_source(source: str, *, region: str | None = None, profile: str | None = None) -> list[Task]:
    """The tasks one SOURCE stands for; InputError when it names nothing."""
    if source.startswith("s3://"):
        return _expand_s3(source, region=region, profile=profile)
    if _INSTANCE_ID.match(source):
        return [Task("instance", source)]
    path = Path(source).expanduser()
    if path.is_dir():
        return _expand_directory(path)
    if path.is_file():
        if is_archive(path.name):
            return [_path_task(path)]
        return [Task("instance", iid) for iid in read_instance_ids(path)]
    if _GLOB_CHARS.search(source):
        matches = sorted(glob.glob(str(path)))
        tasks = [_path_task(Path(m)) for m in matches
                 if (Path(m).is_file() and is_archive(m))
                 or (Path(m).is_dir() and looks_like_bundle_dir(Path(m)))]
        if not tasks:
            raise InputError(f"glob {source!r} matches no bundle", hint="quote the glob and check the folder")
        return tasks
    raise InputError(f"no such source: {source}",
                     hint="give bundle tarballs, folders, globs, s3://bucket/prefix/ "
                          "or a file of instance ids")


def expand_sources(sources: list[str], *, region: str | None = None,
                   profile: str | None = None) -> list[Task]:
    """All tasks of all sources, each source once, biggest local bundles first (better load balance)."""
    if not sources:
        raise InputError("no SOURCES given", hint="eksdoctor batch ./bundles/  (see eksdoctor batch --help)")
    seen: dict[str, Task] = {}
    for source in sources:
        for task in expand_source(source, region=region, profile=profile):
            seen.setdefault(task.source, task)
    tasks = list(seen.values())
    tasks.sort(key=lambda t: -(t.size or 0))  # stable: equal sizes keep source order
    return tasks
