"""Scenario setups for bootstrap/user-data, tag and AMI failures."""

from __future__ import annotations

from datetime import datetime, timedelta

from . import components as c
from . import lines
from .builder import Builder
from .flow_al2 import bootstrap_args, exec_loop
from .flow_al2023 import Nodeadm, config_phase, fail_unit, node_config
from .identity import Node

OUT = "var_log/cloud-init-output.log"
AL2023_BANNER = ["!" * 74, "ERROR: bootstrap.sh has been removed from AL2023-based EKS AMIs.", "",
                 "EKS nodes are now initialized by nodeadm.", "", "To migrate your user data, see:", "",
                 "    https://awslabs.github.io/amazon-eks-ami/nodeadm/", "!" * 74]


def _template_kubeconfig(b: Builder) -> None:
    """Before bootstrap.sh fills it, the AMI's kubeconfig still holds its placeholders."""
    s = b.story
    s.extra["kubeconfig_server"] = "MASTER_ENDPOINT"
    s.extra["kubeconfig_cluster"] = "CLUSTER_NAME"

    def curl(b: Builder) -> None:
        if "curl_api" not in b.node.features:
            return
        out = []
        for i in range(1, 6):
            out += [f"curling MASTER_ENDPOINT ({i} of 5) {b.node.collected:%Y-%m-%dT%H:%M:%S}.{i * 211 % 1000:03d}UTC",
                    "* Could not resolve host: MASTER_ENDPOINT", "* Closing connection 0", "curl: (6) Could not resolve host: MASTER_ENDPOINT"]
        b.files["networking/curl_api_server.txt"] = "\n".join(out) + "\n"

    s.extra.setdefault("post", []).append(curl)


def _never_started(b: Builder) -> None:
    s = b.story
    s.userdata_ok = False
    s.registered = False
    s.extra["cloud_final_failed"] = True
    s.duration = timedelta(minutes=10)


def _describe_cluster_loop(b: Builder, t: datetime, cluster: str, error: str) -> datetime:
    """bootstrap.sh's DescribeCluster retry loop (API_RETRY_ATTEMPTS=3, sleep 5<<(1+n) + jitter)."""
    n = b.node
    say = lambda ts, lvl, text: b.add(OUT, ts, lines.bootstrap(ts, lvl, text))  # noqa: E731
    say(t, "INFO", "--b64-cluster-ca or --apiserver-endpoint is not defined, describing cluster...")
    for attempt in range(0, 4):
        if attempt:
            say(t, "INFO", f"Attempt {attempt} of 3")
        t = c.sec(t, 0.8 if "timeout" not in error else 60.5)
        b.add(OUT, t, "")
        b.add(OUT, c.sec(t, 0.001), error.format(cluster=cluster, region=n.region))
        if attempt == 3:
            break
        t = c.sec(t, (5 << (1 + attempt)) + b.rng.randint(1, 10))
    say(c.sec(t, 0.01), "ERROR", "Exhausted retries while describing cluster!")
    b.add(OUT, c.sec(t, 0.02), "Exited with error on line 480")
    return c.sec(t, 0.03)


def _describe_failure(cluster: str | None, error: str, *, private: bool = False):
    def setup(b: Builder) -> None:
        _never_started(b)
        _template_kubeconfig(b)
        b.story.duration = timedelta(minutes=9)
        name = cluster or b.node.cluster_name

        def userdata(b: Builder, t: datetime):
            args = bootstrap_args(b, ca=False, endpoint=False)
            cmd = " ".join([f"/etc/eks/bootstrap.sh {name}"] + [f"{k} '{v}'" if " " in v else f"{k} {v}" for k, v in args])
            b.add(OUT, t, f"+ {cmd}")
            t = c.sec(t, 0.2)
            b.add(OUT, t, lines.bootstrap(t, "INFO", "starting..."))
            for k, v in args:
                b.add(OUT, t, lines.bootstrap(t, "INFO", f"{k}='{v}'"))
            return _describe_cluster_loop(b, c.sec(t, 0.3), name, error), 255, False

        b.story.hooks["userdata"] = userdata
    return setup


cluster_name_mismatch = _describe_failure(
    "Prod-East", "An error occurred (ResourceNotFoundException) when calling the DescribeCluster operation: No cluster found for name: {cluster}.")
