"""The workspace: where imported bundles, their line index and per-bundle results live.

    <root>/                      --workspace | $EKSDOCTOR_HOME | $XDG_DATA_HOME/eksdoctor | ~/.local/share/eksdoctor
      bundles/<key>/             key = instance id (i-0abc...), else a name derived from the file name
        files/                   the extracted bundle
        meta.json                BundleInfo + sha256 + source + imported_at + index stats
        index.sqlite             line index (eksdoctor.index)
        aws-context.json         written by the collectors, if any
        diagnosis.json           cached diagnosis, written by the diagnose pipeline
      bundles/<key>@<stamp>/     an earlier, different bundle of the same instance (nothing is lost)
      tmp/                       scratch: extraction of tarballs that are not imported, staging of imports
      locks/                     fcntl lock files (imports of the same bundle / instance serialise here)

`open_target` is what every command uses to turn TARGET (tarball, directory, or imported key) into
an open `Bundle`. Nothing is ever written outside the workspace root.
"""

from __future__ import annotations

import difflib
import errno
import fcntl
import json
import os
import re
import shutil
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from eksdoctor.errors import InputError, WorkspaceError
from eksdoctor.models import BundleInfo, SkippedMember

LOCK_TIMEOUT_S = float(os.environ.get("EKSDOCTOR_LOCK_TIMEOUT", "600"))
_KEY_OK = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}(@[A-Za-z0-9._-]{1,64})?$")
_INSTANCE_ID = re.compile(r"^(i|mi)-[0-9a-f]{8,17}$")
_ARCHIVE_SUFFIX = re.compile(r"(\.tar\.gz|\.tgz|\.tar|\.zip|\.gz)$", re.IGNORECASE)


