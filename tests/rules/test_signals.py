"""Line-level fixtures for the signal catalog: each signal must match the real variants of its log
line (legacy and structured klog, journal prefix or pasted bare) and must not match near misses.

Lines are as the components print them (bundle-format.md section 3 and upstream source texts).
"""

from __future__ import annotations

import pytest

from eksdoctor.signals import combined_pattern, load_catalog

J = "Jun 06 19:33:03 ip-10-150-127-198 kubelet[3214]: "
M = "Mar 19 14:01:01 ip-172-18-14-119 kubelet: "

CASES: dict[str, tuple[list[str], list[str]]] = {
    "kubelet_unauthorized": (
        [J + 'E0606 19:33:03.828406    3214 kubelet_node_status.go:96] "Unable to register node with API server" err="Unauthorized" node="ip-10-150-127-198.ec2.internal"',
         J + 'E0606 19:33:03.828481    3214 controller.go:145] "Failed to ensure lease exists, will retry" err="Unauthorized" interval="7s"',
         M + 'E0319 14:01:01.309269    3780 kubelet_node_status.go:103] Unable to register node "ip-172-18-14-119.eu-north-1.compute.internal" with API server: Unauthorized',
         M + 'E0319 14:01:02.055257    3780 reflector.go:205] k8s.io/kubernetes/pkg/kubelet/config/apiserver.go:47: Failed to list *v1.Pod: Unauthorized',
         'E0606 19:33:03.828406 3214 kubelet_node_status.go:96] "Unable to register node with API server" err="Unauthorized"'],
        [J + 'I0606 19:33:03.796478    3214 kubelet_node_status.go:73] "Attempting to register node" node="ip-10-150-127-198.ec2.internal"',
         'Jun 24 12:53:11 ip-192-168-16-30 kubelet: E0624 12:53:11.464107    3853 reflector.go:126] Get https://x.eks.amazonaws.com/api: getting credentials: exec: exit status 2']),
    "credential_helper_failed": (
        ['Jun 24 12:53:11 ip-192-168-16-30 kubelet: E0624 12:53:11.464107    3853 reflector.go:126] k8s.io/client-go/informers/factory.go:133: Failed to list *v1beta1.RuntimeClass: Get https://A5782ABEAD64D50D1C46F116D442503D.gr7.eu-central-1.eks.amazonaws.com/apis/node.k8s.io/v1beta1/runtimeclasses?limit=500&resourceVersion=0: getting credentials: exec: exit status 2'],
        [J + 'E0606 19:33:03.8 3214 x.go:1] "Unable to register node with API server" err="Unauthorized"']),
    "credential_helper_missing": (
        [J + 'E0606 19:33:03.1 3214 reflector.go:138] failed to list *v1.Node: Get "https://ABC.gr7.us-east-1.eks.amazonaws.com/api/v1/nodes": getting credentials: exec: executable aws-iam-authenticator not found'],
        ['Jun 24 12:53:11 h kubelet: E0624 reflector.go:126] getting credentials: exec: exit status 2']),
    "api_tls_handshake_timeout": (
        [J + 'E0606 19:33:03.1 3214 kubelet_node_status.go:96] "Unable to register node with API server" err="Post \\"https://ABC.gr7.us-west-2.eks.amazonaws.com/api/v1/nodes\\": net/http: TLS handshake timeout" node="n"'],
        [J + 'I0606 x.go:1] "TLS handshake complete"']),
    "api_io_timeout": (
        [J + 'E0606 19:33:03.1 3214 controller.go:145] "Failed to ensure lease exists, will retry" err="Get \\"https://ABC.gr7.us-west-2.eks.amazonaws.com/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/n?timeout=10s\\": dial tcp 10.0.12.34:443: i/o timeout" interval="7s"',
         M + 'E0319 14:01:01.3 3780 kubelet_node_status.go:103] Unable to register node "n" with API server: Post https://x.eks.amazonaws.com/api/v1/nodes: dial tcp 52.1.2.3:443: i/o timeout'],
        [J + 'E0606 x.go:1] dial tcp 10.0.12.34:10250: i/o timeout']),
    "api_connection_refused": (
        [J + 'E0606 19:33:03.1 3214 kubelet_node_status.go:96] "Unable to register node with API server" err="Post \\"https://ABC.gr7.us-east-1.eks.amazonaws.com/api/v1/nodes\\": dial tcp 10.0.1.20:443: connect: connection refused" node="n"'],
        [J + 'E0606 x.go:1] "Error getting node" err="dial tcp 127.0.0.1:10248: connect: connection refused"']),
    "no_route_to_host": (
        [J + 'E0606 x.go:1] "Failed to ensure lease exists, will retry" err="Get \\"https://a\\": dial tcp 10.0.0.9:443: connect: no route to host"',
         J + 'E0606 x.go:1] dial tcp 3.3.3.3:443: connect: network is unreachable'],
        [J + 'I0606 x.go:1] "route added"']),
    "dns_lookup_failed": (
        [J + 'E0606 x.go:1] "Unable to register node with API server" err="Post \\"https://ABC.gr7.us-east-1.eks.amazonaws.com/api/v1/nodes\\": dial tcp: lookup ABC.gr7.us-east-1.eks.amazonaws.com on 10.0.0.2:53: no such host"',
         "* Could not resolve host: ABC.gr7.us-east-1.eks.amazonaws.com"],
        [J + 'I0606 x.go:1] "Successfully registered node" node="n"']),
    "api_dns_failed": (
        [J + 'E0606 x.go:1] err="dial tcp: lookup ABC.gr7.us-east-1.eks.amazonaws.com on 10.0.0.2:53: no such host"',
         "curl: (6) Could not resolve host: ABC.gr7.us-east-1.eks.amazonaws.com"],
        ["chronyd[812]: Could not resolve address of 2.amazon.pool.ntp.org: Temporary failure in name resolution",
         J + 'E0606 x.go:1] err="dial tcp: lookup ec2.us-east-1.amazonaws.com on 10.0.0.2:53: no such host"']),
    "kubelet_node_not_found": (
        [J + 'E0606 19:33:04.1 3214 kubelet.go:2412] "Error getting node" err="node \\"ip-10-0-3-17\\" not found"',
         M + 'E0319 14:01:01.3 3780 kubelet.go:2266] node "ip-172-18-14-119.eu-north-1.compute.internal" not found'],
        [J + 'I0606 x.go:1] "Successfully registered node" node="ip-10-0-3-17"']),
    "node_registered": (
        [J + 'I0606 19:34:10.1 3214 kubelet_node_status.go:76] "Successfully registered node" node="ip-10-150-127-198.ec2.internal"',
         M + 'I0319 14:01:01.3 3780 kubelet_node_status.go:75] Successfully registered node ip-172-18-14-119.eu-north-1.compute.internal'],
        [J + 'I0606 x.go:1] "Attempting to register node" node="n"']),
    "sts_invalid_client_token": (
        ["time=\"2024-05-01T10:00:00Z\" level=error msg=\"error: InvalidClientTokenId: The security token included in the request is invalid.\\n\\tstatus code: 403\"",
         "An error occurred (InvalidClientTokenId) when calling the GetCallerIdentity operation: The security token included in the request is invalid."],
        ["An error occurred (AccessDenied) when calling the DescribeCluster operation: x"]),
    "sts_token_expired": (
        ["An error occurred (ExpiredToken) when calling the DescribeInstances operation: The security token included in the request is expired"],
        ["token refreshed"]),
    "ec2_api_denied": (
        ['{"level":"error","ts":"2024-03-20T17:48:58.123Z","caller":"ipamd/ipamd.go:489","msg":"Failed to call ec2:DescribeNetworkInterfaces for [eni-0a1b]: UnauthorizedOperation: You are not authorized to perform this operation.\\n\\tstatus code: 403, request id: 1"}',
         "An error occurred (UnauthorizedOperation) when calling the DescribeInstances operation: You are not authorized to perform this operation."],
        ['{"level":"error","msg":"AccessDenied: User is not authorized to perform: ecr:GetAuthorizationToken"}']),
    "subnet_ip_exhausted": (
        ['{"level":"error","ts":"2021-12-02T03:34:46.067Z","caller":"ipamd/ipamd.go:934","msg":"Failed to allocate a private IP/Prefix addresses on ENI eni-01f879673fc5fd14d: InsufficientFreeAddressesInSubnet: The specified subnet does not have enough free addresses to satisfy the request.\\n\\tstatus code: 400, request id: aeac321e-be9f-4a13-9b2f-e6ef5985689a"}',
         '{"level":"error","ts":"2024-11-06T10:09:36.646Z","caller":"ipamd/ipamd.go:825","msg":"Failed to increase pool size due to not able to allocate ENI AllocENI: failed to create ENI: failed to create network interface: InvalidParameterValue: There aren\'t sufficient free Ipv4 addresses or prefixes\\n\\tstatus code: 400"}',
         "2018-03-01T02:51:09Z [ERROR] Failed to increase pool size due to not able to allocate ENI allocate eni: failed to create eni: failed to create network interface: InsufficientFreeAddressesInSubnet: ..."],
        ['{"level":"debug","ts":"2024-01-10T20:46:28.541Z","caller":"ipamd/ipamd.go:632","msg":"IP pool is too low: available (0) < ENI target (1) * addrsPerENI (16)"}']),
    "bootstrap_script_missing": (
        ["/var/lib/cloud/instance/scripts/part-001: line 7: /etc/eks/bootstrap.sh: No such file or directory"],
        ["2023-11-17T02:16:06+0000 [eks-bootstrap] INFO: starting..."]),
    "bootstrap_removed_al2023": (["ERROR: bootstrap.sh has been removed from AL2023-based EKS AMIs."],
                                 ["EKS nodes are now initialized by nodeadm."]),
    "describe_cluster_exhausted": (["2024-02-01T10:00:00+0000 [eks-bootstrap] ERROR: Exhausted retries while describing cluster!"],
                                   ["2024-02-01T10:00:00+0000 [eks-bootstrap] INFO: Attempt 1 of 3"]),
    "describe_cluster_throttled": (
        ["An error occurred (ThrottlingException) when calling the DescribeCluster operation (reached max retries: 4): Rate exceeded"],
        ["An error occurred (ThrottlingException) when calling the DescribeInstances operation: Rate exceeded"]),
    "describe_cluster_not_found": (
        ["An error occurred (ResourceNotFoundException) when calling the DescribeCluster operation: No cluster found for name: Prod-East."],
        ["An error occurred (ResourceNotFoundException) when calling the DescribeNodegroup operation: x"]),
    "cloud_init_script_failed": (
        ["Sep 13 13:35:04 cloud-init[3421]: util.py[WARNING]: Failed running /var/lib/cloud/instance/scripts/part-001 [1]",
         "2021-01-08 14:01:22,324 - cc_scripts_user.py[WARNING]: Failed to run module scripts-user (scripts in /var/lib/cloud/instance/scripts)"],
        ["Sep 13 13:35:01 cloud-init[3421]: util.py[DEBUG]: Running command ['/var/lib/cloud/instance/scripts/part-001'] with allowed return codes [0]"]),
    "userdata_not_handled": (
        ["Sep 10 12:53:13 cloud-init[1800]: __init__.py[WARNING]: Unhandled non-multipart (text/x-not-multipart) userdata: 'b'apiVersion: node.e'...'"],
        ["May 29 08:27:40 cloud-init[1829]: __init__.py[WARNING]: Unhandled unknown content-type (application/node.eks.aws) userdata: 'b'---'...'"]),
    "nodeadm_config_invalid": (
        ['{"level":"fatal","ts":1711089819.5,"caller":"nodeadm/main.go:36","msg":"Command failed","error":"could not find NodeConfig within UserData"}',
         'fatal cli/main.go:44 Command failed {"error": "Apiserver endpoint is missing in cluster configuration"}'],
        ['info init/init.go:55 Checking user is root..']),
    "unit_exec_failed": (
        ["Feb 18 12:45:59 ip-10-0-1-229 systemd[4012]: kubelet.service: Failed at step EXEC spawning /usr/bin/kubelet: No such file or directory",
         "Feb 18 12:45:59 ip-10-0-1-229 systemd[1]: kubelet.service: Main process exited, code=exited, status=203/EXEC"],
        ["Feb 18 12:45:59 ip-10-0-1-229 systemd[1]: Started Kubernetes Kubelet."]),
    "cloud_provider_tag_missing": (
        [J + 'W0606 19:33:03.1 3214 tags.go:79] Tag "KubernetesCluster" nor "kubernetes.io/cluster/..." not found; Kubernetes may behave unexpectedly.',
         J + 'F0606 19:33:03.2 3214 server.go:274] failed to run Kubelet: could not init cloud provider "aws": AWS cloud failed to find ClusterID'],
        [J + 'I0606 x.go:1] "Starting cloud provider"']),
    "cni_not_initialized": (
        [J + 'E0606 19:33:10.1 3214 kubelet.go:2892] "Container runtime network not ready" networkReady="NetworkReady=false reason:NetworkPluginNotReady message:Network plugin returns error: cni plugin not initialized"'],
        [J + 'I0606 x.go:1] "Successfully registered node" node="n"']),
    "curl_api_timeout": (["* Connection timed out after 3001 milliseconds", "curl: (28) Connection timed out after 3001 milliseconds"],
                         ["* Connected to ABC.gr7.us-east-1.eks.amazonaws.com (10.0.1.20) port 443 (#0)"]),
    "curl_api_ok": (["livez check passed", "< HTTP/2 200"], ["< HTTP/2 500"]),
    "aws_endpoint_timeout": (
        ['SDK 2026/05/26 14:58:30 DEBUG request failed with unretryable error https response error StatusCode: 0, RequestID: , request send failed, Post "https://ec2.us-east-1.amazonaws.com/": dial tcp 52.94.1.1:443: i/o timeout',
         'Connect timeout on endpoint URL: "https://sts.us-east-1.amazonaws.com/"'],
        ['Get "https://ABC.gr7.us-east-1.eks.amazonaws.com/api/v1/nodes": dial tcp 10.0.1.2:443: i/o timeout']),
    "sdk_retry": (["SDK 2026/05/26 14:57:57 DEBUG retrying request EC2/DescribeInstances, attempt 2"], ["SDK 2026/05/26 done"]),
    "ipamd_metadata_failed": (
        ['{"level":"error","ts":"2024-01-10T20:46:28.541Z","caller":"aws-k8s-agent/main.go:32","msg":"Initialization failure: ipamd: can not initialize with AWS SDK interface: refreshSGIDs: unable to retrieve IMDS interface data: EC2MetadataError: failed to make EC2Metadata request"}'],
        ['{"level":"info","msg":"Starting L-IPAMD"}']),
}


