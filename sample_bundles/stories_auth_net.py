"""Scenario setups for IAM, STS, network and DNS failures (they flip Story knobs, add lines).

A setup runs after the node identity is drawn and before the family flow writes the timeline.
A context setup breaks the one AWS-side setting the scenario is about in a healthy aws-context.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from . import components as c
from . import lines
from .builder import Builder
from .context import node_mapping, with_aws_auth
from .flow_al2 import bootstrap_args, finish_bootstrap, run_bootstrap
from .flow_al2023 import Nodeadm, config_phase, fail_unit
from .identity import Node

CRED_HELP = ("\n\nIt looks like you are trying to use a client-go credential plugin that is not installed.\n\n"
             "To learn more about this feature, consult the documentation available at:\n"
             "      https://kubernetes.io/docs/reference/access-authn-authz/authentication/#client-go-credential-plugins")


def refused(n: Node) -> str:
    return f"dial tcp {n.endpoint_ips[0]}:443: connect: connection refused"


def io_timeout(n: Node) -> str:
    return f"dial tcp {n.endpoint_ips[0]}:443: i/o timeout"


def public_endpoint(b: Builder) -> None:
    """The endpoint resolves to public addresses (public-only access)."""
    b.node.endpoint_ips = [f"{x}.{(int(b.node.account[:3]) % 200) + 3}.{i * 37 % 250 + 1}.{i * 91 % 250 + 2}" for i, x in ((1, 3), (2, 52))]


# --- IAM --------------------------------------------------------------------------------------
def unauthorized(b: Builder) -> None:
    b.story.api_error = "Unauthorized"
    b.story.registered = False
    b.story.duration = timedelta(minutes=14)


def unauthorized_with_secrets(b: Builder) -> None:
    """al2-unauthorized plus planted secrets (user data env exports, a bearer token in a debug line)."""
    unauthorized(b)
    secrets = b.story.extra["planted"]

    def userdata(b: Builder, t: datetime):
        out = "var_log/cloud-init-output.log"
        for i, line in enumerate((f"+ export AWS_ACCESS_KEY_ID={secrets[0]}", f"+ export AWS_SECRET_ACCESS_KEY={secrets[1]}",
                                  f"+ export AWS_SESSION_TOKEN={secrets[2]}", f"+ DB_PASSWORD={secrets[4]}",
                                  "+ echo 'db credentials staged'", "db credentials staged")):
            b.add(out, c.sec(t, i * 0.01), line)
        end, _, _ = run_bootstrap(b, c.sec(t, 0.1), bootstrap_args(b))
        return finish_bootstrap(b, end), 0, True

    def bearer(b: Builder, t: datetime) -> None:
        from .kubelet import Kubelet
        k = Kubelet(b)
        k.emit(c.sec(t, 0.5), "I", "round_trippers.go:423", "",
               f"curl -k -v -XPOST  -H \"Accept: application/json, */*\" -H \"Authorization: Bearer {secrets[3]}\" "
               f"-H \"User-Agent: kubelet/{b.node.kubelet_version} (linux/amd64) kubernetes/9c63c4d\" '{b.node.endpoint}/api/v1/nodes'")

    b.story.hooks["userdata"] = userdata
    b.story.hooks["after_kubelet_start"] = bearer


def ctx_access_entry_missing(n: Node, ctx: dict) -> None:
    ctx["cluster"]["authentication_mode"] = "API"
    ctx["access_entries"] = [{"principal_arn": f"arn:aws:iam::{n.account}:role/platform-admin", "type": "STANDARD",
                              "username": f"arn:aws:sts::{n.account}:assumed-role/platform-admin/{{{{SessionName}}}}", "groups": []},
                             {"principal_arn": f"arn:aws:iam::{n.account}:role/eks-other-ng-role", "type": "EC2_LINUX",
                              "username": "system:node:{{EC2PrivateDNSName}}", "groups": []}]
    ctx.pop("aws_auth", None)


def ctx_instance_profile_mapped(n: Node, ctx: dict) -> None:
    with_aws_auth(ctx, [node_mapping(n.instance_profile_arn),
                        {"rolearn": f"arn:aws:iam::{n.account}:role/platform-admin", "username": "admin", "groups": ["system:masters"]}])


def role_with_path(b: Builder) -> None:
    b.node.role_path = "/development/apps/"
    b.node.role_name = "eks-node-role"
    unauthorized(b)


def ctx_role_path_mapped(n: Node, ctx: dict) -> None:
    with_aws_auth(ctx, [node_mapping(n.role_arn)])  # the arn WITH its path: never matches the STS identity


def cni_policy_missing(b: Builder) -> None:
    s = b.story
    s.cni_ready = False
    s.extra["quiet_ipamd"] = True
    s.duration = timedelta(minutes=13)

    def ipamd_error(b: Builder, t: datetime) -> None:
        n, path = b.node, "var_log/aws-routed-eni/ipamd.log"
        restart = t
        count = 0
        while restart < b.end and count < 8:
            rid = f"{b.rng.getrandbits(32):08x}-{b.rng.getrandbits(16):04x}-4{b.rng.getrandbits(12):03x}-a{b.rng.getrandbits(12):03x}-{b.rng.getrandbits(48):012x}"
            b.add(path, restart, lines.zap_iso(restart, "info", "aws-k8s-agent/main.go:64", f"Starting L-IPAMD {c.CNI_VERSION}  ..."))
            t1 = c.sec(restart, 0.9)
            b.add(path, t1, lines.zap_iso(t1, "error", "awsutils/awsutils.go:1072",
                  f"Failed to call ec2:DescribeNetworkInterfaces for [{n.eni_id}]: UnauthorizedOperation: You are not authorized to perform this operation.\n\tstatus code: 403, request id: {rid}"))
            t2 = c.sec(t1, 0.2)
            b.add(path, t2, lines.zap_iso(t2, "error", "ipamd/ipamd.go:860",
                  f"Failed to increase pool size: failed to allocate a private IP address: UnauthorizedOperation: You are not authorized to perform this operation. "
                  f"Encoded authorization failure message: AQoDYXdzEJr...\n\tstatus code: 403, request id: {rid}"))
            t3 = c.sec(t2, 0.01)
            b.add(path, t3, lines.zap_iso(t3, "error", "aws-k8s-agent/main.go:32",
                  "Initialization failure: ipamd init: failed to retrieve attached ENIs info: UnauthorizedOperation: You are not authorized to perform this operation.\n\tstatus code: 403"))
            count += 1
            restart = c.sec(t3, min(10 * 2 ** count, 300))
        s.extra["aws_node_restarts"] = count

    s.ipamd_error = ipamd_error
    s.extra.setdefault("after_registered", []).append(crashloop("aws-node"))


def crashloop(container: str):
    """kubelet's CrashLoopBackOff lines for the aws-node pod (back-off 10s, 20s, 40s ... 5m)."""
    def hook(b: Builder, k, registered: datetime) -> None:
        pod = b.story.extra.get("pods", {}).get("aws-node", "aws-node-x7k2p")
        t, backoff = c.sec(registered, 25), 10
        while t < b.end:
            label = f"{backoff}s" if backoff < 300 else "5m0s"
            err = (f'failed to "StartContainer" for "{container}" with CrashLoopBackOff: "back-off {label} restarting failed '
                   f'container={container} pod={pod}_kube-system(3c1f6e2a-8d4b-4b7e-9a61-2f0c5d8e7b19)"')
            k.emit(t, "E", "pod_workers.go:1298", lines.kv("Error syncing pod, skipping", err=err, pod=f"kube-system/{pod}",
                                                            podUID="3c1f6e2a-8d4b-4b7e-9a61-2f0c5d8e7b19"))
            t = c.sec(t, backoff + 12)
            backoff = min(backoff * 2, 300)
    return hook


