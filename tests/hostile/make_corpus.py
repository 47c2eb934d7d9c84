"""Hostile and broken bundle archives, generated at test time (no binary blobs in the repo).

Each case is a `Case`: a builder that writes one input under a directory, and what eksdoctor must
do with it (open normally, open as partial, or fail with a given error and exit code).

    python tests/hostile/make_corpus.py OUTDIR          # write every case, to try by hand:
    eksdoctor triage OUTDIR/gzip_bomb.tar.gz            # -> one-line error, exit 1

Bombs are kept cheap: the gzip bomb is built by repeating one fully-flushed deflate block of
zeros, so a multi-GB expansion costs a few MB and milliseconds to write. Its gzip trailer (CRC and
size) is deliberately not computed: the ratio guard must stop extraction long before the trailer.
"""

from __future__ import annotations

import gzip
import io
import struct
import sys
import tarfile
import time
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

IID = "i-0123456789abcdef0"
LINUX_NAME = f"eks_{IID}_2024-06-06_1933-UTC_0.7.8.tar.gz"
UNAME = b"Linux ip-10-0-1-23 5.10.219-208.866.amzn2.x86_64 #1 SMP x86_64 GNU/Linux\n"
KUBELET = (b"I0606 19:33:41.123456    2345 server.go:415] \"Kubelet version\" kubeletVersion=\"v1.29.3\"\n"
           b"E0606 19:34:02.000001    2345 kubelet_node_status.go:96] \"Unable to register node with API "
           b"server\" err=\"Unauthorized\" node=\"ip-10-0-1-23.ec2.internal\"\n")
MEMBER_COUNT_LIMIT = 1_000  # EKSDOCTOR_MAX_MEMBERS for the member-count bomb (scaled down: see CASES)
MEMBER_COUNT_BOMB = 30_000


def base_files() -> dict[str, bytes]:
    """A minimal but real-looking AL2 collector bundle."""
    return {
        "kernel/uname.txt": UNAME,
        "system/instance-id.txt": IID.encode() + b"\n",
        "kubelet/kubelet.log": KUBELET,
        "var_log/messages": b"Jun  6 19:33:40 ip-10-0-1-23 systemd[1]: Started Kubernetes Kubelet.\n",
    }


def add_file(tar: tarfile.TarFile, name: str, data: bytes, **attrs) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = 1717702380
    for key, value in attrs.items():
        setattr(info, key, value)
    tar.addfile(info, io.BytesIO(data))


def add_special(tar: tarfile.TarFile, name: str, kind: bytes, linkname: str = "") -> None:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = linkname
    info.devmajor, info.devminor = 1, 3
    tar.addfile(info)


def write_tar(path: Path, files: dict[str, bytes], *, prefix: str = "./", mode: str = "w:gz",
              extra: Callable[[tarfile.TarFile], None] | None = None, fmt: int = tarfile.GNU_FORMAT) -> Path:
    """A tarball as the collector writes it (`./` member names, no top folder) plus `extra` members."""
    with tarfile.open(path, mode, format=fmt, encoding="utf-8", errors="surrogateescape") as tar:
        for name, data in files.items():
            add_file(tar, prefix + name, data)
        if extra:
            extra(tar)
    return path


@dataclass
class Case:
    name: str                      # file name written under the corpus directory
    build: Callable[[Path], Path]  # writes the case, returns the path to give eksdoctor
    outcome: str                   # "ok" | "partial" | "error"
    error: str | None = None       # exception class name for "error" (BundleError, LimitExceeded...)
    message: str | None = None     # a substring the one-line message must contain
    skipped: tuple[str, ...] = ()  # substrings of skip reasons that must be recorded
    files: tuple[str, ...] = ()    # files that must be readable in the opened bundle
    env: dict[str, str] = field(default_factory=dict)  # limits raised/lowered for this case
    family: str | None = None
    slow: bool = False


# --- builders ---------------------------------------------------------------------------------

def _ok(path: Path) -> Path:
    return write_tar(path, base_files())


