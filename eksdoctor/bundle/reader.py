"""open_bundle: any bundle (collector tarball, re-packed tarball, directory, Windows zip, Bottlerocket
logdog tarball, a tarball nested in a tarball) as a `Bundle` over a directory."""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from eksdoctor.bundle.extract import ExtractResult, extract_tar, extract_zip, sniff
from eksdoctor.bundle.limits import Limits
from eksdoctor.bundle.lines import iter_lines
from eksdoctor.bundle.naming import parse_bundle_name
from eksdoctor.errors import BundleError, InputError
from eksdoctor.models import BundleInfo, SkippedMember

# Top-level folders of a Linux collector bundle (bundle-format.md 1.3): a single folder above them
# is a customer's re-pack, not part of the layout.
LINUX_DIRS = {"kernel", "modinfo", "system", "docker", "containerd", "storage", "var_log", "networking",
              "sandbox-image", "ipamd", "sysctls", "kubelet", "nodeadm", "cni", "gpu"}
_ARCHIVES = ("gzip", "bzip2", "xz", "tar", "zip")


class Bundle:
    """Read access to the files of one bundle (extracted or in place). Paths are normalised
    relative POSIX paths such as "kubelet/kubelet.log"."""

    def __init__(self, root: Path, info: BundleInfo, limits: Limits | None = None) -> None:
        self.root = Path(root)
        self.info = info
        self.limits = limits or Limits()
        self._files: list[str] | None = None
        self._real_root = str(self.root.resolve()) + os.sep

    def files(self) -> list[str]:
        """Sorted relative paths of the regular files (links are never listed)."""
        if self._files is None:
            out = []
            for dirpath, dirnames, filenames in os.walk(self.root, followlinks=False):
                dirnames.sort()
                for fn in filenames:
                    full = Path(dirpath) / fn
                    if full.is_symlink() or not full.is_file():
                        continue
                    out.append(full.relative_to(self.root).as_posix())
            self._files = sorted(out)
        return self._files

    def _path(self, rel: str) -> Path:
        p = self.root / rel
        # An extracted directory given by the user may hold links; never read through one.
        if ".." in Path(rel).parts or p.is_symlink() or not str(p.resolve()).startswith(self._real_root):
            raise InputError(f"refusing to read {rel!r}: outside the bundle or a link")
        return p

    def exists(self, rel: str) -> bool:
        """True when `rel` is a regular file inside the bundle (not a link, not outside)."""
        try:
            p = self._path(rel)
        except InputError:
            return False
        return p.is_file()

    def size(self, rel: str) -> int | None:
        """Size in bytes, None when absent (0 is meaningful: a collected but empty file)."""
        return self._path(rel).stat().st_size if self.exists(rel) else None

    def open(self, rel: str) -> BinaryIO:
        """The file opened for binary reading; BundleError when it is missing or unreadable."""
        try:
            return open(self._path(rel), "rb")
        except OSError as err:
            raise BundleError(f"cannot read {rel} in {self.info.name}: {err.strerror or err}") from err

    def read_text(self, rel: str, max_bytes: int = 1 << 20) -> str | None:
        """The first `max_bytes` decoded as UTF-8 (bad bytes and NULs become U+FFFD); None when absent."""
        if not self.exists(rel):
            return None
        with self.open(rel) as f:
            data = f.read(max_bytes)
        return data.decode("utf-8", "replace").replace("\x00", "\ufffd")

    def lines(self, rel: str) -> Iterator[tuple[int, str]]:
        """(1-based lineno, text) with bounded memory: a line over max_line_bytes is cut and marked."""
        with self.open(rel) as f:
            yield from iter_lines(f, self.limits.max_line_bytes)

    def close(self) -> None:
        """Nothing to release: open_bundle removes the extraction when its `with` block ends."""