def ctx_no_cni_policy(n: Node, ctx: dict) -> None:
    ctx["node_role"]["attached_policies"] = ["AmazonEKSWorkerNodePolicy", "AmazonEC2ContainerRegistryReadOnly", "AmazonSSMManagedInstanceCore"]


def credential_helper(b: Builder) -> None:
    s = b.story
    s.api_error = "getting credentials: exec: executable aws-iam-authenticator not found" + CRED_HELP
    s.registered = False
    s.extra["auth_command"] = "aws-iam-authenticator"


# --- STS --------------------------------------------------------------------------------------
def sts_invalid_token(b: Builder) -> None:
    unauthorized(b)
    n = b.node

    def userdata(b: Builder, t: datetime):
        out = "var_log/cloud-init-output.log"
        b.add(out, t, f"+ aws sts get-caller-identity --region {n.region} --endpoint-url https://sts.{n.region}.amazonaws.com")
        b.add(out, c.sec(t, 1.4), "")
        b.add(out, c.sec(t, 1.41), "An error occurred (InvalidClientTokenId) when calling the GetCallerIdentity operation: "
                                   "The security token included in the request is invalid.")
        b.add(out, c.sec(t, 1.42), "+ true")
        end, _, _ = run_bootstrap(b, c.sec(t, 1.5), bootstrap_args(b))
        return finish_bootstrap(b, end), 0, True

    b.story.hooks["userdata"] = userdata


def ctx_sts_inactive(n: Node, ctx: dict) -> None:
    ctx["sts"] = {"regional_endpoint_active": False}