@pytest.fixture(scope="module")
def catalog():
    return {p.name: p for p in load_catalog()}


@pytest.mark.parametrize("name", sorted(CASES))
def test_signal_matches_real_variants(catalog, name):
    probe = catalog[name]
    positives, negatives = CASES[name]
    for line in positives:
        assert probe.match_line(line) is not None, f"{name} should match: {line}"
        # the combined scan must find the line too (RE2 and re agree on the syntax we allow)
        assert combined_pattern([probe]).search(line.encode()), f"combined pattern misses: {line}"
    for line in negatives:
        assert probe.match_line(line) is None, f"{name} should not match: {line}"


def test_attrs_are_captured(catalog):
    line = CASES["kubelet_unauthorized"][0][0]
    attrs = catalog["kubelet_unauthorized"].match_line(line)
    assert attrs["node"] == "ip-10-150-127-198.ec2.internal"
    assert attrs["op"] == "Unable to register node"
    assert catalog["ec2_api_denied"].match_line(CASES["ec2_api_denied"][0][0])["action"] == "ec2:DescribeNetworkInterfaces"


def test_every_signal_is_documented_and_used(catalog):
    import yaml
    from importlib import resources

    rule_text = "".join(f.read_text() for f in resources.files("eksdoctor.rules").iterdir()
                        if f.name.endswith(".yaml") and f.name != "signals.yaml")
    for name, probe in catalog.items():
        assert probe.description
        used = name in rule_text or any(name in p.dismissed_by for p in catalog.values())
        assert used, f"signal {name} is referenced by no rule and dismisses nothing"
    assert yaml  # imported for the resource walk above


def test_catalog_errors_are_typed(tmp_path):
    from eksdoctor.errors import RuleBaseError

    bad = tmp_path / "signals.yaml"
    bad.write_text("signals:\n- name: x\n  description: d\n  files: [a]\n  pattern: '(unclosed'\n")
    with pytest.raises(RuleBaseError, match="invalid pattern"):
        load_catalog(bad)
    bad.write_text("signals: [\n")
    with pytest.raises(RuleBaseError, match="not valid YAML"):
        load_catalog(bad)
