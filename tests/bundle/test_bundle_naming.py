"""parse_bundle_name: every bundle name form of bundle-format.md 1.2/1.4/4.1/4.4; unknown names never raise."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from eksdoctor.bundle import parse_bundle_name


@pytest.mark.parametrize("name, iid, when, version, layout", [
    ("eks_i-0b318f704c74b6ab2_2024-06-06_1933-UTC_0.7.8.tar.gz", "i-0b318f704c74b6ab2",
     datetime(2024, 6, 6, 19, 33, tzinfo=timezone.utc), "0.7.8", "linux"),
    ("eks_i-0abc1234_2020-01-02_0005-UTC_0.6.2.tgz", "i-0abc1234",
     datetime(2020, 1, 2, 0, 5, tzinfo=timezone.utc), "0.6.2", "linux"),
    ("eks_i-0abc1234_2020-01-02_0005-UTC_0.6.2.tar", "i-0abc1234",
     datetime(2020, 1, 2, 0, 5, tzinfo=timezone.utc), "0.6.2", "linux"),
    ("/var/log/eks__2025-11-30_2359-UTC_0.7.9.tar.gz", None,  # empty instance id (IMDS unreachable)
     datetime(2025, 11, 30, 23, 59, tzinfo=timezone.utc), "0.7.9", "linux"),
    ("eks_i-0abc1234_2024-06-06_1933-UTC_0.7.8", "i-0abc1234",  # an extracted directory keeps the stem
     datetime(2024, 6, 6, 19, 33, tzinfo=timezone.utc), "0.7.8", "linux"),
    ("eks_i-0b318f704c74b6ab2_20200101T0620179658Z.zip", "i-0b318f704c74b6ab2",
     datetime(2020, 1, 1, 6, 20, 17, tzinfo=timezone.utc), None, "windows"),
    ("bottlerocket-logs.tar.gz", None, None, None, "bottlerocket"),
])
def test_known_names(name, iid, when, version, layout) -> None:
    parsed = parse_bundle_name(name)
    assert (parsed["instance_id"], parsed["collected_at"], parsed["collector_version"], parsed["layout"]) == \
        (iid, when, version, layout)
    if when:
        assert parsed["collected_at"].tzinfo is not None


def test_runbook_key_carries_execution_id() -> None:
    parsed = parse_bundle_name("eks_i-0abc1234def567890_3f2b9c1e-5d4a-4b7c-9e8f-0a1b2c3d4e5f.tar.gz")
    assert parsed["instance_id"] == "i-0abc1234def567890"
    assert parsed["execution_id"] == "3f2b9c1e-5d4a-4b7c-9e8f-0a1b2c3d4e5f"
    assert parsed["collected_at"] is None


def test_impossible_date_gives_none_not_an_error() -> None:
    parsed = parse_bundle_name("eks_i-0abc1234_2024-13-45_9999-UTC_0.7.8.tar.gz")
    assert parsed["instance_id"] == "i-0abc1234" and parsed["collected_at"] is None


def test_unknown_name_finds_an_instance_id_anywhere() -> None:
    parsed = parse_bundle_name("ticket-1234 logs from i-0abc12345678.tar.gz")
    assert parsed["instance_id"] == "i-0abc12345678"
    assert parse_bundle_name("upload.tar.gz") == {"instance_id": None, "collected_at": None,
                                                  "collector_version": None, "layout": None,
                                                  "execution_id": None}


@given(st.text(max_size=300))
def test_never_raises(name: str) -> None:
    parsed = parse_bundle_name(name)
    assert set(parsed) >= {"instance_id", "collected_at", "collector_version", "layout"}
