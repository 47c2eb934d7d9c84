"""`eksdoctor` command line. Thin: every command parses options, calls eksdoctor.api, prints.

Command modules register themselves on `main`; each lives in its own file so they stay small.
"""

from __future__ import annotations

import importlib
import sys
import traceback

import click

from eksdoctor import __version__
from eksdoctor.errors import EksDoctorError

from .common import fail

# Order here is the order in `--help`: the SOP's tools first, then batch and agent faces.
_COMMAND_MODULES = (
    "diagnose_cmds",
    "bundle_cmds",
    "report_cmds",
    "aws_cmds",
    "batch_cmd",
    "mcp_cmd",
    "sample_cmd",
)


class _Group(click.Group):
    """Maps our typed errors to one-line messages and exit codes; anything else is exit 2."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except EksDoctorError as err:
            fail(err)
        except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException):
            raise
        except KeyboardInterrupt:
            click.echo("eksdoctor: interrupted", err=True)
            sys.exit(130)
        except Exception as err:  # a bug: say so, keep the traceback available
            click.echo(f"eksdoctor: internal error: {type(err).__name__}: {err}", err=True)
            click.echo("hint: re-run with EKSDOCTOR_DEBUG=1 for the traceback, and report it.", err=True)
            import os

            if os.environ.get("EKSDOCTOR_DEBUG"):
                traceback.print_exc()
            sys.exit(2)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="eksdoctor")
def main() -> None:
    """Explain why an Amazon EKS worker node never showed up in `kubectl get nodes`.

    eksdoctor reads the node's log bundle (from the EKS log collector, pulled via SSM or
    uploaded as a tarball), turns what it finds into facts, runs a rule base covering every
    failure domain of the node-join SOP (IAM/STS, network, DNS, bootstrap, security groups and
    NACLs, tags, AMI, IP exhaustion, VPC CNI) and reports the root cause, the evidence with
    file:line, and the exact remediation.

    \b
    Start here:
      eksdoctor diagnose eks_i-0abc..._2024-06-06_1933-UTC_0.7.8.tar.gz
      eksdoctor triage   i-0abc...            # one-screen overview of an imported bundle
      eksdoctor search   i-0abc... 'Unauthorized|TLS handshake timeout'

    Exit codes: 0 ok, 1 input/usage error, 2 internal error, 3 AWS error, 4 timeout.
    """


for _name in _COMMAND_MODULES:
    try:
        importlib.import_module(f"{__name__}.{_name}")
    except ModuleNotFoundError as _err:  # a face not built yet must not break the others
        if _err.name != f"{__name__}.{_name}":
            raise