describe_throttled = _describe_failure(
    None, "An error occurred (ThrottlingException) when calling the DescribeCluster operation (reached max retries: 4): Rate exceeded")
private_missing_args = _describe_failure(
    None, 'Connect timeout on endpoint URL: "https://eks.{region}.amazonaws.com/clusters/{cluster}"', private=True)


def ctx_private_cluster(n: Node, ctx: dict) -> None:
    ctx["cluster"].update(endpoint_public_access=False, endpoint_private_access=True, public_access_cidrs=[])
    ctx["route_table"]["routes"] = [r for r in ctx["route_table"]["routes"] if r["destination"] != "0.0.0.0/0"]
    ctx["nat_gateways"] = []
    ctx["vpc_endpoints"] = [{"service": f"com.amazonaws.{n.region}.{svc}", "type": "Interface", "state": "available", "private_dns": True}
                            for svc in ("ec2", "ecr.api", "ecr.dkr", "sts")] + [
        {"service": f"com.amazonaws.{n.region}.s3", "type": "Gateway", "state": "available", "private_dns": False}]
    ctx["instance"]["user_data"] = f"#!/bin/bash\nset -ex\n/etc/eks/bootstrap.sh {n.cluster_name} --dns-cluster-ip {n.dns_cluster_ip}\n"


def ctx_cluster_name(n: Node, ctx: dict) -> None:
    ctx["instance"]["user_data"] = "#!/bin/bash\nset -ex\n/etc/eks/bootstrap.sh Prod-East --dns-cluster-ip " + n.dns_cluster_ip + "\n"


def legacy_userdata(b: Builder) -> None:
    """AL2-style bootstrap.sh user data on AL2023: nodeadm finds no NodeConfig; the stub exits 1."""
    _never_started(b)
    b.story.extra["nodeadm_config_failed"] = True

    def config(b: Builder, t: datetime):
        na = Nodeadm(b, "nodeadm-config")
        na.log(c.sec(t, 0.01), "info", "Checking user is root..")
        if b.node.nodeadm_format == "console":
            na.log(c.sec(t, 0.02), "info", "Loading configuration..", configSource=["imds://user-data"], configCache="/run/eks/nodeadm/config.json")
            na.log(c.sec(t, 0.03), "warn", "failed to load cached config", error="open /run/eks/nodeadm/config.json: no such file or directory")
        else:
            na.log(c.sec(t, 0.02), "info", "Loading configuration..", configSource="imds://user-data")
        fail_unit(b, "nodeadm-config", "EKS Nodeadm Config", c.sec(t, 0.2), "could not find NodeConfig within UserData")
        return c.sec(t, 0.25), False

    def userdata(b: Builder, t: datetime):
        b.add(OUT, t, f"+ /etc/eks/bootstrap.sh {b.node.cluster_name} --b64-cluster-ca {b.node.ca_b64} --apiserver-endpoint {b.node.endpoint}")
        for i, text in enumerate(AL2023_BANNER):
            b.add(OUT, c.sec(t, 0.01 + i * 1e-4), text)
        return c.sec(t, 0.05), 1

    b.story.hooks["nodeadm_config"] = config
    b.story.hooks["userdata"] = userdata


def nodeconfig_invalid(b: Builder) -> None:
    _never_started(b)
    b.story.extra["nodeadm_config_failed"] = True
    b.story.extra["cloud_final_failed"] = False

    def config(b: Builder, t: datetime):
        end = config_phase(b, t, node_config(b, apiServerEndpoint=None), stop_after_load=True)
        Nodeadm(b, "nodeadm-config").log(c.sec(end, 0.01), "info", "Validating configuration..")
        fail_unit(b, "nodeadm-config", "EKS Nodeadm Config", c.sec(end, 0.02), "Apiserver endpoint is missing in cluster configuration")
        return c.sec(end, 0.05), False

    b.story.hooks["nodeadm_config"] = config


def userdata_never_ran(b: Builder) -> None:
    """A broken MIME boundary: cloud-init treats the user data as one non-multipart blob, runs nothing."""
    _never_started(b)
    _template_kubeconfig(b)
    b.story.extra["cloud_final_failed"] = False

    def warn(b: Builder, t: datetime, pid: int) -> None:
        b.add("var_log/cloud-init.log", t, lines.cloud_init_log(
            t, pid, "__init__.py", "WARNING", "Unhandled non-multipart (text/x-not-multipart) userdata: 'b'Content-Type: multipart/mixed; bound'...'"))

    b.story.extra.setdefault("cloud_init_log", []).append(warn)
    b.story.hooks["userdata"] = lambda b, t: (t, 0, False)
    b.story.extra["no_scripts"] = True  # no part-001 was written, so cloud-init runs nothing