def detect_family(bundle: Bundle) -> str:
    """al2 | al2023 | bottlerocket | windows | unknown (bundle-format.md 5.2 and 6.3)."""
    if bundle.info.layout == "windows":
        return "windows"
    if bundle.info.layout == "bottlerocket":
        return "bottlerocket"
    uname = bundle.read_text("kernel/uname.txt", 4096) or ""
    if "amzn2023" in uname:
        return "al2023"
    if "amzn2." in uname:
        return "al2"
    if "bottlerocket" in (bundle.read_text("os-release", 4096) or "").lower():
        return "bottlerocket"
    for log in ("nodeadm/nodeadm-config.log", "nodeadm/nodeadm-run.log"):
        head = (bundle.read_text(log, 4096) or "").strip()
        if head and "-- No entries --" not in head.splitlines()[0:2]:
            return "al2023"
    if bundle.exists("var_log/messages"):
        return "al2"
    pkgs = bundle.read_text("system/pkglist.txt", 1 << 20) or ""
    if ".amzn2023." in pkgs:
        return "al2023"
    if ".amzn2." in pkgs:
        return "al2"
    return "unknown"


# Files only the Windows collector writes under system\ (bundle-format.md 1.4).
_WINDOWS_MARKERS = ("sysinfo", "services", "volumes", "system-eventlogs.csv", "kubelet/kubelet-service.csv",
                    "events", "network/hns")
_BOTTLEROCKET_MARKERS = {"journalctl.log", "logdog.errors", "settings.json", "os-release", "signpost"}


def _looks_windows(root: Path, names: set[str]) -> bool:
    return names & LINUX_DIRS == {"system"} and any((root / "system" / m).exists() for m in _WINDOWS_MARKERS)


def _layout_root(root: Path) -> tuple[Path, str]:
    """Find the bundle's real root under `root` (strip re-pack folders) and its layout."""
    for _ in range(3):
        entries = [e for e in root.iterdir() if not e.name.startswith(".")] if root.is_dir() else []
        names = {e.name for e in entries}
        if _looks_windows(root, names):
            return root, "windows"
        if names & LINUX_DIRS:
            return root, "linux"
        if "bottlerocket-logs" in names and (root / "bottlerocket-logs").is_dir():
            return root / "bottlerocket-logs", "bottlerocket"
        if len(names & _BOTTLEROCKET_MARKERS) >= 2:
            return root, "bottlerocket"
        dirs = [e for e in entries if e.is_dir() and not e.is_symlink()]
        if len(dirs) == 1 and len(entries) == 1:  # one folder around everything: a customer's re-pack
            root = dirs[0]
            continue
        break
    return root, "linux"


def _nested_archive(root: Path) -> Path | None:
    """A lone archive file where the bundle should be: a customer's tarball inside a tarball."""
    files = []
    for p in root.rglob("*"):
        if p.is_file() and not p.is_symlink():
            files.append(p)
            if len(files) > 1:
                return None
    if len(files) == 1 and sniff(files[0]) in _ARCHIVES:
        return files[0]
    return None


def _extract(src: Path, dest: Path, limits: Limits) -> ExtractResult:
    kind = sniff(src)
    if kind == "empty":
        raise BundleError(f"{src.name} is an empty file, not a bundle")
    if kind == "zip":
        return extract_zip(src, dest, limits)
    if kind in ("gzip", "bzip2", "xz", "tar"):
        return extract_tar(src, dest, limits)
    raise BundleError(f"{src.name} is not a bundle archive: it looks like {kind} "
                      "(expected the EKS log collector's .tar.gz, a .tar, a Windows .zip or a directory)")


