"""Shared pieces of the thin CLI: options every command takes, output emission, error mapping."""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Callable, Iterator
from typing import Any

import click

from eksdoctor.errors import EksDoctorError

workspace_option = click.option(
    "--workspace",
    "workspace",
    type=click.Path(file_okay=False),
    envvar="EKSDOCTOR_HOME",
    default=None,
    help="Workspace directory holding imported bundles and the index "
    "[env EKSDOCTOR_HOME; default ~/.local/share/eksdoctor].",
)


region_option = click.option("--region", default=None, envvar="AWS_REGION",
                             help="AWS region [env AWS_REGION; default: your profile's region].")
profile_option = click.option("--profile", default=None, help="AWS named profile (default: the normal credential "
                              "chain: env, AWS_PROFILE, SSO, instance role).")


def format_option(*choices: str, default: str = "text"):
    return click.option(
        "--format",
        "fmt",
        type=click.Choice(list(choices)),
        default=default,
        show_default=True,
        help="Output format.",
    )


target_argument = click.argument("target", metavar="TARGET")
TARGET_HELP = (
    "TARGET is a bundle tarball (.tar.gz/.tgz/.tar/.zip), an extracted bundle directory, "
    "or an instance id already imported into the workspace."
)


def emit(data: Any, fmt: str, text: Callable[[Any], str] | None = None) -> None:
    """Print `data` as JSON, or through `text` for humans. JSON is the machine contract."""
    if fmt == "json" or text is None:
        click.echo(json.dumps(data, indent=2, sort_keys=False, default=str))
    else:
        click.echo(text(data))


def fail(err: EksDoctorError) -> None:
    """Print a one-line error (plus hint) on stderr and exit with the error's code."""
    click.echo(f"eksdoctor: error: {err}", err=True)
    if err.hint:
        click.echo(f"hint: {err.hint}", err=True)
    sys.exit(err.exit_code)


@contextlib.contextmanager
def working(message: str) -> Iterator[None]:
    """A spinner on stderr while a long step runs (a 1 GB bundle takes ~10 s), only on a terminal:
    pipes and files get nothing, so JSON output and CI logs stay clean."""
    if not sys.stderr.isatty():
        yield
        return
    from rich.console import Console  # imported only for interactive use

    with Console(stderr=True).status(message, spinner="dots"):
        yield
