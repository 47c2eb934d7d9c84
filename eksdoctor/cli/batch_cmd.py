"""`eksdoctor batch`: triage many nodes at once (process pool or Dask), results in SQLite."""

from __future__ import annotations

import json
import sys

import click

from . import main
from .common import workspace_option


@main.command()
@click.argument("sources", nargs=-1, metavar="SOURCES...")
@click.option("-j", "--jobs", type=click.IntRange(min=1), default=None,
              help="Worker processes on this machine [default: number of cores].")
@click.option("--scheduler", metavar="tcp://HOST:PORT",
              help="Run the tasks on an existing Dask distributed cluster instead "
                   "(pip install 'eksdoctor[dask]').")
@click.option("-o", "--out", "outs", multiple=True, metavar="FILE",
              help="Write results; format by extension: .db (the SQLite store, "
                   "default ./eksdoctor-batch.db), .csv, .parquet, .json, .html (fleet report). Repeatable.")
@click.option("--resume", is_flag=True,
              help="Continue the latest run in the database, skipping nodes already done.")
@click.option("--retry-failed", is_flag=True, help="With --resume: try failed and timed-out nodes again.")
@click.option("--timeout", type=click.FloatRange(min=0), default=300.0, show_default=True,
              help="Seconds allowed per node before it is recorded as timed out (0 = no limit).")
@click.option("--context", type=click.Path(dir_okay=False, exists=True),
              help="One aws-context.json for every node (per-bundle <bundle>.aws-context.json sidecars win).")
@click.option("--aws", is_flag=True, help="Gather AWS context live for each node (read-only calls).")
@click.option("--bucket", help="S3 bucket for SSM log collection when a SOURCE is a file of instance ids.")
@click.option("--region", help="AWS region (S3 sources, collection, --aws).")
@click.option("--profile", help="AWS profile.")
@click.option("--cluster", help="Cluster name for --aws when the instance tags do not say it.")
@click.option("--max-tasks-per-child", type=click.IntRange(min=1), default=100, show_default=True,
              help="Recycle each worker after this many nodes so memory stays flat.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="Summary format on stdout.")
@click.option("-q", "--quiet", is_flag=True, help="No progress on stderr.")
@workspace_option
def batch(sources, jobs, scheduler, outs, resume, retry_failed, timeout, context, aws, bucket, region,
          profile, cluster, max_tasks_per_child, fmt, quiet, workspace):
    """Diagnose many nodes at once and group them by root cause.

    A SOURCE is a bundle tarball, a folder of tarballs / extracted bundles (searched
    3 sub-folder levels down, e.g. cases/<ticket>/<node>/), a glob (quote it), an S3
    prefix s3://BUCKET/PREFIX/ (each object is downloaded then diagnosed), or a text
    file of instance ids (one per line, # comments) that are collected through SSM
    first (needs --bucket); if collection fails the node is still diagnosed from AWS
    context when possible. AWS context for a bundle: --context, else
    <bundle>.aws-context.json beside it, else an aws-context.json alone with it in its folder.

    Every result is committed to SQLite as it finishes: an interrupted batch continues
    with --resume. A bundle that is corrupt, crashes its worker or exceeds --timeout is
    recorded as failed with the reason, and the others go on. Nodes sharing a root
    cause and the same evidence line are grouped as one incident; 3 or more nodes in
    one incident are flagged for escalation (a cluster-level problem).

    \b
    Examples:
      eksdoctor batch ./bundles/ --jobs 2 -o fleet.html -o fleet.csv
      eksdoctor batch s3://support-uploads/case-1234/ --region us-east-1 -o case.db
      eksdoctor batch failed-nodes.txt --bucket my-log-bucket --region eu-west-1
      eksdoctor batch ./bundles/ -o case.db --resume         # after Ctrl-C
      eksdoctor batch ./bundles/ --scheduler tcp://10.0.0.5:8786 --format json

    Exit code 0 when the batch ran (even if some nodes failed); 130 when interrupted.
    """
    from eksdoctor import api
    from eksdoctor.batch import DEFAULT_DB
    from eksdoctor.batch_console import BatchProgress, summary_text
    from eksdoctor.batch_outputs import check_outputs, write_outputs

    check_outputs(list(outs))
    dbs = [o for o in outs if o.lower().endswith(".db")]
    if len(dbs) > 1:
        raise click.UsageError("give at most one .db with --out (the results store)")
    if retry_failed and not resume:
        raise click.UsageError("--retry-failed only makes sense with --resume")
    db = dbs[0] if dbs else DEFAULT_DB
    with BatchProgress(quiet=quiet) as progress:
        try:
            report = api.batch(list(sources), db=db, resume=resume, retry_failed=retry_failed, jobs=jobs,
                               scheduler=scheduler, timeout=timeout, workspace=workspace, context=context,
                               aws=aws, region=region, profile=profile, cluster=cluster, bucket=bucket,
                               max_tasks_per_child=max_tasks_per_child, on_start=progress.start,
                               on_row=progress.row)
        except KeyboardInterrupt:
            click.echo(f"eksdoctor: batch interrupted; finished nodes are saved in {db}", err=True)
            click.echo(f"hint: continue with `eksdoctor batch --resume -o {db}`", err=True)
            sys.exit(130)
    for path in write_outputs(list(outs), report):
        click.echo(f"wrote {path}", err=True)
    report.pop("rows", None)  # per-node rows belong in --out files, not on the terminal
    if fmt == "json":
        click.echo(json.dumps(report, indent=2, default=str))
    else:
        click.echo(summary_text(report))
