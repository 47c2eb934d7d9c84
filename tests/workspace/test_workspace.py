"""Workspace layout, import, target resolution, locking and write failures."""

from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import IID, TARBALL_NAME, bundle_files, write_tarball
from eksdoctor import api
from eksdoctor.errors import InputError, WorkspaceError
from eksdoctor.workspace import name_key, open_target, resolve_workspace


def tree(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*")} if root.exists() else set()


def test_resolve_workspace_precedence(tmp_path, monkeypatch):
    monkeypatch.delenv("EKSDOCTOR_HOME", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert resolve_workspace().root == tmp_path / "xdg" / "eksdoctor"
    monkeypatch.setenv("EKSDOCTOR_HOME", str(tmp_path / "home"))
    assert resolve_workspace().root == tmp_path / "home"
    assert resolve_workspace(tmp_path / "explicit").root == tmp_path / "explicit"
    assert not (tmp_path / "home").exists()  # resolving never creates anything


def test_name_key_is_safe():
    assert name_key("eks__2025-01-07_1200-UTC_0.7.8.tar.gz") == "eks__2025-01-07_1200-UTC_0.7.8"
    assert name_key("../../etc/passwd") == "passwd"
    assert name_key("weird name (1).tgz") == "weird_name_1"


def test_import_tarball_then_reimport_is_noop(workspace, tarball, tmp_path):
    outside_before = tree(tmp_path) - {p for p in tree(tmp_path) if p.startswith("ws")}
    rec = api.import_bundle(tarball)
    assert rec["status"] == "imported" and rec["key"] == IID
    assert rec["name"] == TARBALL_NAME and rec["collected_at"] == "2024-06-06T19:40:00Z"
    bdir = workspace / "bundles" / IID
    assert (bdir / "files" / "kubelet" / "kubelet.log").is_file()
    assert (bdir / "index.sqlite").is_file()
    meta = json.loads((bdir / "meta.json").read_text())
    assert len(meta["sha256"]) == 64 and meta["source_name"] == TARBALL_NAME and meta["imported_at"].endswith("Z")
    assert rec["lines_indexed"] > 50
    again = api.import_bundle(tarball)
    assert again["status"] == "unchanged" and again["key"] == IID
    assert [b["key"] for b in api.list_bundles()] == [IID]
    assert list((workspace / "tmp").iterdir()) == []  # staging cleaned up
    outside_after = tree(tmp_path) - {p for p in tree(tmp_path) if p.startswith("ws")}
    assert outside_after == outside_before  # nothing written outside the workspace


def test_different_bundle_same_instance_keeps_previous(workspace, tarball, tmp_path):
    api.import_bundle(tarball)
    files = bundle_files()
    files["kubelet/kubelet.log"] += "Jun 06 19:45:00 host kubelet[1]: I0606 19:45:00.000000 1 x.go:1] later\n"
    (tmp_path / "newer").mkdir()
    newer = write_tarball(tmp_path / "newer" / f"eks_{IID}_2024-06-06_1950-UTC_0.7.8.tar.gz", files)
    rec = api.import_bundle(newer)
    assert rec["status"] == "replaced" and rec["previous"] == f"{IID}@20240606T1940Z"
    keys = [b["key"] for b in api.list_bundles()]
    assert keys == [IID, f"{IID}@20240606T1940Z"]
    assert api.list_bundles()[0]["name"] == newer.name
    # the first bundle, imported again, is recognised as already stored (as the previous copy)
    assert api.import_bundle(tarball)["status"] == "unchanged"


def test_import_directory_keys_by_instance_id(workspace, bundle_dir):
    rec = api.import_bundle(bundle_dir)
    assert rec["key"] == IID and rec["status"] == "imported"
    assert (workspace / "bundles" / IID / "files" / "networking" / "iproute.txt").is_file()
    assert api.import_bundle(bundle_dir)["status"] == "unchanged"
    assert (bundle_dir / "kubelet" / "kubelet.log").is_file()  # source untouched


def test_open_target_three_kinds(workspace, tarball, bundle_dir):
    with open_target(str(tarball)) as b:
        assert b.exists("kubelet/kubelet.log") and b.info.instance_id == IID
        scratch = list((workspace / "tmp").iterdir())
        assert len(scratch) == 1
    assert list((workspace / "tmp").iterdir()) == []  # scratch extraction removed on exit
    with open_target(str(bundle_dir)) as b:
        assert b.exists("networking/resolv.conf")
    api.import_bundle(tarball)
    with open_target(IID) as b:
        assert b.info.name == TARBALL_NAME and b.info.collected_at.year == 2024
        assert Path(b.root).is_relative_to(workspace / "bundles" / IID)


def test_unknown_target_hints_close_matches(workspace, tarball):
    api.import_bundle(tarball)
    with pytest.raises(InputError) as err:
        with open_target("i-0abc123"):
            pass
    assert "no bundle 'i-0abc123'" in str(err.value) and IID in err.value.hint
    with pytest.raises(InputError, match="no such file"):
        with open_target("/nope/bundle.tar.gz"):
            pass


def test_concurrent_imports_of_the_same_bundle(workspace, tarball):
    code = "import json,sys; from eksdoctor import api; print(json.dumps(api.import_bundle(sys.argv[1])))"
    env = {**os.environ, "EKSDOCTOR_HOME": str(workspace)}
    procs = [subprocess.Popen([sys.executable, "-c", code, str(tarball)], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, env=env) for _ in range(2)]
    results = []
    for p in procs:
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
        results.append(json.loads(out))
    assert sorted(r["status"] for r in results) == ["imported", "unchanged"]
    assert [b["key"] for b in api.list_bundles()] == [IID]


def test_read_only_workspace_is_workspace_error(workspace, tarball, monkeypatch):
    # We run as root in CI, where chmod does not stop writes: simulate the OS refusing.
    def refuse(self, *a, **k):
        raise PermissionError(errno.EACCES, "Permission denied", str(self))

    monkeypatch.setattr(Path, "mkdir", refuse)
    with pytest.raises(WorkspaceError, match="not writable") as err:
        api.import_bundle(tarball)
    assert "\n" not in str(err.value) and "--workspace" in err.value.hint


def test_disk_full_during_index_is_workspace_error(workspace, tarball, monkeypatch):
    import eksdoctor.importer as importer

    def full(*a, **k):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(importer, "build_index", full)
    with pytest.raises(WorkspaceError, match="no space left"):
        api.import_bundle(tarball)
    assert list((workspace / "tmp").iterdir()) == []
    assert api.list_bundles() == []


def test_directory_target_needs_no_writable_workspace(workspace, bundle_dir, monkeypatch):
    def refuse(self, *a, **k):
        raise PermissionError(errno.EACCES, "Permission denied", str(self))

    monkeypatch.setattr(Path, "mkdir", refuse)
    assert api.search(str(bundle_dir), "Unauthorized")["total"] == 5
    assert not workspace.exists()
