"""Resolve what `diagnose` was asked about (target + AWS context) and run the pipeline on it."""

from __future__ import annotations

import re
from contextlib import ExitStack
from pathlib import Path

from eksdoctor.context import load_context
from eksdoctor.context_only import ContextOnlyBundle
from eksdoctor.diagnosis import diagnose_bundle
from eksdoctor.errors import InputError

_INSTANCE_ID = re.compile(r"^i-[0-9a-f]{8,17}$")


def _stored_context(bundle) -> Path | None:
    """aws-context.json saved next to an imported bundle (by `eksdoctor context` or `collect`)."""
    root = getattr(bundle, "root", None)
    if root is None:
        return None
    for candidate in (Path(root).parent / "aws-context.json", Path(root) / "aws-context.json"):
        if candidate.is_file():
            return candidate
    return None


def _bundle_region(bundle) -> str | None:
    """The node's own region (system/region.txt, else its availability zone): the right default
    for --aws, since a bundle is often diagnosed from a profile set to another region."""
    region = (bundle.read_text("system/region.txt", 256) or "").strip()
    if re.fullmatch(r"[a-z]{2}(-[a-z]+)+-\d", region):
        return region
    az = (bundle.read_text("system/availability-zone.txt", 256) or "").strip()
    return az[:-1] if re.fullmatch(r"[a-z]{2}(-[a-z]+)+-\d[a-z]", az) else None


def run_diagnosis(target: str, *, context=None, aws: bool = False, region=None, profile=None, cluster=None,
                  workspace=None) -> dict:
    from eksdoctor.workspace import open_target

    ctx_doc = load_context(context)
    source = None if context is None else ("inline" if isinstance(context, dict) else str(context))
    with ExitStack() as stack:
        try:
            bundle = stack.enter_context(open_target(target, workspace))
        except InputError:
            # No bundle (e.g. the instance is not SSM-managed): AWS context alone is still evidence.
            if not (_INSTANCE_ID.match(target) and (ctx_doc is not None or aws)):
                raise
            bundle = ContextOnlyBundle(target)
        if ctx_doc is None and aws:
            from eksdoctor import api

            instance_id = bundle.info.instance_id or (target if _INSTANCE_ID.match(target) else None)
            if not instance_id:
                raise InputError("--aws needs the instance id, and this bundle's name does not carry one",
                                 hint="pass the context explicitly: eksdoctor context <instance-id> -o ctx.json; "
                                      "eksdoctor diagnose TARGET --context ctx.json")
            region = region or _bundle_region(bundle)
            ctx_doc = load_context(api.gather_context(instance_id, region=region, profile=profile, cluster=cluster))
            source = "aws"
        if ctx_doc is None:
            stored = _stored_context(bundle)
            if stored is not None:
                ctx_doc, source = load_context(stored), str(stored)
        return diagnose_bundle(bundle, context=ctx_doc, context_source=source)
