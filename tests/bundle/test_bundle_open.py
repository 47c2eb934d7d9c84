"""open_bundle over every accepted layout, and the Bundle read API."""

from __future__ import annotations

import io
import os
import tarfile
import zipfile
from pathlib import Path

import pytest
from conftest import AL2023_UNAME, AL2_UNAME, dir_bundle, streamed_zip, tar_bundle, zip_bundle

from eksdoctor.bundle import Limits, open_bundle
from eksdoctor.errors import BundleError, InputError

IID = "i-0123456789abcdef0"
NAME = f"eks_{IID}_2024-06-06_1933-UTC_0.7.8.tar.gz"
AL2 = {"kernel/uname.txt": AL2_UNAME, "kubelet/kubelet.log": "I0606 started\n", "var_log/messages": "x\n"}


def test_collector_tarball(tmp_path: Path, workdir: Path) -> None:
    src = tar_bundle(tmp_path / NAME, AL2)
    with open_bundle(src, workdir) as bundle:
        assert bundle.files() == ["kernel/uname.txt", "kubelet/kubelet.log", "var_log/messages"]
        info = bundle.info
        assert (info.instance_id, info.collector_version, info.family, info.layout) == (IID, "0.7.8", "al2", "linux")
        assert info.collected_at.isoformat() == "2024-06-06T19:33:00+00:00"
        assert not info.partial and info.skipped == [] and info.source == str(src)
        root = bundle.root
        assert root.resolve().is_relative_to(workdir.resolve())
    assert not root.exists(), "the extraction is removed on exit"


def test_repacked_with_one_top_folder(tmp_path: Path, workdir: Path) -> None:
    src = tar_bundle(tmp_path / "customer-upload.tgz", AL2, prefix="eks_i-0123456789abcdef0_2024/")
    with open_bundle(src, workdir) as bundle:
        assert "kubelet/kubelet.log" in bundle.files()
        assert bundle.info.instance_id is None  # neither the name nor system/instance-id.txt has one


def test_format_is_detected_by_magic_not_extension(tmp_path: Path, workdir: Path) -> None:
    src = tar_bundle(tmp_path / "bundle.zip", AL2, mode="w:bz2")  # a bzip2 tarball named .zip
    with open_bundle(src, workdir) as bundle:
        assert bundle.info.family == "al2"
    png = tmp_path / "photo.tar.gz"
    png.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(100))
    with pytest.raises(BundleError, match="PNG image"):
        with open_bundle(png, workdir):
            pass


def test_directory_is_read_in_place_and_not_modified(tmp_path: Path, workdir: Path) -> None:
    root = dir_bundle(tmp_path / "eks_i-0123456789abcdef0_2024-06-06_1933-UTC_0.7.8", {
        **AL2, "system/instance-id.txt": IID + "\n"})
    before = sorted((str(p), p.stat().st_mtime_ns) for p in root.rglob("*"))
    with open_bundle(root, workdir) as bundle:
        assert bundle.root == root
        assert bundle.info.collector_version == "0.7.8" and bundle.info.instance_id == IID
        assert bundle.read_text("kubelet/kubelet.log") == "I0606 started\n"
    assert sorted((str(p), p.stat().st_mtime_ns) for p in root.rglob("*")) == before
    assert not workdir.exists() or not any(workdir.iterdir())


def test_instance_id_falls_back_to_instance_id_txt(tmp_path: Path, workdir: Path) -> None:
    src = tar_bundle(tmp_path / "eks__2024-06-06_1933-UTC_0.7.8.tar.gz", {**AL2, "system/instance-id.txt": IID + "\n"})
    with open_bundle(src, workdir) as bundle:
        assert bundle.info.instance_id == IID


def test_instance_id_txt_garbage_is_ignored(tmp_path: Path, workdir: Path) -> None:
    src = tar_bundle(tmp_path / "b.tar.gz", {**AL2, "system/instance-id.txt": "not an id; rm -rf /\n"})
    with open_bundle(src, workdir) as bundle:
        assert bundle.info.instance_id is None


def test_windows_zip_keeps_forward_slashes(tmp_path: Path, workdir: Path) -> None:
    src = zip_bundle(tmp_path / f"eks_{IID}_20200101T0620179658Z.zip", {
        "system\\sysinfo": "OS Name: Microsoft Windows Server 2022\r\n",
        "system\\kubelet\\kubelet-service.csv": '"TimeCreated","Message"\r\n'})
    with open_bundle(src, workdir) as bundle:
        assert bundle.files() == ["system/kubelet/kubelet-service.csv", "system/sysinfo"]
        assert (bundle.info.family, bundle.info.layout, bundle.info.instance_id) == ("windows", "windows", IID)


