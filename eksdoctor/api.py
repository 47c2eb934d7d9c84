"""The library API: the one place the CLI, batch, and MCP server call into.

Every function takes plain values and returns plain JSON-serialisable dicts/lists (the same
objects the CLI prints with --format json), or raises an `eksdoctor.errors.EksDoctorError`.
TARGET everywhere is a bundle tarball path, an extracted bundle directory, or an instance id
already imported into the workspace. `workspace=None` means the default workspace
(env EKSDOCTOR_HOME, else ~/.local/share/eksdoctor).

The implementations live in the modules named in each function; this file only delegates, so
every face gets the same behaviour.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

# --- bundles and the workspace (eksdoctor.workspace, eksdoctor.search, eksdoctor.timeline, eksdoctor.network)


def import_bundle(path: str | Path, *, workspace: str | Path | None = None, progress: Callable | None = None,
                  region: str | None = None, profile: str | None = None) -> dict:
    """Store a bundle in the workspace keyed by instance id and index its lines. Returns the record.

    `path` may be s3://BUCKET/KEY (a bundle a customer or the collector uploaded): it is downloaded
    with size/checksum verification first (credentials from the normal chain, `region`/`profile`)."""
    if str(path).startswith("s3://"):
        from eksdoctor.collectors.collect import import_from_s3

        return import_from_s3(str(path), workspace=workspace, progress=progress, region=region, profile=profile)
    from eksdoctor.importer import import_bundle as _import_bundle

    return _import_bundle(path, workspace=workspace, progress=progress)


def list_bundles(*, workspace: str | Path | None = None) -> list[dict]:
    """Bundles imported into the workspace (instance id, name, collected_at, family, lines indexed)."""
    from eksdoctor.workspace import list_bundles as _list_bundles

    return _list_bundles(workspace)


def search(
    target: str,
    pattern: str,
    *,
    file_glob: str | None = None,
    since: str | None = None,
    until: str | None = None,
    context: int = 0,
    max_results: int = 200,
    offset: int = 0,
    timeout: float = 5.0,
    workspace: str | Path | None = None,
) -> dict:
    """Regex search over every line of a bundle. Returns {"matches": [...], "total": n, "truncated": bool, ...}."""
    from eksdoctor.search import search as _search

    return _search(target, pattern, file_glob=file_glob, since=since, until=until, context=context,
                   max_results=max_results, offset=offset, timeout=timeout, workspace=workspace)


def timeline(
    target: str, pivot: str, *, window: float = 300, max_events: int = 500, workspace: str | Path | None = None
) -> dict:
    """All sources merged in time order within +-window seconds of the first line matching `pivot`."""
    from eksdoctor.timeline import timeline as _timeline

    return _timeline(target, pivot, window=window, max_events=max_events, workspace=workspace)


def network(target: str, *, sections: Sequence[str] = ("routes", "dns", "eni", "iptables"), workspace=None) -> dict:
    """Routes (incl. default route), resolvers, ENIs/IPs, blocking iptables rules, and whether the
    node has a route towards the API endpoint."""
    from eksdoctor.network import network as _network
    from eksdoctor.workspace import open_target

    with open_target(target, workspace) as bundle:
        return _network(bundle, sections)


# --- diagnosis (eksdoctor.diagnosis, eksdoctor.triage)


def triage(target: str, *, workspace=None) -> dict:
    """One-screen overview: AMI family/versions, bootstrap ran, kubelet started, registered, loudest errors."""
    from eksdoctor.triage import triage_bundle
    from eksdoctor.workspace import open_target

    with open_target(target, workspace) as bundle:
        return triage_bundle(bundle)


def diagnose(
    target: str,
    *,
    context: str | Path | dict | None = None,
    aws: bool = False,
    region: str | None = None,
    profile: str | None = None,
    cluster: str | None = None,
    workspace=None,
) -> dict:
    """Full diagnosis (see docs/diagnosis-schema.md).

    `context` is an aws-context.json path or dict; `aws=True` gathers it live for the bundle's
    instance. An imported bundle's stored aws-context.json is used when neither is given. With
    context (or --aws) and an instance id that has no bundle, the diagnosis runs from AWS context alone.
    """
    from eksdoctor.diagnosis_runner import run_diagnosis

    return run_diagnosis(target, context=context, aws=aws, region=region, profile=profile,
                         cluster=cluster, workspace=workspace)


def errors(target: str, *, severity: str | None = None, context=None, workspace=None, **kwargs: Any) -> dict:
    """Findings of a diagnosis, optionally only those at or above `severity`."""
    from eksdoctor.ranking import SEVERITY_RANK

    diagnosis = diagnose(target, context=context, workspace=workspace, **kwargs)
    if severity is not None and severity not in SEVERITY_RANK:
        from eksdoctor.errors import InputError

        raise InputError(f"unknown severity {severity!r}; use one of {', '.join(SEVERITY_RANK)}")
    limit = SEVERITY_RANK.get(severity or "info", 4)
    findings = [f for f in diagnosis["findings"] if SEVERITY_RANK.get(f["severity"], 9) <= limit]
    return {"target": target, "severity": severity or "info", "root_cause": diagnosis["root_cause"],
            "findings": findings, "total": len(diagnosis["findings"]), "not_checked": diagnosis["not_checked"]}


# --- reports (eksdoctor.reports)


def render(diagnosis: dict, fmt: str = "text") -> str:
    """Render a diagnosis as text | json | yaml (SOP Output Format) | md | html. Secrets redacted."""
    from eksdoctor.reports import render as _render

    return _render(diagnosis, fmt)


def summarize(target: str, finding_ids: Sequence[str], *, fmt: str = "yaml", context=None, workspace=None,
              **kwargs: Any) -> str:
    """Report restricted to the chosen finding ids; unknown ids raise UnknownFindingError."""
    from eksdoctor.reports import select_findings

    return render(select_findings(diagnose(target, context=context, workspace=workspace, **kwargs), finding_ids), fmt)


def compare(target_a: str, target_b: str, *, workspace=None, context_a=None, context_b=None) -> dict:
    """Side-by-side of two nodes (failing vs healthy): versions, bootstrap config, kubelet flags,
    DNS, routes, findings present in one and not the other."""
    from eksdoctor.errors import EksDoctorError
    from eksdoctor.redact import redact_obj
    from eksdoctor.reports import compare_diagnoses

    def net(target):
        try:
            return network(target, sections=("routes", "dns"), workspace=workspace)
        except EksDoctorError:
            return None

    a = diagnose(target_a, context=context_a, workspace=workspace)
    b = diagnose(target_b, context=context_b, workspace=workspace)
    return redact_obj(compare_diagnoses(a, b, net(target_a), net(target_b)))


def batch(sources: Sequence[str], **kwargs: Any) -> dict:
    """Diagnose many bundles / S3 prefixes / instance ids (see eksdoctor.batch.run_batch)."""
    from eksdoctor.batch import run_batch

    return run_batch(list(sources), **kwargs)


# --- AWS (eksdoctor.collectors)


def collect(instance_id: str, bucket: str, **kwargs: Any) -> dict:
    """Start log collection via SSM (runbook or run-command); with wait=True download and import."""
    from eksdoctor.collectors.collect import collect as _collect

    return _collect(instance_id, bucket, **kwargs)


def status(execution_id: str, **kwargs: Any) -> dict:
    """State of a collection (automation execution or command id), step outputs, bundle location."""
    from eksdoctor.collectors.collect import status as _status

    return _status(execution_id, **kwargs)


def gather_context(instance_id: str, **kwargs: Any) -> dict:
    """AWS facts about an instance and its cluster, in the aws-context.json schema."""
    from eksdoctor.collectors.aws_context import gather_context as _gather_context

    return _gather_context(instance_id, **kwargs)


def cluster_health(cluster: str, **kwargs: Any) -> dict:
    """Cluster status/version/endpoint access, node groups and their health issues, add-ons, ASG failures."""
    from eksdoctor.collectors.cluster_health import cluster_health as _cluster_health

    return _cluster_health(cluster, **kwargs)