def ctx_userdata_broken(n: Node, ctx: dict) -> None:
    ctx["instance"]["user_data"] = ("MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"==MYBOUNDARY==\"\n\n--==BOUNDARY==\n"
                                    "Content-Type: text/x-shellscript; charset=\"us-ascii\"\n\n#!/bin/bash\n/etc/eks/bootstrap.sh "
                                    f"{n.cluster_name}\n\n--==MYBOUNDARY==--\n")


# --- tags -------------------------------------------------------------------------------------
def missing_cluster_tag(b: Builder) -> None:
    s = b.story
    s.registered = False
    s.kubelet_fatal = 'failed to run Kubelet: could not init cloud provider "aws": AWS cloud failed to find ClusterID'
    s.duration = timedelta(minutes=9)

    def cloud_provider(b: Builder, k, t: datetime) -> None:
        k.emit(c.sec(t, 0.05), "I", "aws.go:1279", "Building AWS cloudprovider")
        k.emit(c.sec(t, 0.06), "I", "aws.go:1239", "Zone not specified in configuration file; querying AWS metadata service")
        k.emit(c.sec(t, 0.25), "W", "tags.go:79", 'Tag "KubernetesCluster" nor "kubernetes.io/cluster/..." not found; Kubernetes may behave unexpectedly.')

    s.extra.setdefault("before_fatal", []).append(cloud_provider)


def ctx_no_cluster_tag(n: Node, ctx: dict) -> None:
    ctx["instance"]["tags"] = {"Name": f"{n.cluster_name}-workers", "team": "platform", "aws:autoscaling:groupName": f"{n.cluster_name}-workers-asg"}


# --- AMI --------------------------------------------------------------------------------------
def kubelet_missing(b: Builder) -> None:
    s = b.story
    s.registered = False
    s.kubelet_exec_fails = True
    s.userdata_ok = False
    s.pkglist_has_kubelet = False
    s.extra["cloud_final_failed"] = True

    def userdata(b: Builder, t: datetime):
        exec_loop(b, b.at(8.2))  # kubelet.service is enabled in the AMI: systemd tries from boot on
        args = bootstrap_args(b)
        b.add(OUT, t, f"+ /etc/eks/bootstrap.sh {b.node.cluster_name} " + " ".join(f"{k} '{v}'" for k, v in args))
        t = c.sec(t, 0.2)
        b.add(OUT, t, lines.bootstrap(t, "INFO", "starting..."))
        for k, v in args:
            b.add(OUT, t, lines.bootstrap(t, "INFO", f"{k}='{v}'"))
        b.add(OUT, c.sec(t, 0.1), "/etc/eks/bootstrap.sh: line 386: kubelet: command not found")
        b.add(OUT, c.sec(t, 0.11), "Exited with error on line 386")
        return c.sec(t, 0.12), 127, False

    s.hooks["userdata"] = userdata


def not_eks_ami(b: Builder) -> None:
    s = b.story
    _never_started(b)
    s.has_kubeconfig = False
    s.pkglist_has_kubelet = False
    s.extra["no_containerd"] = True
    s.extra["no_kubelet_unit"] = True

    def userdata(b: Builder, t: datetime):
        b.add(OUT, t, f"/var/lib/cloud/instance/scripts/part-001: line 7: /etc/eks/bootstrap.sh: No such file or directory")
        return c.sec(t, 0.01), 127

    s.hooks["userdata"] = lambda b, t: (*userdata(b, t), False)


def ctx_not_eks_ami(n: Node, ctx: dict) -> None:
    ctx["ami"].update(name="amzn2-ami-kernel-5.10-hvm-2.0.20240610.1-x86_64-gp2", owner_id="137112412989")


def ctx_version_skew(n: Node, ctx: dict) -> None:
    ctx["cluster"]["version"] = "1.28"
    ctx["ami"]["name"] = f"amazon-eks-node-al2023-x86_64-standard-1.31-{n.ami_release}"
