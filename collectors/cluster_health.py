"""`eksdoctor cluster-health CLUSTER`: is the control plane accepting nodes, and what do node groups,
add-ons and their Auto Scaling groups report? (SOP Phase 1 `cluster_health`.)"""

from __future__ import annotations

from eksdoctor.errors import InputError

from . import context_cluster
from .checks import NotChecked
from .gateway import AwsGateway, CallFailed, make_session

MAX_NODEGROUPS = 100
MAX_ADDONS = 50
FAILED_ACTIVITY_CODES = frozenset({"Failed", "Cancelled"})
ACTIVITIES_PER_GROUP = 50


def _addon(gw: AwsGateway, cluster: str, name: str, nc: NotChecked) -> dict:
    raw = nc.attempt(gw.call, "eks", "DescribeAddon", clusterName=cluster, addonName=name)
    addon = (raw or {}).get("addon") or {}
    return {"name": name, "version": addon.get("addonVersion"), "status": addon.get("status"),
            "health_issues": [{"code": i.get("code"), "message": i.get("message"), "resource_ids": i.get("resourceIds") or []}
                              for i in (addon.get("health") or {}).get("issues") or []]}


def _failed_activities(gw: AwsGateway, group: str, nc: NotChecked) -> list[dict]:
    found = nc.attempt(lambda: list(gw.paginate("autoscaling", "DescribeScalingActivities", "Activities",
                                                limit=ACTIVITIES_PER_GROUP, AutoScalingGroupName=group)))
    out = []
    for a in found or []:
        if a.get("StatusCode") in FAILED_ACTIVITY_CODES:
            start = a.get("StartTime")
            out.append({"autoscaling_group": group, "status": a.get("StatusCode"),
                        "description": a.get("Description"), "cause": a.get("Cause"),
                        "status_message": a.get("StatusMessage"),
                        "start_time": start.isoformat() if hasattr(start, "isoformat") else start})
    return out


def _problems(report: dict) -> list[str]:
    cluster = report["cluster"]
    out = []
    if cluster.get("status") != "ACTIVE":
        out.append(f"cluster status is {cluster.get('status')}, not ACTIVE: nodes cannot register until it is")
    out += [f"cluster health: {i['code']}: {i['message']}" for i in cluster.get("health_issues") or []]
    for ng in report.get("nodegroups") or []:
        if ng.get("status") not in ("ACTIVE", "UPDATING", None):
            out.append(f"node group {ng['name']} is {ng['status']}")
        out += [f"node group {ng['name']}: {i['code']}: {i['message']}" for i in ng.get("health_issues") or []]
    for addon in report.get("addons") or []:
        if addon.get("status") not in ("ACTIVE", "UPDATING", "CREATING", None):
            out.append(f"add-on {addon['name']} is {addon['status']}")
        out += [f"add-on {addon['name']}: {i['code']}: {i['message']}" for i in addon.get("health_issues") or []]
    for act in report.get("failed_scaling_activities") or []:
        out.append(f"Auto Scaling {act['autoscaling_group']}: {act['status']}: {act.get('status_message') or act.get('description')}")
    return out


def cluster_health(cluster: str, *, region: str | None = None, profile: str | None = None,
                   gateway: AwsGateway | None = None) -> dict:
    """Cluster status/version/endpoint access, node groups with health issues, add-ons, failed ASG activities."""
    if not cluster or len(cluster) > 100:
        raise InputError(f"invalid cluster name {cluster!r}")
    gw = gateway or AwsGateway(make_session(region, profile))
    nc = NotChecked()
    raw = context_cluster.describe_cluster(gw, cluster)
    if raw is None:
        raise InputError(f"cluster {cluster!r} not found in {gw.region}",
                         hint="check the name (case-sensitive) and --region; `aws eks list-clusters` lists them")
    report: dict = {"cluster": context_cluster.cluster_facts(raw), "region": gw.region}

    names = nc.attempt(lambda: list(gw.paginate("eks", "ListNodegroups", "nodegroups", limit=MAX_NODEGROUPS,
                                                clusterName=cluster)))
    if names is not None:
        groups = [context_cluster.nodegroup(gw, cluster, name, nc) for name in sorted(names)]
        report["nodegroups"] = [g for g in groups if g]

    def addon_names() -> list[str]:
        try:
            return list(gw.paginate("eks", "ListAddons", "addons", limit=MAX_ADDONS, clusterName=cluster))
        except CallFailed as err:
            if err.code == "ResourceNotFoundException":
                return []
            raise

    addons = nc.attempt(addon_names)
    if addons is not None:
        report["addons"] = [_addon(gw, cluster, name, nc) for name in sorted(addons)]

    failed: list[dict] = []
    for ng in report.get("nodegroups") or []:
        for group in ng.get("autoscaling_groups") or []:
            failed += _failed_activities(gw, group, nc)
    report["failed_scaling_activities"] = sorted(failed, key=lambda a: str(a.get("start_time")), reverse=True)
    report["problems"] = _problems(report)
    report["healthy"] = not report["problems"]
    report["not_checked"] = nc.items
    return report