def test_windows_zip_recognised_by_content_under_any_name(tmp_path: Path, workdir: Path) -> None:
    src = zip_bundle(tmp_path / "logs.zip", {"system/sysinfo": "x", "system/services": "y"})
    with open_bundle(src, workdir) as bundle:
        assert bundle.info.family == "windows"


def test_bottlerocket_logdog(tmp_path: Path, workdir: Path) -> None:
    src = tar_bundle(tmp_path / "bottlerocket-logs.tar.gz", {
        "os-release": "NAME=Bottlerocket\n", "journalctl.log": "Jun 06 kubelet\n", "logdog.errors": ""},
        prefix="bottlerocket-logs/")
    with open_bundle(src, workdir) as bundle:
        assert "journalctl.log" in bundle.files()
        assert (bundle.info.family, bundle.info.layout) == ("bottlerocket", "bottlerocket")


def test_nested_tarball_opens_the_inner_bundle(tmp_path: Path, workdir: Path) -> None:
    inner = tar_bundle(tmp_path / NAME, AL2)
    outer = tmp_path / "ticket-42.tar"
    with tarfile.open(outer, "w") as tar:
        tar.add(inner, arcname="attachments/" + NAME)
    with open_bundle(outer, workdir) as bundle:
        assert "kubelet/kubelet.log" in bundle.files()
        assert bundle.info.instance_id == IID and bundle.info.name == "ticket-42.tar"


def test_single_gzip_file_in_a_bundle_is_not_mistaken_for_nesting(tmp_path: Path, workdir: Path) -> None:
    src = tar_bundle(tmp_path / "b.tar.gz", {"gpu/nvidia-bug-report.log.gz": b"\x1f\x8b\x08\x00junk"})
    with pytest.raises(BundleError, match="not a tar archive"):
        with open_bundle(src, workdir):
            pass


@pytest.mark.parametrize("files, family", [
    ({"kernel/uname.txt": AL2023_UNAME}, "al2023"),
    ({"kernel/uname.txt": AL2_UNAME}, "al2"),
    ({"nodeadm/nodeadm-config.log": '{"level":"info","msg":"Loaded configuration"}\n'}, "al2023"),
    ({"nodeadm/nodeadm-config.log": "-- No entries --\n", "var_log/messages": "x\n"}, "al2"),
    ({"system/pkglist.txt": "kernel-6.1.92-99.174.amzn2023.x86_64\n"}, "al2023"),
    ({"kubelet/kubelet.log": "x\n"}, "unknown"),
])
def test_family_detection(files, family, tmp_path: Path, workdir: Path) -> None:
    with open_bundle(dir_bundle(tmp_path / "b", files), workdir) as bundle:
        assert bundle.info.family == family


def test_bundle_read_api(tmp_path: Path, workdir: Path) -> None:
    with open_bundle(tar_bundle(tmp_path / NAME, {**AL2, "ipamd/enis.json": ""}), workdir) as bundle:
        assert bundle.exists("kubelet/kubelet.log") and not bundle.exists("kubelet/nope.log")
        assert bundle.size("ipamd/enis.json") == 0 and bundle.size("nope") is None
        assert bundle.read_text("nope") is None
        assert bundle.read_text("kubelet/kubelet.log", max_bytes=5) == "I0606"
        with bundle.open("kernel/uname.txt") as f:
            assert f.read().decode() == AL2_UNAME
        assert not bundle.exists("../" + bundle.root.name + "/kubelet/kubelet.log")
        with pytest.raises(InputError):
            bundle.open("../../etc/passwd")
        with pytest.raises(BundleError, match="cannot read"):
            bundle.open("kubelet/nope.log")


def test_directory_links_are_never_followed(tmp_path: Path, workdir: Path) -> None:
    outside = dir_bundle(tmp_path / "outside", {"secret.txt": "s3cret\n"})
    root = dir_bundle(tmp_path / "b", AL2)
    os.symlink(outside, root / "var_log" / "linked")
    os.symlink(outside / "secret.txt", root / "kubelet" / "secret.txt")
    with open_bundle(root, workdir) as bundle:
        assert not [f for f in bundle.files() if "secret" in f or "linked" in f]
        assert not bundle.exists("kubelet/secret.txt") and not bundle.exists("var_log/linked/secret.txt")
        assert bundle.read_text("var_log/linked/secret.txt") is None