@dataclass(frozen=True)
class Workspace:
    """A workspace root and its layout. Directories are created on first write, not on read."""

    root: Path

    @property
    def bundles(self) -> Path:
        return self.root / "bundles"

    @property
    def tmp(self) -> Path:
        return self.root / "tmp"

    @property
    def locks(self) -> Path:
        return self.root / "locks"

    def bundle_dir(self, key: str) -> Path:
        """Directory of an imported bundle (files/, meta.json, index.sqlite, aws-context.json, ...)."""
        if not _KEY_OK.match(key or ""):
            raise InputError(f"invalid bundle key {key!r}: use an instance id like i-0abc123def4567890")
        return self.bundles / key

    def ensure(self) -> None:
        """Create the layout; WorkspaceError when the root cannot be written."""
        with writing(self, "creating the workspace"):
            for d in (self.bundles, self.tmp, self.locks):
                d.mkdir(parents=True, exist_ok=True)

    def keys(self) -> list[str]:
        """Keys of the imported bundles (including earlier versions key@stamp), sorted."""
        if not self.bundles.is_dir():
            return []
        return sorted(p.name for p in self.bundles.iterdir() if (p / "meta.json").is_file())

    def meta(self, key: str) -> dict | None:
        try:
            return json.loads((self.bundle_dir(key) / "meta.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None

    @contextmanager
    def scratch(self, prefix: str) -> Iterator[Path]:
        """A unique directory under tmp/ (not created), removed with its contents on exit."""
        path = self.tmp / f"{prefix}-{os.getpid()}-{uuid.uuid4().hex[:12]}"
        try:
            yield path
        finally:
            shutil.rmtree(path, ignore_errors=True)

    @contextmanager
    def lock(self, name: str, timeout: float | None = None) -> Iterator[None]:
        """Exclusive inter-process lock (fcntl) on locks/<name>.lock; waits up to `timeout` seconds."""
        self.ensure()
        timeout = LOCK_TIMEOUT_S if timeout is None else timeout
        path = self.locks / f"{name}.lock"
        with writing(self, "taking a lock"):
            fh = open(path, "a+b")  # noqa: SIM115 - held for the duration of the context
        try:
            deadline = time.monotonic() + timeout
            while True:
                try:
                    fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        raise WorkspaceError(
                            f"workspace {self.root} is locked by another eksdoctor process ({path.name}) "
                            f"for more than {timeout:g} s",
                            hint="wait for the other import to finish, or set EKSDOCTOR_LOCK_TIMEOUT") from None
                    time.sleep(0.05)
            yield
        finally:
            fh.close()  # closing releases the flock


def resolve_workspace(workspace: str | Path | None = None) -> Workspace:
    """The workspace to use: explicit path, else $EKSDOCTOR_HOME, else $XDG_DATA_HOME/eksdoctor,
    else ~/.local/share/eksdoctor. Nothing is created here."""
    if workspace:
        root = Path(workspace)
    elif os.environ.get("EKSDOCTOR_HOME"):
        root = Path(os.environ["EKSDOCTOR_HOME"])
    elif os.environ.get("XDG_DATA_HOME"):
        root = Path(os.environ["XDG_DATA_HOME"]) / "eksdoctor"
    else:
        root = Path.home() / ".local" / "share" / "eksdoctor"
    return Workspace(root.expanduser().absolute())


@contextmanager
def writing(ws: Workspace, action: str) -> Iterator[None]:
    """Turn 'disk full' and 'read-only' OS errors into a one-line WorkspaceError."""
    try:
        yield
    except OSError as err:
        code = err.errno
        if code in (errno.ENOSPC, errno.EDQUOT):
            raise WorkspaceError(f"no space left in workspace {ws.root} while {action}",
                                 hint="free some disk space, or use a larger disk with --workspace / EKSDOCTOR_HOME"
                                 ) from None
        if isinstance(err, PermissionError) or code in (errno.EACCES, errno.EPERM, errno.EROFS):
            raise WorkspaceError(f"workspace {ws.root} is not writable while {action} ({err.strerror or err})",
                                 hint="choose a writable directory with --workspace or EKSDOCTOR_HOME") from None
        raise


# --- keys ---------------------------------------------------------------------------------------


def key_for(info: BundleInfo) -> str:
    """Instance id when known, else a safe name derived from the bundle's file name."""
    if info.instance_id and _INSTANCE_ID.match(info.instance_id):
        return info.instance_id
    return name_key(info.name or "bundle")


def name_key(name: str) -> str:
    stem = _ARCHIVE_SUFFIX.sub("", Path(name).name)
    key = re.sub(r"[^A-Za-z0-9._-]+", "_", stem).strip("._-")[:100]
    return key or "bundle"


def stamp(dt: datetime | str | None) -> str:
    """Compact UTC stamp for key@stamp ('20240606T1940Z')."""
    if isinstance(dt, str):
        try:
            dt = datetime.fromisoformat(dt.replace("Z", "+00:00"))
        except ValueError:
            dt = None
    if dt is None:
        return "unknown"
    return dt.strftime("%Y%m%dT%H%MZ")


# --- targets ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """What a TARGET string designates: an imported key, an archive file, or a directory."""

    kind: str            # "imported" | "archive" | "directory"
    path: Path           # bundle_dir for imported, else the file/directory
    key: str | None = None
    meta: dict | None = None


def resolve_target(target: str, workspace: str | Path | None = None) -> Target:
    """Classify TARGET without opening it; InputError (with close matches) when it is unknown."""
    ws = resolve_workspace(workspace)
    if not target:
        raise InputError("empty TARGET: give a bundle tarball, an extracted directory or an imported instance id")
    path = Path(target).expanduser()
    if path.is_dir():
        return Target("directory", path)
    if path.is_file():
        imported = find_imported_copy(ws, path)
        return imported or Target("archive", path)
    if _KEY_OK.match(target) and (ws.bundles / target / "meta.json").is_file():
        return Target("imported", ws.bundles / target, target, ws.meta(target))
    if "/" in target or os.sep in target or _ARCHIVE_SUFFIX.search(target):
        raise InputError(f"no such file or directory: {target}")
    keys = ws.keys()
    close = [k for k in keys if k.startswith(target)] or difflib.get_close_matches(target, keys, n=3, cutoff=0.6)
    hint = (f"did you mean {', '.join(close[:3])}? " if close else "") + \
        "Import a bundle first with `eksdoctor import BUNDLE.tar.gz`, or list them with `eksdoctor bundles`"
    raise InputError(f"no bundle {target!r} in workspace {ws.root}", hint=hint)


def find_imported_copy(ws: Workspace, path: Path) -> Target | None:
    """The imported bundle made from this exact file (same name, size and sha256), if any."""
    try:
        size = path.stat().st_size
    except OSError:
        return None
    candidates = [(k, m) for k in ws.keys() if (m := ws.meta(k))
                  and m.get("source_name") == path.name and m.get("source_size") == size]
    if not candidates:
        return None
    from eksdoctor.importer import sha256_file  # only when a name/size match makes hashing worth it

    digest = sha256_file(path)
    for key, meta in candidates:
        if meta.get("sha256") == digest:
            return Target("imported", ws.bundles / key, key, meta)
    return None


@contextmanager
def open_target(target: str, workspace: str | Path | None = None, limits=None) -> Iterator:
    """Open TARGET as a `Bundle` (see eksdoctor.bundle): a tarball/zip path, an extracted bundle
    directory, or an instance id (or name key) already imported. A tarball that is not imported is
    extracted into the workspace tmp/ and removed on exit. Unknown TARGET -> InputError with a hint.
    """
    from eksdoctor.bundle import open_bundle

    ws = resolve_workspace(workspace)
    resolved = resolve_target(target, ws.root)
    source = resolved.path / "files" if resolved.kind == "imported" else resolved.path
    with ws.scratch(resolved.kind) as workdir, ExitStack() as stack:
        if resolved.kind == "archive":
            ws.ensure()
        with writing(ws, f"opening {source.name}"):
            try:
                workdir.mkdir(parents=True)
            except OSError:
                if resolved.kind == "archive":
                    raise
                # a directory is read in place: a read-only workspace must not stop us reading it
            bundle = stack.enter_context(open_bundle(source, workdir, limits))
        if resolved.kind == "imported":
            apply_meta(bundle.info, resolved.meta or {})
        yield bundle


def apply_meta(info: BundleInfo, meta: dict) -> None:
    """Restore what was known about an imported bundle when it was an archive (name, partial, skipped...)."""
    b = meta.get("bundle") or {}
    for field in ("name", "instance_id", "collector_version", "family", "layout", "partial",
                  "partial_reason", "source"):
        if field in b:
            setattr(info, field, b[field])
    if b.get("collected_at"):
        info.collected_at = datetime.fromisoformat(b["collected_at"].replace("Z", "+00:00"))
    if "skipped" in b:
        info.skipped = [SkippedMember(s["path"], s["reason"]) for s in b["skipped"] if isinstance(s, dict)]


def list_bundles(workspace: str | Path | None = None) -> list[dict]:
    """Imported bundles, one record each (see `record`), sorted by key."""
    ws = resolve_workspace(workspace)
    return [record(ws, k, m) for k in ws.keys() if (m := ws.meta(k))]


def record(ws: Workspace, key: str, meta: dict, **extra) -> dict:
    """The public view of one imported bundle."""
    b = meta.get("bundle") or {}
    out = {
        "key": key,
        "instance_id": b.get("instance_id"),
        "name": b.get("name"),
        "collected_at": b.get("collected_at"),
        "family": b.get("family"),
        "partial": b.get("partial", False),
        "sha256": meta.get("sha256"),
        "imported_at": meta.get("imported_at"),
        "files": (meta.get("index") or {}).get("files"),
        "lines_indexed": (meta.get("index") or {}).get("lines"),
        "current": "@" not in key,
        "path": str(ws.bundles / key),
    }
    out.update(extra)
    return out