def _crlf_nul_nonutf8(path: Path) -> Path:
    files = base_files()
    files["kubelet/kubelet.log"] = (b"I0606 19:33:41.1 1 a.go:1] crlf line\r\n"
                                    b"I0606 19:33:42.1 1 a.go:1] nul\x00byte\n"
                                    b"I0606 19:33:43.1 1 a.go:1] latin1 \xe9\xff bytes\n")
    return write_tar(path, files)


def _long_line(path: Path) -> Path:
    """One 50 MB line (a base64-ish blob, incompressible enough not to look like a bomb)."""
    import os

    blob = os.urandom(25 << 20).hex().encode()
    files = base_files()
    files["var_log/user-data.log"] = b"userdata: " + blob + b"\nnext line\n"
    return _fast_gz_tar(path, files)


def _fast_gz_tar(path: Path, files: dict[str, bytes]) -> Path:
    """Like write_tar, at gzip level 1: big cases must stay quick to build."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.GNU_FORMAT) as tar:
        for name, data in files.items():
            add_file(tar, "./" + name, data)
    path.write_bytes(gzip.compress(raw.getvalue(), compresslevel=1))
    return path


class _Repeating(io.RawIOBase):
    """A file-like of `size` bytes cycling over `block`: big members without holding them in memory."""

    def __init__(self, block: bytes, size: int) -> None:
        self.block, self.left, self.pos = block, size, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buf) -> int:
        n = min(len(buf), self.left)
        data = (self.block[self.pos:] + self.block * (n // len(self.block) + 1))[:n]
        self.pos = (self.pos + n) % len(self.block)
        buf[:n] = data
        self.left -= n
        return n


def _many_lines(path: Path, count: int = 10_000_000) -> Path:
    """kubelet.log of `count` short klog lines (a 100,000-line block repeated), streamed into the tar."""
    block_lines = 100_000
    block = b"".join(b"I0606 19:%02d:%02d.%06d 2345 x.go:1] n=%06d\n" % (i // 60 % 60, i % 60, i, i)
                     for i in range(block_lines))
    with tarfile.open(path, "w:gz", compresslevel=1, format=tarfile.GNU_FORMAT) as tar:
        for name, data in base_files().items():
            if name != "kubelet/kubelet.log":
                add_file(tar, "./" + name, data)
        info = tarfile.TarInfo("./kubelet/kubelet.log")
        info.size = len(block) * (count // block_lines)
        tar.addfile(info, io.BufferedReader(_Repeating(block, info.size), 1 << 20))
    return path


def _unicode_names(path: Path) -> Path:
    files = base_files()
    files["var_log/pods/ns_podé-ü_日本/c/0.log"] = b"unicode folder\n"
    files["var_log/emoji-🚀.log"] = b"emoji\n"
    return write_tar(path, files)


def _long_names(path: Path) -> Path:
    def extra(tar: tarfile.TarFile) -> None:
        add_file(tar, "./var_log/" + "d" * 250 + "/" + "f" * 300 + ".log", b"component too long\n")
        add_file(tar, "./var_log/" + "/".join(["x" * 200] * 6), b"name over 1024 bytes\n")
    return write_tar(path, base_files(), extra=extra)


def _non_utf8_name(path: Path) -> Path:
    def extra(tar: tarfile.TarFile) -> None:
        add_file(tar, "./var_log/bad-\udcff\udcfe.log", b"latin1 name\n")
    return write_tar(path, base_files(), extra=extra)


def _duplicates(path: Path) -> Path:
    def extra(tar: tarfile.TarFile) -> None:
        add_file(tar, "./kubelet/kubelet.log", b"SECOND COPY must not replace the first\n")
    return write_tar(path, base_files(), extra=extra)


def _traversal(path: Path) -> Path:
    escape = path.parent / "escaped-abs.txt"

    def extra(tar: tarfile.TarFile) -> None:
        add_file(tar, "../escaped-dotdot.txt", b"x")
        add_file(tar, "./var_log/../../../escaped-deep.txt", b"x")
        add_file(tar, str(escape), b"x")
    return write_tar(path, base_files(), extra=extra)


def _symlink_out(path: Path) -> Path:
    target = path.parent / "symlink-victim"

    def extra(tar: tarfile.TarFile) -> None:
        add_special(tar, "./evil", tarfile.SYMTYPE, str(target))
        add_file(tar, "./evil/planted.txt", b"written through a symlink?\n")  # must land inside, not in target
        add_special(tar, "./kubelet/passwd", tarfile.SYMTYPE, "/etc/passwd")
    return write_tar(path, base_files(), extra=extra)


def _hardlink_out(path: Path) -> Path:
    def extra(tar: tarfile.TarFile) -> None:
        add_special(tar, "./kubelet/shadow", tarfile.LNKTYPE, "/etc/shadow")
        add_special(tar, "./kubelet/up", tarfile.LNKTYPE, "../../outside.txt")
    return write_tar(path, base_files(), extra=extra)


def _devices(path: Path) -> Path:
    def extra(tar: tarfile.TarFile) -> None:
        add_special(tar, "./system/null", tarfile.CHRTYPE)
        add_special(tar, "./system/sda", tarfile.BLKTYPE)
        add_special(tar, "./system/pipe", tarfile.FIFOTYPE)
    return write_tar(path, base_files(), extra=extra)


def _windows_zip(path: Path) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:  # Compress-Archive writes backslashes
        zf.writestr("system\\sysinfo", "OS Name: Microsoft Windows Server 2022 Datacenter\r\n")
        zf.writestr("system\\kubelet\\kubelet-service.csv", '"TimeCreated","Message"\r\n"1/1/2020","started"\r\n')
        zf.writestr("system\\network\\hns\\network.txt", "Name : vpcbr\r\n")
    return path


def _truncated_zip(path: Path) -> Path:
    """A Windows bundle cut short: no central directory, so zipfile cannot open it at all; the
    members before the cut must still be read (from their local headers)."""
    import os

    _windows_zip(path)
    with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("system\\zz-big.txt", os.urandom(200_000).hex())  # last, so the cut lands in it
    full = path.read_bytes()
    path.write_bytes(full[: int(len(full) * 0.7)])
    return path


def _png(path: Path) -> Path:
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(200))
    return path


def _empty_file(path: Path) -> Path:
    path.write_bytes(b"")
    return path


def _empty_archive(path: Path) -> Path:
    return write_tar(path, {})


def _truncated(path: Path) -> Path:
    """Cut inside the last member: the members before it must still be read."""
    import os

    files = base_files()
    files["var_log/zz-big.log"] = os.urandom(200_000).hex().encode()  # last, so the cut lands in it
    full = write_tar(path, files).read_bytes()
    path.write_bytes(full[: int(len(full) * 0.7)])
    return path


def _corrupt_header(path: Path) -> Path:
    good = write_tar(path, base_files()).read_bytes()
    path.write_bytes(good[:3] + b"\xff" * 7 + good[10:40] + bytes(64))  # gzip magic, garbage flags/stream
    return path


def _gzip_not_tar(path: Path) -> Path:
    path.write_bytes(gzip.compress(KUBELET * 10))
    return path


def _nested(path: Path) -> Path:
    inner = write_tar(path.parent / LINUX_NAME, base_files())
    with tarfile.open(path, "w:gz") as tar:
        tar.add(inner, arcname="./" + inner.name)
    inner.unlink()
    return path


def _nested_too_deep(path: Path) -> Path:
    current = write_tar(path.parent / "level0.tar.gz", base_files())
    for depth in range(1, 5):
        outer = path.parent / f"level{depth}.tar.gz"
        with tarfile.open(outer, "w:gz") as tar:
            tar.add(current, arcname=current.name)
        current.unlink()
        current = outer
    current.rename(path)
    return path


def _bzip2_and_xz(path: Path) -> Path:
    mode = "w:bz2" if path.name.endswith(".bz2") else "w:xz"
    return write_tar(path, base_files(), mode=mode)


def _bottlerocket(path: Path) -> Path:
    files = {
        "os-release": b'NAME=Bottlerocket\nID=bottlerocket\nVERSION_ID=1.19.0\nVARIANT_ID=aws-k8s-1.29\n',
        "journalctl.log": b"Jun 06 19:33:41.000000 localhost kubelet[1234]: I0606 started\n",
        "settings.json": b'{"kubernetes": {"cluster-name": "prod"}}\n',
    }
    write_tar(path, files, prefix="bottlerocket-logs/")
    return path


def gzip_bomb_bytes(zero_bytes: int, head: bytes = b"", head_member: str | None = None) -> bytes:
    """A .tar.gz whose one member is `zero_bytes` of zeros (optionally after a normal member),
    built by repeating one fully flushed deflate block: cheap to make whatever the size."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.GNU_FORMAT) as tar:
        if head_member:
            add_file(tar, head_member, head)
        info = tarfile.TarInfo("./var_log/zeros.log")
        info.size = zero_bytes
        tar.addfile(info)  # header only: the data follows as repeated deflate blocks
    prefix = raw.getvalue()[:-1024]  # drop the end-of-archive blocks tarfile wrote
    comp = zlib.compressobj(9, zlib.DEFLATED, -15)
    out = [b"\x1f\x8b\x08\x00" + struct.pack("<I", 0) + b"\x00\x03", comp.compress(prefix),
           comp.flush(zlib.Z_FULL_FLUSH)]
    block = 1 << 20
    segment = comp.compress(bytes(block)) + comp.flush(zlib.Z_FULL_FLUSH)
    assert zero_bytes % block == 0
    out.append(segment * (zero_bytes // block))
    out.append(comp.compress(bytes(1024)) + comp.flush(zlib.Z_FINISH))
    out.append(struct.pack("<II", 0, 0))  # trailer left wrong on purpose (see module docstring)
    return b"".join(out)


def _gzip_bomb(path: Path) -> Path:
    path.write_bytes(gzip_bomb_bytes(4 << 30))  # 4 GiB of zeros in about 4 MB
    return path


def _bomb_after_content(path: Path) -> Path:
    path.write_bytes(gzip_bomb_bytes(4 << 30, head=UNAME, head_member="./kernel/uname.txt"))
    return path


def _zip_bomb(path: Path) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        with zf.open("system\\zeros.log", "w", force_zip64=True) as member:
            chunk = bytes(1 << 20)
            for _ in range(256):  # 256 MiB of zeros, about 1 MB compressed
                member.write(chunk)
    return path


def _member_count_bomb(path: Path) -> Path:
    with tarfile.open(path, "w:gz", compresslevel=1) as tar:
        for name, data in base_files().items():
            add_file(tar, "./" + name, data)
        info = tarfile.TarInfo()
        for i in range(MEMBER_COUNT_BOMB):
            info.name = f"./var_log/many/{i}.log"
            tar.addfile(info, io.BytesIO(b""))
    return path


def _member_too_big(path: Path) -> Path:
    files = base_files()
    files["var_log/huge.log"] = b"y" * 100_000
    return write_tar(path, files)


CASES: list[Case] = [
    Case(LINUX_NAME, _ok, "ok", files=("kubelet/kubelet.log",), family="al2"),
    Case("crlf_nul_nonutf8.tar.gz", _crlf_nul_nonutf8, "ok", files=("kubelet/kubelet.log",)),
    Case("long_line_50mb.tar.gz", _long_line, "ok", files=("var_log/user-data.log",)),
    Case("ten_million_lines.tar.gz", _many_lines, "ok", files=("kubelet/kubelet.log",), slow=True),
    Case("unicode_names.tar.gz", _unicode_names, "ok",
         files=("var_log/pods/ns_podé-ü_日本/c/0.log", "var_log/emoji-🚀.log")),
    Case("long_names.tar.gz", _long_names, "ok", skipped=("cannot be written", "name longer than 1024")),
    Case("non_utf8_name.tar.gz", _non_utf8_name, "ok", skipped=("not valid UTF-8",)),
    Case("duplicates.tar.gz", _duplicates, "ok", skipped=("duplicate member name",)),
    Case("traversal.tar.gz", _traversal, "ok", skipped=("path traversal", "absolute path")),
    Case("symlink_out.tar.gz", _symlink_out, "ok", skipped=("symlink not extracted",),
         files=("evil/planted.txt",)),
    Case("hardlink_out.tar.gz", _hardlink_out, "ok", skipped=("hard link not extracted",)),
    Case("devices_fifo.tar.gz", _devices, "ok", skipped=("device file not extracted", "FIFO not extracted")),
    Case(f"eks_{IID}_20200101T0620179658Z.zip", _windows_zip, "ok",
         files=("system/kubelet/kubelet-service.csv",), family="windows"),
    Case(f"eks_{IID}_20200101T0620179658Z-truncated.zip", _truncated_zip, "partial", message="zip archive is truncated",
         files=("system/kubelet/kubelet-service.csv",), family="windows"),
    Case("bundle.tar.bz2", _bzip2_and_xz, "ok", family="al2"),
    Case("bundle.tar.xz", _bzip2_and_xz, "ok", family="al2"),
    Case("bottlerocket-logs.tar.gz", _bottlerocket, "ok", files=("journalctl.log",), family="bottlerocket"),
    Case("nested.tar.gz", _nested, "ok", files=("kubelet/kubelet.log",), family="al2"),
    Case("nested_too_deep.tar.gz", _nested_too_deep, "error", "BundleError", "nested more than"),
    Case("png_renamed.tar.gz", _png, "error", "BundleError", "PNG image"),
    Case("empty_file.tar.gz", _empty_file, "error", "BundleError", "empty file"),
    Case("empty_archive.tar.gz", _empty_archive, "error", "BundleError", "empty archive"),
    Case("gzip_not_tar.tar.gz", _gzip_not_tar, "error", "BundleError", "not a tar archive"),
    Case("corrupt_header.tar.gz", _corrupt_header, "error", "BundleError", "bundle"),
    Case("truncated.tar.gz", _truncated, "partial", message="truncated or corrupt", files=("kubelet/kubelet.log",)),
    Case("gzip_bomb.tar.gz", _gzip_bomb, "error", "LimitExceeded", "EKSDOCTOR_MAX_RATIO"),
    Case("bomb_after_content.tar.gz", _bomb_after_content, "partial", message="EKSDOCTOR_MAX_RATIO",
         files=("kernel/uname.txt",), skipped=("EKSDOCTOR_MAX_MEMBER_BYTES",)),
    Case("zip_bomb.zip", _zip_bomb, "error", "LimitExceeded", "EKSDOCTOR_MAX_RATIO"),
    Case("member_count_bomb.tar.gz", _member_count_bomb, "partial", message="EKSDOCTOR_MAX_MEMBERS",
         env={"EKSDOCTOR_MAX_MEMBERS": str(MEMBER_COUNT_LIMIT)}),
    Case("member_too_big.tar.gz", _member_too_big, "ok", skipped=("EKSDOCTOR_MAX_MEMBER_BYTES",),
         env={"EKSDOCTOR_MAX_MEMBER_BYTES": "50000"}),
]


def build(case: Case, directory: Path) -> Path:
    """Write one case into its own subfolder of `directory` (builders may write siblings)."""
    folder = directory / case.name.replace(".", "_")
    folder.mkdir(parents=True, exist_ok=True)
    return case.build(folder / case.name)


if __name__ == "__main__":
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "hostile-corpus")
    for case in CASES:
        started = time.perf_counter()
        built = build(case, out)
        print(f"{built}  {built.stat().st_size:>12,} bytes  {time.perf_counter() - started:5.2f}s  -> {case.outcome}")