@contextmanager
def open_bundle(src: str | Path, workdir: Path, limits: Limits | None = None) -> Iterator[Bundle]:
    """Open a bundle. Archives are extracted (streaming, safely) into a fresh folder under `workdir`,
    removed on exit; directories are read in place and never modified.

    Raises InputError (missing path), BundleError (not a bundle, corrupt, nothing readable) or
    LimitExceeded (a limit hit before anything useful was read). Damage or a limit hit after some
    members were read gives a bundle with info.partial = True and info.partial_reason.
    """
    limits = limits or Limits()
    src = Path(src)
    if not src.exists():
        raise InputError(f"no such file or directory: {src}")
    if not src.is_dir() and not src.is_file():
        raise BundleError(f"{src} is not a regular file or a directory (a device, FIFO or socket?)")
    naming = parse_bundle_name(src.name)
    created: Path | None = None
    skipped: list[SkippedMember] = []
    partial_reason = None
    try:
        if src.is_dir():
            root = src
        else:
            workdir = Path(workdir)
            workdir.mkdir(parents=True, exist_ok=True)
            created = Path(tempfile.mkdtemp(prefix="extract-", dir=workdir))
            if sniff(src) == "plain text":
                root = _pasted(src, created, limits)
            else:
                try:
                    root, skipped, partial_reason, naming = _extract_nested(src, created, limits, naming)
                except PermissionError as err:
                    raise InputError(f"cannot read {src}: {err.strerror}") from err
        root, layout = (root, "pasted") if (root / PASTED_DIR).is_dir() and src.is_file() else _layout_root(root)
        info = BundleInfo(name=src.name, instance_id=naming["instance_id"], collected_at=naming["collected_at"],
                          collector_version=naming["collector_version"], layout=layout,
                          partial=partial_reason is not None, partial_reason=partial_reason,
                          skipped=skipped, source=str(src))
        if layout == "linux" and naming["layout"] in ("windows", "bottlerocket"):
            info.layout = naming["layout"]  # the name is the only clue left (e.g. an unusual re-pack)
        bundle = Bundle(root, info, limits)
        if not bundle.files():
            raise BundleError(f"{src.name} holds no readable files" +
                              (f" ({len(skipped)} members skipped: {skipped[0].reason}, ...)" if skipped else ""))
        if not info.instance_id:
            iid = (bundle.read_text("system/instance-id.txt", 64) or "").strip()
            if re.fullmatch(r"i-[0-9a-f]{8,17}", iid):
                info.instance_id = iid
        info.family = detect_family(bundle)
        yield bundle
    finally:
        if created is not None:
            shutil.rmtree(created, ignore_errors=True)


PASTED_DIR = "pasted"


def _pasted(src: Path, dest: Path, limits: Limits) -> Path:
    """Log lines pasted into a ticket (no bundle around them): one file under pasted/, where every
    signal applies and each line's format is sniffed on its own."""
    size = src.stat().st_size
    if size > limits.max_member_bytes:
        raise BundleError(f"{src.name}: a text file of {size} bytes is over the member limit "
                          "(EKSDOCTOR_MAX_MEMBER_BYTES)")
    (dest / PASTED_DIR).mkdir(parents=True)
    shutil.copyfile(src, dest / PASTED_DIR / (re.sub(r"[^A-Za-z0-9._-]", "_", src.name)[:100] or "lines.log"))
    return dest


def _extract_nested(src: Path, dest: Path, limits: Limits, naming: dict):
    """Extract `src`; while the result is a single archive file, extract that one too."""
    skipped: list[SkippedMember] = []
    partial = None
    current, previous = src, None
    for depth in range(limits.max_nesting + 1):
        target = dest / f"level{depth}"
        target.mkdir()
        result = _extract(current, target, limits)
        skipped += result.skipped
        partial = partial or result.partial_reason
        if previous is not None:  # the outer level only held `current`: free its disk space now
            shutil.rmtree(previous, ignore_errors=True)
        if result.files == 0:
            raise BundleError(f"{current.name} is an empty archive" +
                              (f" ({len(result.skipped)} members skipped, e.g. {result.skipped[0].path}: "
                               f"{result.skipped[0].reason})" if result.skipped else ""))
        inner = _nested_archive(target)
        if inner is None:
            return target, skipped, partial, naming
        if depth == limits.max_nesting:
            raise BundleError(f"{src.name}: archives nested more than {limits.max_nesting} deep "
                              "(raise EKSDOCTOR_MAX_NESTING, or extract the inner archive first)")
        inner_naming = parse_bundle_name(inner.name)
        naming = {k: naming.get(k) or inner_naming.get(k) for k in set(naming) | set(inner_naming)}
        current, previous = inner, target
    return target, skipped, partial, naming
