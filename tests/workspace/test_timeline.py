"""timeline: pivot choice, window, merge order across sources, boot markers, cap."""

from __future__ import annotations

import pytest

from conftest import IID
from eksdoctor import api
from eksdoctor.errors import InputError


@pytest.fixture(params=["tarball", "imported"])
def target(request, workspace, tarball) -> str:
    if request.param == "tarball":
        return str(tarball)
    api.import_bundle(tarball)
    return IID


def test_pivot_is_earliest_match_and_window_merges_sources(target):
    res = api.timeline(target, "Unauthorized", window=12)
    pivot = res["pivot"]
    assert (pivot["path"], pivot["line"], pivot["ts"]) == ("kubelet/kubelet.log", 6, "2024-06-06T19:33:03.828406Z")
    refs = [e["ref"] for e in res["events"]]
    assert refs == [
        "var_log/cloud-init-output.log:4",    # 19:32:52 bootstrap
        "containerd/containerd-log.txt:1",    # 19:32:58
        "kubelet/kubelet.log:3",              # -- Reboot --, placed at the next line's time 19:33:01
        "kubelet/kubelet.log:4",              # 19:33:01
        "kubelet/kubelet.log:5",              # 19:33:03.796
        "kubelet/kubelet.log:6",              # pivot
        "kubelet/kubelet.log:7",
        "containerd/containerd-log.txt:2",    # 19:33:04
    ]
    kinds = {e["ref"]: e["kind"] for e in res["events"]}
    assert kinds["kubelet/kubelet.log:6"] == "pivot" and kinds["kubelet/kubelet.log:3"] == "boot"
    offsets = [e["offset_s"] for e in res["events"]]
    assert offsets == sorted(offsets) and offsets[5] == 0.0
    assert all(abs(o) <= 12 for o in offsets)
    assert res["total"] == 8 and not res["truncated"] and res["sources"]["kubelet"] == 4


def test_window_excludes_far_lines(target):
    res = api.timeline(target, "i/o timeout", window=60)
    assert res["pivot"]["line"] == 2
    assert {e["ref"] for e in res["events"]} == {"kubelet/kubelet.log:1", "kubelet/kubelet.log:2"}


def test_cap_keeps_nearest_in_time_order(target):
    res = api.timeline(target, "Unauthorized", window=12, max_events=3)
    assert [e["ref"] for e in res["events"]] == [
        "kubelet/kubelet.log:5", "kubelet/kubelet.log:6", "kubelet/kubelet.log:7"]
    assert res["truncated"] and res["omitted"] == 5 and res["total"] == 8


def test_no_match_is_input_error(target):
    with pytest.raises(InputError, match="no timestamped line matches") as err:
        api.timeline(target, "no such thing anywhere")
    assert "eksdoctor search" in err.value.hint
    with pytest.raises(InputError):
        api.timeline(target, "Unauthorized", window=0)
