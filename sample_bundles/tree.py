"""Packing: the collector's directory tree and tar layout, byte-for-byte reproducible.

`tar --create --gzip --directory=/tmp/eks-log-collector .` gives members "./", "./kubelet/",
"./kubelet/kubelet.log" with no top folder, and every COMMON_DIRECTORY exists even when empty.
We fix mtimes, owners and the gzip header (mtime 0, no file name) so the same input gives the same bytes.
"""

from __future__ import annotations

import gzip
import io
import tarfile
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path

Content = str | bytes | Callable[[], Iterator[str]]

BASE_DIRECTORIES = ("kernel", "system", "docker", "containerd", "storage", "var_log", "networking",
                    "sandbox-image", "ipamd", "sysctls", "kubelet", "cni")


def common_directories(features: set[str]) -> list[str]:
    """COMMON_DIRECTORIES of the collector version that matches the bundle's date."""
    dirs = list(BASE_DIRECTORIES)
    if "cni_vars" in features:
        dirs.append("modinfo")
    if "nodeadm" in features:
        dirs.append("nodeadm")
    if "al2_kubelet_config" in features:
        dirs.append("gpu")
    return dirs


def bundle_name(instance_id: str, collected: datetime, version: str) -> str:
    return f"eks_{instance_id}_{collected:%Y-%m-%d_%H%M}-UTC_{version}.tar.gz"


def _spool(content: Content) -> tuple[io.IOBase, int]:
    """Content as a seekable file and its size; large generated files go through a temp file."""
    if isinstance(content, str):
        content = content.encode()
    if isinstance(content, bytes):
        return io.BytesIO(content), len(content)
    tmp = tempfile.TemporaryFile()
    buf: list[str] = []
    size = 0
    for line in content():
        buf.append(line)
        if len(buf) >= 4096:
            data = ("\n".join(buf) + "\n").encode()
            tmp.write(data)
            size += len(data)
            buf.clear()
    if buf:
        data = ("\n".join(buf) + "\n").encode()
        tmp.write(data)
        size += len(data)
    tmp.seek(0)
    return tmp, size


def _sort_key(path: str) -> tuple[str, ...]:
    return tuple(path.strip("/").split("/"))


def write_tar(dest: Path, files: dict[str, Content], directories: list[str], mtime: datetime,
              compresslevel: int = 6) -> int:
    """Write a collector-style .tar.gz; returns the uncompressed size of all file contents."""
    stamp = int(mtime.timestamp())
    dirs = set(directories)
    for path in files:
        parts = path.split("/")[:-1]
        for i in range(1, len(parts) + 1):
            dirs.add("/".join(parts[:i]))
    entries = [(d + "/", None) for d in dirs] + [(p, c) for p, c in files.items()]
    entries.sort(key=lambda e: _sort_key(e[0]))
    total = 0
    with open(dest, "wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=compresslevel) as gz, \
            tarfile.open(fileobj=gz, mode="w|", format=tarfile.GNU_FORMAT) as tar:
        tar.addfile(_info("./", stamp, is_dir=True))
        for path, content in entries:
            if content is None:
                tar.addfile(_info(f"./{path}", stamp, is_dir=True))
                continue
            fh, size = _spool(content)
            total += size
            tar.addfile(_info(f"./{path}", stamp, size=size), fh)
            fh.close()
    return total


def _info(name: str, mtime: int, *, is_dir: bool = False, size: int = 0) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.mtime, info.uid, info.gid, info.uname, info.gname = mtime, 0, 0, "root", "root"
    if is_dir:
        info.type, info.mode = tarfile.DIRTYPE, 0o755
    else:
        info.size, info.mode = size, 0o644
    return info


def write_zip(dest: Path, files: dict[str, str | bytes], when: datetime) -> None:
    """Windows collector zip (Compress-Archive of C:\\log-collector\\collect\\*), fixed timestamps.

    Windows PowerShell 5.1's Compress-Archive stores entry names with backslashes, as real bundles have.
    """
    stamp = (when.year, when.month, when.day, when.hour, when.minute, when.second - when.second % 2)
    with zipfile.ZipFile(dest, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(files, key=_sort_key):
            info = zipfile.ZipInfo(path.replace("/", "\\"), date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            data = files[path]
            zf.writestr(info, data.encode() if isinstance(data, str) else data)


def write_plain_tar(dest: Path, files: dict[str, str | bytes], when: datetime, top: str) -> None:
    """A tarball with one top folder (Bottlerocket logdog: bottlerocket-logs/...)."""
    stamp = int(when.timestamp())
    with open(dest, "wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as gz, \
            tarfile.open(fileobj=gz, mode="w|", format=tarfile.GNU_FORMAT) as tar:
        tar.addfile(_info(f"{top}/", stamp, is_dir=True))
        for path in sorted(files, key=_sort_key):
            data = files[path].encode() if isinstance(files[path], str) else files[path]
            tar.addfile(_info(f"{top}/{path}", stamp, size=len(data)), io.BytesIO(data))
