"""Bundle file names: instance id, collection time and collector version (bundle-format.md 1.2, 1.4)."""

from __future__ import annotations

import re
from datetime import datetime, timezone

_LINUX = re.compile(r"^eks_(?P<iid>i-[0-9a-f]+)?_(?P<date>\d{4}-\d{2}-\d{2})_(?P<hhmm>\d{4})-(?P<tz>[A-Z]+)"
                    r"_(?P<ver>\d+\.\d+\.\d+)(?:\.(?:tar\.gz|tgz|tar))?$")  # no suffix: an extracted directory
_RUNBOOK = re.compile(r"^eks_(?P<iid>i-[0-9a-f]+)_(?P<exec>[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})"
                      r"\.(?:tar\.gz|tgz|tar)$")
_WINDOWS = re.compile(r"^eks_(?P<iid>i-[0-9a-f]+)_(?P<stamp>\d{8}T\d{6})\d*Z\.zip$")
_ANY_IID = re.compile(r"\b(i-[0-9a-f]{8,17})\b")


def parse_bundle_name(name: str) -> dict:
    """{'instance_id', 'collected_at' (aware UTC), 'collector_version', 'layout'}; unknown parts None."""
    base = name.rsplit("/", 1)[-1]
    out = {"instance_id": None, "collected_at": None, "collector_version": None, "layout": None,
           "execution_id": None}
    m = _LINUX.match(base)
    if m:
        out.update(instance_id=m.group("iid"), collector_version=m.group("ver"), layout="linux")
        try:
            out["collected_at"] = datetime.strptime(m.group("date") + m.group("hhmm"), "%Y-%m-%d%H%M").replace(
                tzinfo=timezone.utc)
        except ValueError:
            pass
        return out
    m = _RUNBOOK.match(base)
    if m:
        out.update(instance_id=m.group("iid"), execution_id=m.group("exec"), layout="linux")
        return out
    m = _WINDOWS.match(base)
    if m:
        out.update(instance_id=m.group("iid"), layout="windows")
        try:
            out["collected_at"] = datetime.strptime(m.group("stamp"), "%Y%m%dT%H%M%S").replace(tzinfo=timezone.utc)
        except ValueError:
            pass
        return out
    if base.startswith("bottlerocket-logs"):
        out["layout"] = "bottlerocket"
    m = _ANY_IID.search(base)
    if m:
        out["instance_id"] = m.group(1)
    return out