def sts_clock_skew(b: Builder) -> None:
    """The clock is ~17 min off (chrony never synchronised): SDK retries, signatures expired, 401."""
    unauthorized(b)
    s, n = b.story, b.node
    s.extra["clock_unsynced"] = True

    def details(b: Builder, t: datetime) -> datetime:
        na = Nodeadm(b, "nodeadm-config")
        for attempt in (2, 3):
            t = c.sec(t, 0.4 * attempt)
            na.sdk(t, "EC2/DescribeInstances", attempt)
        return c.sec(t, 0.3)

    def userdata(b: Builder, t: datetime):
        out = "var_log/cloud-init-output.log"
        real = t + timedelta(minutes=17, seconds=11)
        signed = t - timedelta(seconds=1)
        b.add(out, t, "+ aws sts get-caller-identity")
        b.add(out, c.sec(t, 0.9), "")
        b.add(out, c.sec(t, 0.91), "An error occurred (SignatureDoesNotMatch) when calling the GetCallerIdentity operation: Signature expired: "
                                   f"{signed:%Y%m%dT%H%M%SZ} is now earlier than {real - timedelta(minutes=5):%Y%m%dT%H%M%SZ} "
                                   f"({real:%Y%m%dT%H%M%SZ} - 5 min.)")
        b.add(out, c.sec(t, 0.95), "+ aws ecr get-login-password --region " + n.region)
        b.add(out, c.sec(t, 1.9), "")
        b.add(out, c.sec(t, 1.91), "An error occurred (ExpiredTokenException) when calling the GetAuthorizationToken operation: "
                                   "The security token included in the request is expired")
        return c.sec(t, 2.0), 0

    s.hooks["instance_details"] = details
    s.hooks["userdata"] = userdata


# --- network ----------------------------------------------------------------------------------
def tls_timeout(b: Builder) -> None:
    s = b.story
    s.api_error = "net/http: TLS handshake timeout"
    s.registered, s.curl = False, "timeout"


def private_no_endpoints(b: Builder) -> None:
    """nodeadm cannot reach ec2.<region>: SDK retries for minutes, then the fatal line; nothing starts."""
    s, n = b.story, b.node
    s.userdata_ok = False
    s.registered = False
    s.duration = timedelta(minutes=11)
    s.extra["nodeadm_config_failed"] = True
    ec2_ip = f"52.{94 + len(n.region) % 5}.{(int(n.account[:3]) % 200) + 20}.{(int(n.account[3:6]) % 250) + 2}"

    def config(b: Builder, t: datetime):
        state = {}

        def details(b: Builder, t: datetime):
            na = Nodeadm(b, "nodeadm-config")
            delay = 0.0
            for attempt in range(2, 31):
                delay = min(20.0, 2 ** min(attempt - 1, 5) * b.rng.uniform(0.5, 1.0)) + 30  # each attempt hits the 30 s dial timeout
                t = c.sec(t, delay)
                if t > b.end - timedelta(seconds=30):
                    break
                na.sdk(t, "EC2/DescribeInstances", attempt)
            state["end"] = c.sec(t, 30)
            return None

        b.story.hooks["instance_details"] = details
        config_phase(b, t)
        end = min(state["end"], b.end - timedelta(seconds=20))
        fail_unit(b, "nodeadm-config", "EKS Nodeadm Config", end,
                  "operation error EC2: DescribeInstances, exceeded maximum number of attempts, 30, https response error StatusCode: 0, "
                  f"RequestID: , request send failed, Post \"https://ec2.{n.region}.amazonaws.com/\": dial tcp {ec2_ip}:443: i/o timeout")
        return end, False

    s.hooks["nodeadm_config"] = config


def ctx_private_no_endpoints(n: Node, ctx: dict) -> None:
    ctx["cluster"].update(endpoint_public_access=False, endpoint_private_access=True, public_access_cidrs=[])
    ctx["route_table"]["routes"] = [r for r in ctx["route_table"]["routes"] if r["destination"] != "0.0.0.0/0"]
    ctx["vpc_endpoints"] = []
    ctx["nat_gateways"] = []


def connection_refused(b: Builder) -> None:
    s = b.story
    s.api_error = refused(b.node)
    s.registered, s.curl = False, "refused"


def no_route(b: Builder) -> None:
    s = b.story
    public_endpoint(b)
    s.api_error = f"dial tcp {b.node.endpoint_ips[0]}:443: connect: network is unreachable"
    s.registered, s.curl, s.default_route = False, "noroute", False


# --- DNS --------------------------------------------------------------------------------------
def dns_no_such_host(b: Builder) -> None:
    s, n = b.story, b.node
    s.api_error = f"dial tcp: lookup {n.endpoint_host} on {n.vpc_resolver}:53: no such host"
    s.registered, s.curl = False, "resolve"


def ctx_dns_support_off(n: Node, ctx: dict) -> None:
    ctx["vpc"]["enable_dns_support"] = False


def dhcp_no_domain(b: Builder) -> None:
    s, n = b.story, b.node
    s.hostname_short = True
    n.journal_host = n.short_host
    s.registered = False
    s.resolv_search = "corp.example.internal"
    s.resolv_nameservers = ["10.20.0.10", "10.20.0.11"]
    s.register_forbidden = (f'nodes "{n.short_host}" is forbidden: node "{n.hostname}" is not allowed to modify node "{n.short_host}"')
    s.duration = timedelta(minutes=15)


def ctx_dhcp_no_domain(n: Node, ctx: dict) -> None:
    ctx["vpc"]["dhcp_options"] = {"domain-name-servers": ["10.20.0.10", "10.20.0.11"]}
