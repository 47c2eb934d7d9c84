"""Load and validate aws-context.json (docs/aws-context-schema.md).

Every key is optional: absent means "not checked". Types are checked for the keys the rules use, so
a hostile or malformed file gives a ContextError naming the JSON path, never a crash deeper down.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from eksdoctor.errors import ContextError

MAX_CONTEXT_BYTES = 16 << 20

_STR, _BOOL, _INT, _LIST, _DICT = str, bool, int, list, dict
# JSON path -> expected type. Paths ending in [] check each list element.
_SCHEMA: dict[str, type | tuple] = {
    "schema_version": _INT, "region": _STR, "account": _STR, "collected_at": _STR,
    "instance": _DICT, "instance.id": _STR, "instance.subnet_id": _STR, "instance.vpc_id": _STR,
    "instance.image_id": _STR, "instance.security_group_ids": _LIST, "instance.security_group_ids[]": _STR,
    "instance.tags": _DICT, "instance.instance_profile_arn": _STR, "instance.role_name": _STR,
    "instance.role_arn": _STR, "instance.metadata_hop_limit": _INT, "instance.user_data": _STR,
    "instance.private_dns_name": _STR, "instance.state": _STR,
    "subnet": _DICT, "subnet.available_ips": _INT, "subnet.id": _STR, "subnet.cidr": _STR,
    "route_table": _DICT, "route_table.routes": _LIST, "route_table.routes[]": _DICT,
    "network_acl": _DICT, "network_acl.entries": _LIST, "network_acl.entries[]": _DICT,
    "security_groups": _LIST, "security_groups[]": _DICT,
    "vpc": _DICT, "vpc.enable_dns_support": _BOOL, "vpc.enable_dns_hostnames": _BOOL, "vpc.dhcp_options": _DICT,
    "vpc.cidr": _STR,
    "vpc_endpoints": _LIST, "vpc_endpoints[]": _DICT, "nat_gateways": _LIST, "nat_gateways[]": _DICT,
    "cluster": _DICT, "cluster.name": _STR, "cluster.version": _STR, "cluster.status": _STR,
    "cluster.endpoint": _STR, "cluster.endpoint_public_access": _BOOL, "cluster.endpoint_private_access": _BOOL,
    "cluster.public_access_cidrs": _LIST, "cluster.public_access_cidrs[]": _STR,
    "cluster.cluster_security_group_id": _STR, "cluster.authentication_mode": _STR,
    "access_entries": _LIST, "access_entries[]": _DICT,
    "aws_auth": _DICT, "aws_auth.map_roles": _LIST, "aws_auth.map_roles[]": _DICT,
    "node_role": _DICT, "node_role.name": _STR, "node_role.arn": _STR, "node_role.attached_policies": _LIST,
    "node_role.attached_policies[]": _STR,
    "nodegroup": _DICT, "nodegroup.health_issues": _LIST, "nodegroup.health_issues[]": _DICT,
    "ami": _DICT, "ami.accessible": _BOOL, "ami.public": _BOOL, "ami.owner_id": _STR, "ami.name": _STR,
    "ami.platform": _STR,
    "sts": _DICT, "sts.regional_endpoint_active": _BOOL,
    "not_checked": _LIST, "not_checked[]": _DICT,
}


def _type_name(t) -> str:
    return {str: "string", bool: "boolean", int: "integer", list: "list", dict: "object"}.get(t, str(t))


def _get(doc: dict, dotted: str):
    cur: Any = doc
    for part in dotted.split("."):
        if not isinstance(cur, dict) or part not in cur:
            return _MISSING
        cur = cur[part]
    return cur


_MISSING = object()


def validate_context(doc: Any, source: str = "aws-context.json") -> dict:
    """Check types of the keys the rules read. Returns the document; raises ContextError."""
    if not isinstance(doc, dict):
        raise ContextError(f"{source}: expected a JSON object at the top level, got {type(doc).__name__}")
    for path, expected in _SCHEMA.items():
        if path.endswith("[]"):
            items = _get(doc, path[:-2])
            if items is _MISSING or items is None or not isinstance(items, list):
                continue
            for i, item in enumerate(items):
                if not isinstance(item, expected):
                    raise ContextError(f"{source}: {path[:-2]}[{i}] must be a {_type_name(expected)}, "
                                       f"got {type(item).__name__}")
            continue
        value = _get(doc, path)
        if value is _MISSING or value is None:
            continue
        # bool is an int subclass: an integer field must not silently accept true/false.
        if not isinstance(value, expected) or (expected is int and isinstance(value, bool)):
            raise ContextError(f"{source}: {path} must be a {_type_name(expected)}, got {type(value).__name__}")
    return doc


def load_context(context: str | Path | dict | None) -> dict | None:
    """Accept a path to aws-context.json, an already-loaded dict, or None."""
    if context is None:
        return None
    if isinstance(context, dict):
        return validate_context(context, "context")
    path = Path(context)
    try:
        size = path.stat().st_size
    except OSError as err:
        raise ContextError(f"cannot read context file {path}: {err.strerror or err}") from err
    if size > MAX_CONTEXT_BYTES:
        raise ContextError(f"context file {path} is {size} bytes, over the {MAX_CONTEXT_BYTES} byte limit")
    try:
        doc = json.loads(path.read_text(encoding="utf-8", errors="replace"))
    except ValueError as err:
        raise ContextError(f"context file {path} is not valid JSON: {err}") from err
    except RecursionError as err:
        raise ContextError(f"context file {path} is nested too deeply") from err
    return validate_context(doc, str(path))
