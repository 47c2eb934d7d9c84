"""`eksdoctor import`: store a bundle in the workspace once, keyed by instance id, and index it.

Steps: hash the source (sha256; an identical bundle already imported is a no-op) -> extract into a
staging directory under tmp/ -> build the line index there -> swap it into bundles/<key> under a
per-key lock, moving a different earlier bundle of the same instance to <key>@<collected_at>.
Two processes importing the same bundle serialise on a per-sha lock: the second finds the
first one's result and reuses it. A crash leaves only a staging directory in tmp/.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path

from eksdoctor import __version__
from eksdoctor.errors import InputError
from eksdoctor.index import INDEX_VERSION, build_index
from eksdoctor.workspace import Workspace, apply_meta, key_for, record, resolve_workspace, stamp, writing

Progress = Callable[[str, int, int | None], None]
_CHUNK = 4 << 20


def sha256_file(path: Path, progress: Progress | None = None) -> str:
    """sha256 of a file, streamed in 4 MiB chunks."""
    digest = hashlib.sha256()
    total = path.stat().st_size
    done = 0
    with open(path, "rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
            done += len(chunk)
            if progress:
                progress("hash", done, total)
    return digest.hexdigest()


def import_bundle(path: str | Path, *, workspace: str | Path | None = None, progress: Progress | None = None,
                  limits=None) -> dict:
    """Import a bundle (tarball/zip or extracted directory). Returns its record plus "status":
    "imported" (new), "replaced" (an earlier bundle of the same key moved to "previous"), or
    "unchanged" (the same sha256 was already imported)."""
    src = Path(path).expanduser()
    if not src.exists():
        raise InputError(f"no such file or directory: {path}")
    started = time.perf_counter()
    ws = resolve_workspace(workspace)
    ws.ensure()
    if src.is_file():
        digest = sha256_file(src, progress)
        with ws.lock(f"sha-{digest[:20]}"):
            if (key := _imported_sha(ws, digest)) is not None:
                return record(ws, key, ws.meta(key), status="unchanged", previous=None)
            return _import(ws, src, digest, progress, limits, started)
    with ws.lock(f"dir-{hashlib.sha256(str(src.resolve()).encode()).hexdigest()[:20]}"):
        return _import(ws, src, None, progress, limits, started)


def _imported_sha(ws: Workspace, digest: str) -> str | None:
    for key in ws.keys():
        meta = ws.meta(key)
        if meta and meta.get("sha256") == digest and "@" not in key:
            return key
    for key in ws.keys():  # an older copy still holds it: the bundle is not lost, say so
        meta = ws.meta(key)
        if meta and meta.get("sha256") == digest:
            return key
    return None


def _import(ws: Workspace, src: Path, digest: str | None, progress, limits, started: float) -> dict:
    from eksdoctor.bundle import open_bundle

    with ws.scratch("import") as stage:
        with writing(ws, f"importing {src.name}"):
            for sub in ("extract", "reopen"):
                (stage / sub).mkdir(parents=True)
            files = stage / "files"
            if progress:
                progress("extract", 0, None)
            with open_bundle(src, stage / "extract", limits) as bundle:
                info_dict = bundle.info.to_dict()
                if digest is None:
                    digest = _copy_tree(bundle, files)
                else:
                    _move_tree(bundle, files)
            if progress:
                progress("extract", 1, 1)
            if src.is_dir() and (done := _imported_sha(ws, digest)) is not None:
                return record(ws, done, ws.meta(done), status="unchanged", previous=None)
            key = key_for(bundle.info)
            meta = {
                "key": key,
                "bundle": {**info_dict, "source": str(src.resolve())},
                "sha256": digest,
                "source": str(src.resolve()),
                "source_name": src.name,
                "source_size": src.stat().st_size if src.is_file() else None,
                "imported_at": datetime.now(timezone.utc).isoformat().replace("+00:00", "Z"),
                "eksdoctor_version": __version__,
            }
            with open_bundle(files, stage / "reopen", limits) as stored:
                apply_meta(stored.info, meta)
                meta["index"] = {**build_index(stored, stage / "index.sqlite", progress=progress),
                                 "version": INDEX_VERSION}
            shutil.rmtree(stage / "extract", ignore_errors=True)
            shutil.rmtree(stage / "reopen", ignore_errors=True)
            (stage / "meta.json").write_text(json.dumps(meta, indent=2, sort_keys=True), encoding="utf-8")
            status, previous = _install(ws, stage, key, meta)
    elapsed = round((time.perf_counter() - started) * 1000)
    return record(ws, key, ws.meta(key) or meta, status=status, previous=previous, elapsed_ms=elapsed)


def _install(ws: Workspace, stage: Path, key: str, meta: dict) -> tuple[str, str | None]:
    """Swap the staged import into bundles/<key>; keep a different earlier bundle as <key>@<stamp>."""
    with ws.lock(f"key-{key}"):
        target = ws.bundle_dir(key)
        if not target.exists():
            os.rename(stage, target)
            return "imported", None
        old = ws.meta(key) or {}
        if old.get("sha256") == meta["sha256"]:
            return "unchanged", None  # raced with an identical import; the staged copy is discarded
        base = f"{key}@{stamp((old.get('bundle') or {}).get('collected_at') or old.get('imported_at'))}"
        previous, n = base, 2
        while ws.bundle_dir(previous).exists():
            previous, n = f"{base}-{n}", n + 1
        os.rename(target, ws.bundle_dir(previous))
        os.rename(stage, target)
        return "replaced", previous


def _move_tree(bundle, dest: Path) -> None:
    """Move an archive's extracted tree (ours, inside the staging dir) to `dest`; copy if it is not ours."""
    root = Path(bundle.root).resolve()
    if dest.parent.resolve() in root.parents:
        os.rename(root, dest)
    else:
        _copy_tree(bundle, dest)


def _copy_tree(bundle, dest: Path) -> str:
    """Copy a directory bundle's regular files into `dest`, hashing paths and contents on the way."""
    digest = hashlib.sha256()
    for rel in bundle.files():
        out = dest / rel
        out.parent.mkdir(parents=True, exist_ok=True)
        digest.update(rel.encode("utf-8", "surrogateescape") + b"\0")
        with bundle.open(rel) as fin, open(out, "wb") as fout:
            while chunk := fin.read(_CHUNK):
                digest.update(chunk)
                fout.write(chunk)
        digest.update(b"\0")
    dest.mkdir(parents=True, exist_ok=True)
    return digest.hexdigest()