def test_missing_and_special_paths(tmp_path: Path, workdir: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        with open_bundle(tmp_path / "nope.tar.gz", workdir):
            pass
    fifo = tmp_path / "pipe.tar.gz"
    os.mkfifo(fifo)
    with pytest.raises(BundleError, match="not a regular file"):
        with open_bundle(fifo, workdir):
            pass
    (tmp_path / "emptydir" / "kubelet").mkdir(parents=True)
    with pytest.raises(BundleError, match="no readable files"):
        with open_bundle(tmp_path / "emptydir", workdir):
            pass


def test_file_where_a_folder_should_be_is_skipped_not_fatal(tmp_path: Path, workdir: Path) -> None:
    src = tmp_path / "b.tar.gz"
    with tarfile.open(src, "w:gz") as tar:
        for name, data in [("./kubelet", b"a file"), ("./kubelet/kubelet.log", b"x\n"), ("./kernel/uname.txt",
                                                                                        AL2_UNAME.encode())]:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    with open_bundle(src, workdir) as bundle:
        assert bundle.files() == ["kernel/uname.txt", "kubelet"]
        assert [s.path for s in bundle.info.skipped] == ["kubelet/kubelet.log"]
        assert "cannot be written" in bundle.info.skipped[0].reason


def test_limits_from_environment(monkeypatch) -> None:
    monkeypatch.setenv("EKSDOCTOR_MAX_MEMBERS", "10")
    monkeypatch.setenv("EKSDOCTOR_MAX_RATIO", "not-a-number")  # a typo must not disable the guard
    monkeypatch.setenv("EKSDOCTOR_MAX_LINE_BYTES", "-5")
    limits = Limits()
    assert (limits.max_members, limits.max_ratio, limits.max_line_bytes) == (10, 200.0, 1 << 20)


def test_skipped_list_is_capped_but_counted(tmp_path: Path, workdir: Path) -> None:
    src = tmp_path / "b.tar"
    with tarfile.open(src, "w") as tar:
        info = tarfile.TarInfo("./kernel/uname.txt")
        raw = AL2_UNAME.encode()
        info.size = len(raw)
        tar.addfile(info, io.BytesIO(raw))
        for i in range(1500):
            link = tarfile.TarInfo(f"./l{i}")
            link.type, link.linkname = tarfile.SYMTYPE, "/etc/passwd"
            tar.addfile(link)
    with open_bundle(src, workdir) as bundle:
        assert len(bundle.info.skipped) == 1001
        assert bundle.info.skipped[-1].reason == "500 more skipped members not listed"


WINDOWS_MEMBERS = {
    "system/sysinfo": b"OS Name: Microsoft Windows Server 2022 Datacenter\r\n" * 50,
    "system/kubelet/kubelet-service.csv": b'"TimeCreated","Message"\r\n"1/1/2020","started"\r\n' * 200,
    "system/zz-big.txt": os.urandom(60_000),
}


def test_truncated_zip_keeps_the_members_before_the_cut(tmp_path: Path, workdir: Path) -> None:
    data = streamed_zip(WINDOWS_MEMBERS)
    assert zipfile.ZipFile(io.BytesIO(data)).infolist()[0].flag_bits & 0x8  # data descriptors in use
    src = tmp_path / f"eks_{IID}_20200101T0620179658Z.zip"
    src.write_bytes(data[: int(len(data) * 0.8)])
    with pytest.raises(zipfile.BadZipFile):
        zipfile.ZipFile(src)  # what a plain reader makes of it
    with open_bundle(src, workdir) as bundle:
        assert bundle.info.partial and "zip archive is truncated" in bundle.info.partial_reason
        assert "system/zz-big.txt is cut short" in bundle.info.partial_reason
        for name in ("system/sysinfo", "system/kubelet/kubelet-service.csv"):
            assert (bundle.root / name).read_bytes() == WINDOWS_MEMBERS[name]
        assert bundle.info.family == "windows"


def test_zip_missing_only_its_directory_is_partial_with_every_member(tmp_path: Path, workdir: Path) -> None:
    data = streamed_zip(WINDOWS_MEMBERS)
    src = tmp_path / "logs.zip"
    src.write_bytes(data[: data.rindex(b"PK\x01\x02", 0, data.index(b"PK\x05\x06"))])  # cut in the directory
    with open_bundle(src, workdir) as bundle:
        assert bundle.info.partial and "no central directory" in bundle.info.partial_reason
        for name, content in WINDOWS_MEMBERS.items():
            assert (bundle.root / name).read_bytes() == content


def test_zip_cut_inside_its_first_member_is_a_one_line_error(tmp_path: Path, workdir: Path) -> None:
    data = streamed_zip(WINDOWS_MEMBERS)
    src = tmp_path / "logs.zip"
    src.write_bytes(data[:60])
    with pytest.raises(BundleError) as err:
        with open_bundle(src, workdir):
            pass
    assert "logs.zip" in str(err.value) and "\n" not in str(err.value)
