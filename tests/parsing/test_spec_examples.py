# ruff: noqa: E501  (tables of verbatim log lines)
"""Every verbatim log line quoted in bundle-format.md section 3, parsed from the file it lives in.

Each row: (member path, line, year, expected ts | None, level, source, message, fmt).
A message given as Prefix("...") is compared with startswith (the line is long or truncated).
Lines quoted with a console/dmesg prefix or without any prefix are parsed with parse_text.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from eksdoctor.models import LEVELS
from eksdoctor.parsing import parse_lines, parse_text

UTC = timezone.utc
PASTED = "<pasted>"


class Prefix(str):
    """Expected message that the parsed message must start with."""


def ts(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text.replace("Z", "+00:00")) if text else None


KUBELET = "kubelet/kubelet.log"
MESSAGES = "var_log/messages"
CIO = "var_log/cloud-init-output.log"
CILOG = "var_log/cloud-init.log"
IPAMD = "var_log/aws-routed-eni/ipamd.log"
PLUGIN = "var_log/aws-routed-eni/plugin.log"
NODEADM = "nodeadm/nodeadm-config.log"
CONTAINERD = "containerd/containerd-log.txt"
SANDBOX = "sandbox-image/sandbox-image-log.txt"
AWS_NODE = "var_log/aws-node-7xk2p_kube-system_aws-node-" + "ab12" * 16 + ".log"

CASES = [
    # --- 3.1 journalctl short, AL2 kubelet (legacy klog)
    (KUBELET,
     "Feb 18 12:46:09 ip-10-0-1-229.us-west-2.compute.internal kubelet[4015]: I0218 12:46:09.118312    4015 "
     "kubelet_node_status.go:79] Attempting to register node ip-10-0-1-229.us-west-2.compute.internal",
     2020, "2020-02-18T12:46:09.118312Z", "info", "kubelet",
     "Attempting to register node ip-10-0-1-229.us-west-2.compute.internal", "journal+klog"),
    (KUBELET,
     "Feb 18 12:46:09 ip-10-0-1-229.us-west-2.compute.internal kubelet[4015]: E0218 12:46:09.276627    4015 "
     'kubelet_node_status.go:103] Unable to register node "ip-10-0-1-229.us-west-2.compute.internal" with AP',
     2020, "2020-02-18T12:46:09.276627Z", "error", "kubelet",
     'Unable to register node "ip-10-0-1-229.us-west-2.compute.internal" with AP', "journal+klog"),
    # structured klog, IAM failure (pid padding collapsed in the issue)
    (KUBELET,
     'Jun 06 19:33:03 ip-10-150-127-198 kubelet[3214]: I0606 19:33:03.796478 3214 kubelet_node_status.go:73] '
     '"Attempting to register node" node="ip-10-150-127-198.ec2.internal"',
     2024, "2024-06-06T19:33:03.796478Z", "info", "kubelet",
     '"Attempting to register node" node="ip-10-150-127-198.ec2.internal"', "journal+klog"),
    (KUBELET,
     'Jun 06 19:33:03 ip-10-150-127-198 kubelet[3214]: E0606 19:33:03.828406 3214 kubelet_node_status.go:96] '
     '"Unable to register node with API server" err="Unauthorized" node="ip-10-150-127-198.ec2.internal"',
     2024, "2024-06-06T19:33:03.828406Z", "error", "kubelet",
     '"Unable to register node with API server" err="Unauthorized" node="ip-10-150-127-198.ec2.internal"',
     "journal+klog"),
    (KUBELET,
     'Jun 06 19:33:03 ip-10-150-127-198 kubelet[3214]: E0606 19:33:03.828481 3214 controller.go:145] '
     '"Failed to ensure lease exists, will retry" err="Unauthorized" interval="7s"',
     2024, "2024-06-06T19:33:03.828481Z", "error", "kubelet",
     '"Failed to ensure lease exists, will retry" err="Unauthorized" interval="7s"', "journal+klog"),
    # journal header and AL2 sandbox-image pull
    (SANDBOX, "-- Logs begin at Wed 2024-02-07 16:50:22 UTC, end at Wed 2024-02-07 16:59:59 UTC. --",
     2024, None, None, "journal",
     "Logs begin at Wed 2024-02-07 16:50:22 UTC, end at Wed 2024-02-07 16:59:59 UTC.", "journal-marker"),
    (SANDBOX,
     "Feb 07 16:50:31 ip-10-34-46-213.ec2.internal systemd[1]: Starting pull sandbox image defined in "
     "containerd config.toml...",
     2024, "2024-02-07T16:50:31Z", None, "systemd",
     "Starting pull sandbox image defined in containerd config.toml...", "journal"),
    (SANDBOX,
     'Feb 07 16:50:34 ip-10-34-46-213.ec2.internal pull-sandbox-image.sh[4042]: time="2024-02-07T16:50:34Z" '
     'level=warning msg="image connect using default endpoints: [...]. As the default settings are now '
     'deprecated, you should set the endpoint instead."',
     2024, "2024-02-07T16:50:34Z", "warning", "pull-sandbox-image.sh",
     "image connect using default endpoints: [...]. As the default settings are now deprecated, you should "
     "set the endpoint instead.", "journal+logfmt"),
    # --- 3.2 klog in AL2 rsyslog var_log/messages (no pid after the identifier)
    (MESSAGES,
     "Mar 19 14:01:01 ip-172-18-14-119 kubelet: E0319 14:01:01.309269    3780 kubelet_node_status.go:103] "
     'Unable to register node "ip-172-18-14-119.eu-north-1.compute.internal" with API server: Unauthorized',
     2019, "2019-03-19T14:01:01.309269Z", "error", "kubelet",
     'Unable to register node "ip-172-18-14-119.eu-north-1.compute.internal" with API server: Unauthorized',
     "syslog+klog"),
    (MESSAGES,
     "Mar 19 14:01:02 ip-172-18-14-119 kubelet: E0319 14:01:02.055257    3780 reflector.go:205] "
     "k8s.io/kubernetes/pkg/kubelet/config/apiserver.go:47: Failed to list *v1.Pod: Unauthorized",
     2019, "2019-03-19T14:01:02.055257Z", "error", "kubelet",
     "k8s.io/kubernetes/pkg/kubelet/config/apiserver.go:47: Failed to list *v1.Pod: Unauthorized", "syslog+klog"),
    (MESSAGES,
     "Jun 24 12:53:11 ip-192-168-16-30 kubelet: E0624 12:53:11.464107    3853 reflector.go:126] "
     "k8s.io/client-go/informers/factory.go:133: Failed to list *v1beta1.RuntimeClass: Get "
     "https://A5782ABEAD64D50D1C46F116D442503D.gr7.eu-central-1.eks.amazonaws.com/apis/node.k8s.io/v1beta1/"
     "runtimeclasses?limit=500&resourceVersion=0: getting credentials: exec: exit status 2",
     2020, "2020-06-24T12:53:11.464107Z", "error", "kubelet",
     Prefix("k8s.io/client-go/informers/factory.go:133: Failed to list *v1beta1.RuntimeClass: Get https://"),
     "syslog+klog"),
    # --- 3.3 AL2 bootstrap.sh in cloud-init-output.log
    (CIO, "2023-11-17T02:16:06+0000 [eks-bootstrap] INFO: Using kubelet version 1.28.3",
     2023, "2023-11-17T02:16:06Z", "info", "eks-bootstrap", "Using kubelet version 1.28.3", "bootstrap"),
    (CIO, "2023-11-17T02:16:06+0000 [eks-bootstrap] INFO: --dns-cluster-ip='10.50.0.10'",
     2023, "2023-11-17T02:16:06Z", "info", "eks-bootstrap", "--dns-cluster-ip='10.50.0.10'", "bootstrap"),
    (CIO, "2023-11-17T02:16:06+0000 [eks-bootstrap] INFO: Using containerd as the container runtime",
     2023, "2023-11-17T02:16:06Z", "info", "eks-bootstrap", "Using containerd as the container runtime",
     "bootstrap"),
    (CIO, "2023-11-17T02:16:07+0000 [eks-bootstrap] INFO: Using IP family: ipv4",
     2023, "2023-11-17T02:16:07Z", "info", "eks-bootstrap", "Using IP family: ipv4", "bootstrap"),
    # user-data traces through journald
    (PASTED,
     "Oct 07 13:28:42 ip-10-1-6-110.eu-central-1.compute.internal cloud-init[2512]: Cloud-init v. 19.3-44.amzn2 "
     "running 'modules:final' at Thu, 07 Oct 2021 13:28:41 +0000. Up 51.58 seconds.",
     2021, "2021-10-07T13:28:41Z", "info", "cloud-init", Prefix("Cloud-init v. 19.3-44.amzn2 running"),
     "journal+cloud-init-banner"),
    (PASTED,
     "Oct 07 13:28:42 ip-10-1-6-110.eu-central-1.compute.internal cloud-init[2512]: "
     "+ B64_CLUSTER_CA=LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0t...",
     2021, "2021-10-07T13:28:42Z", None, "cloud-init", "B64_CLUSTER_CA=LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0t...",
     "journal+trace"),
    # --- 3.4 nodeadm zap JSON (before v20251217), unix-float ts
    (PASTED, '{"level":"info","ts":1711089818.4551878,"caller":"init/init.go:49","msg":"Checking user is root.."}',
     2024, "2024-03-22T06:43:38.455188Z", "info", "pasted", "Checking user is root..", "nodeadm-json"),
    (PASTED,
     '{"level":"info","ts":1711089818.4622667,"caller":"init/init.go:57","msg":"Loading configuration..",'
     '"configSource":"imds://user-data"}',
     2024, "2024-03-22T06:43:38.462267Z", "info", "pasted",
     'Loading configuration.. {"configSource": "imds://user-data"}', "nodeadm-json"),
    (PASTED,  # truncated in the issue: still level, time and message
     '{"level":"info","ts":1711089819.5107644,"caller":"init/init.go:66","msg":"Loaded configuration",'
     '"config":{"metadata":{"creationTimestamp":null},"spec":{"cluster":{"nam...',
     2024, "2024-03-22T06:43:39.510764Z", "info", "pasted", "Loaded configuration", "zap-json"),
    (PASTED,
     '[   13.226001] cloud-init[1829]: May 29 08:27:42 localhost nodeadm[1619]: {"level":"info",'
     '"ts":1716971262.7808166,"caller":"init/init.go:170","msg":"Default options populated","defaults":'
     '{"sandboxImage":"602401143452.dkr.ecr.us-east-2.amazonaws.com/eks/pause:3.5"}}',
     2024, "2024-05-29T08:27:42.780817Z", "info", "nodeadm",
     'Default options populated {"defaults": {"sandboxImage": '
     '"602401143452.dkr.ecr.us-east-2.amazonaws.com/eks/pause:3.5"}}', "dmesg+ident+journal+nodeadm-json"),
    # nodeadm console encoder (from v20251217), captured from the serial console: no wall time
    (PASTED, "[    5.241295] nodeadm[1879]: info init/init.go:55 Checking user is root..",
     2025, None, "info", "nodeadm", "Checking user is root..", "dmesg+ident+nodeadm-console"),
    (PASTED,
     '[    5.242602] nodeadm[1879]: info init/init.go:65 Loading configuration.. {"configSource": '
     '["imds://user-data"], "configCache": "/run/eks/nodeadm/config.json"}',
     2025, None, "info", "nodeadm", Prefix('Loading configuration.. {"configSource": ["imds://user-data"]'),
     "dmesg+ident+nodeadm-console"),
    (PASTED,
     '[    5.244945] nodeadm[1879]: warn cli/config.go:25 failed to load cached config {"error": '
     '"open /run/eks/nodeadm/config.json: no such file or directory"}',
     2025, None, "warning", "nodeadm", Prefix("failed to load cached config {"), "dmesg+ident+nodeadm-console"),
    (PASTED,
     '[    5.499797] nodeadm[1879]: info init/init.go:201 Instance details populated {"details": '
     '{"id":"i-060ddd61d217d9125","region":"eu-west-1","type":"t3.medium","availabilityZone":"eu-west-1a",'
     '"mac":"02:ca:87:6e:fe:91","privateDnsName":"ip-10-0-132-36.eu-west-1.compute.internal"}}',
     2025, None, "info", "nodeadm", Prefix("Instance details populated {"), "dmesg+ident+nodeadm-console"),
    (PASTED,
     '[    5.508351] nodeadm[1879]: info init/init.go:89 Loaded configuration {"config": {"metadata":{},'
     '"spec":{"cluster":{"name":"logguardian","apiServerEndpoint":"https://1B3F...gr7.eu-west-1.eks.amazonaws.com",'
     '"certificateAuthority":"LS0t...","cidr":"172.20.0.0/16"}, ... "kubelet":{"config":{"clusterDNS":'
     '["172.20.0.10"],"maxPods":17},"flags":["--node-labels=eks.amazonaws.com/nodegroup-image=ami-...,'
     'eks.amazonaws.com/capacityType=ON_DEMAND,eks.amazonaws.com/nodegroup=..."]}}, ...}}',
     2025, None, "info", "nodeadm", Prefix('Loaded configuration {"config": {"metadata":{},"spec":{"cluster":'),
     "dmesg+ident+nodeadm-console"),
    (PASTED, '[    5.574661] nodeadm[1879]: info init/init.go:156 done! {"duration": 0.336080266}',
     2025, None, "info", "nodeadm", 'done! {"duration": 0.336080266}', "dmesg+ident+nodeadm-console"),
    (PASTED, "[   13.262500] nodeadm[24172]: info init/init.go:171 Fetching instance details..",
     2026, None, "info", "nodeadm", "Fetching instance details..", "dmesg+ident+nodeadm-console"),
    (PASTED, "[   43.453180] nodeadm[24172]: SDK 2026/05/26 14:57:57 DEBUG retrying request EC2/DescribeInstances, "
     "attempt 2",
     2026, "2026-05-26T14:57:57Z", "debug", "nodeadm", "retrying request EC2/DescribeInstances, attempt 2",
     "dmesg+ident+sdk"),
    (PASTED, "[  107.440071] nodeadm[24172]: SDK 2026/05/26 14:59:01 DEBUG retrying request EC2/DescribeInstances, "
     "attempt 4",
     2026, "2026-05-26T14:59:01Z", "debug", "nodeadm", "retrying request EC2/DescribeInstances, attempt 4",
     "dmesg+ident+sdk"),
    # the inferred in-bundle form: journal prefix + console body
    (NODEADM, "Apr 22 19:51:32 ip-10-0-132-36 nodeadm[1879]: info init/init.go:55 Checking user is root..",
     2026, "2026-04-22T19:51:32Z", "info", "nodeadm", "Checking user is root..", "journal+nodeadm-console"),
    # --- 3.5 cloud-init files
    (CIO, "/var/lib/cloud/instance/scripts/part-001: line 7: /etc/eks/bootstrap.sh: No such file or directory",
     2021, None, None, "cloud-init-output",
     "/var/lib/cloud/instance/scripts/part-001: line 7: /etc/eks/bootstrap.sh: No such file or directory", "raw"),
    (CIO, "Cloud-init v. 20.3-2-g371b392c-0ubuntu1~20.04.1 running 'modules:final' at Fri, 08 Jan 2021 14:01:22 "
     "+0000. Up 30.86 seconds.",
     2021, "2021-01-08T14:01:22Z", "info", "cloud-init-output", Prefix("Cloud-init v. 20.3-2"),
     "cloud-init-banner"),
    (CIO, "2021-01-08 14:01:22,324 - cc_scripts_user.py[WARNING]: Failed to run module scripts-user "
     "(scripts in /var/lib/cloud/instance/scripts)",
     2021, "2021-01-08T14:01:22.324Z", "warning", "cloud-init-output",
     "Failed to run module scripts-user (scripts in /var/lib/cloud/instance/scripts)", "cloud-init-module"),
    (CIO, "Cloud-init v. 20.3-2-g371b392c-0ubuntu1~20.04.1 finished at Fri, 08 Jan 2021 14:01:22 +0000. "
     "Datasource DataSourceEc2Local.  Up 31.10 seconds",
     2021, "2021-01-08T14:01:22Z", "info", "cloud-init-output", Prefix("Cloud-init v. 20.3-2"),
     "cloud-init-banner"),
    (CIO, "ERROR: bootstrap.sh has been removed from AL2023-based EKS AMIs.",
     2025, None, "error", "cloud-init-output", "ERROR: bootstrap.sh has been removed from AL2023-based EKS AMIs.",
     "leveled"),
    (CIO, "EKS nodes are now initialized by nodeadm.",
     2025, None, None, "cloud-init-output", "EKS nodes are now initialized by nodeadm.", "raw"),
    (CIO, "Cloud-init v. 22.2.2 finished at Wed, 10 Sep 2025 12:53:14 +0000. Datasource DataSourceEc2.",
     2025, "2025-09-10T12:53:14Z", "info", "cloud-init-output", Prefix("Cloud-init v. 22.2.2 finished"),
     "cloud-init-banner"),
    (CILOG, "Sep 13 13:35:01 cloud-init[3421]: util.py[DEBUG]: Running command "
     "['/var/lib/cloud/instance/scripts/part-001'] with allowed return codes [0] (shell=True, capture=False)",
     2018, "2018-09-13T13:35:01Z", "debug", "cloud-init",
     "Running command ['/var/lib/cloud/instance/scripts/part-001'] with allowed return codes [0] "
     "(shell=True, capture=False)", "syslog+cloud-init-module"),
    (CILOG, "Sep 13 13:35:04 cloud-init[3421]: util.py[WARNING]: Failed running "
     "/var/lib/cloud/instance/scripts/part-001 [1]",
     2018, "2018-09-13T13:35:04Z", "warning", "cloud-init",
     "Failed running /var/lib/cloud/instance/scripts/part-001 [1]", "syslog+cloud-init-module"),
    # --- 3.6 VPC CNI ipamd / plugin (zap JSON with ISO ts; legacy seelog)
    (IPAMD, '{"level":"info","ts":"2022-03-20T17:48:56.540Z","caller":"aws-k8s-agent/main.go:27",'
     '"msg":"Starting L-IPAMD   ..."}',
     2022, "2022-03-20T17:48:56.540Z", "info", "ipamd", "Starting L-IPAMD   ...", "zap-json"),
    (IPAMD, '{"level":"info","ts":"2022-03-20T17:48:56.541Z","caller":"aws-k8s-agent/main.go:42",'
     '"msg":"Testing communication with server"}',
     2022, "2022-03-20T17:48:56.541Z", "info", "ipamd", "Testing communication with server", "zap-json"),
    (IPAMD, '{"level":"info","ts":"2022-03-20T17:48:56.552Z","caller":"aws-k8s-agent/main.go:42",'
     '"msg":"Successful communication with the Cluster! Cluster Version is: v1.21+. git version: '
     'v1.21.5-eks-bc4871b. git tree state: clean. commit: 5236faf39f1b7a7dabea8df12726f25608131aa9. '
     'platform: linux/amd64"}',
     2022, "2022-03-20T17:48:56.552Z", "info", "ipamd",
     Prefix("Successful communication with the Cluster! Cluster Version is: v1.21+."), "zap-json"),
    (IPAMD, '{"level":"error","ts":"2021-12-02T03:34:46.067Z","caller":"ipamd/ipamd.go:934","msg":"Failed to '
     'allocate a private IP/Prefix addresses on ENI eni-01f879673fc5fd14d: InsufficientFreeAddressesInSubnet: '
     'The specified subnet does not have enough free addresses to satisfy the request.\\n\\tstatus code: 400, '
     'request id: aeac321e-be9f-4a13-9b2f-e6ef5985689a"}',
     2021, "2021-12-02T03:34:46.067Z", "error", "ipamd",
     "Failed to allocate a private IP/Prefix addresses on ENI eni-01f879673fc5fd14d: "
     "InsufficientFreeAddressesInSubnet: The specified subnet does not have enough free addresses to satisfy "
     "the request.\n\tstatus code: 400, request id: aeac321e-be9f-4a13-9b2f-e6ef5985689a", "zap-json"),
    (IPAMD, '{"level":"error","ts":"2024-11-06T10:09:36.646Z","caller":"ipamd/ipamd.go:825","msg":"Failed to '
     'increase pool size due to not able to allocate ENI AllocENI: failed to create ENI: failed to create '
     'network interface: InvalidParameterValue: There aren\'t sufficient free Ipv4 addresses or prefixes'
     '\\n\\tstatus code: 400, request id: ...',
     2024, "2024-11-06T10:09:36.646Z", "error", "ipamd",
     Prefix("Failed to increase pool size due to not able to allocate ENI AllocENI: failed to create ENI: "
            "failed to create network interface: InvalidParameterValue: There aren't sufficient free Ipv4"),
     "zap-json"),
    (IPAMD, '{"level":"debug","ts":"2024-01-10T20:46:28.541Z","caller":"ipamd/ipamd.go:632","msg":"IP pool is '
     'too low: available (0) < ENI target (1) * addrsPerENI (16)"}',
     2024, "2024-01-10T20:46:28.541Z", "debug", "ipamd",
     "IP pool is too low: available (0) < ENI target (1) * addrsPerENI (16)", "zap-json"),
    (IPAMD, "2018-09-10T20:01:21Z [INFO] Starting L-IPAMD v1.1.0  ...",
     2018, "2018-09-10T20:01:21Z", "info", "ipamd", "Starting L-IPAMD v1.1.0  ...", "seelog"),
    (IPAMD, "2018-03-01T02:51:09Z [ERROR] Failed to increase pool size due to not able to allocate ENI allocate "
     "eni: failed to create eni: failed to create network interface: InsufficientFreeAddressesInSubnet: ...",
     2018, "2018-03-01T02:51:09Z", "error", "ipamd",
     Prefix("Failed to increase pool size due to not able to allocate ENI"), "seelog"),
    (PLUGIN, '{"level":"info","ts":"2020-10-06T23:11:03.886Z","caller":"routed-eni-cni-plugin/cni.go:243",'
     '"msg":"Received CNI del request: ..."}',
     2020, "2020-10-06T23:11:03.886Z", "info", "cni-plugin", "Received CNI del request: ...", "zap-json"),
    # --- 3.7 containerd / dockerd journal lines (logrus logfmt)
    (CONTAINERD, 'Oct 12 23:28:50 ip-192-168-87-241.us-west-2.compute.internal containerd[1602]: '
     'time="2023-10-12T23:28:50.275890680Z" level=info msg=serving... address=/run/containerd/containerd.sock.ttrpc',
     2023, "2023-10-12T23:28:50.275890Z", "info", "containerd",
     "serving... address=/run/containerd/containerd.sock.ttrpc", "journal+logfmt"),
    (CONTAINERD, 'Oct 12 23:28:50 ip-192-168-87-241.us-west-2.compute.internal containerd[1602]: '
     'time="2023-10-12T23:28:50.276004895Z" level=info msg="Start recovering state"',
     2023, "2023-10-12T23:28:50.276004Z", "info", "containerd", "Start recovering state", "journal+logfmt"),
    (PASTED, 'containerd[345]: time="2022-04-15T21:10:13.135108892Z" level=info msg="starting containerd" '
     "revision=de8046a5501db9e0e478e1c10cbcfb21af4c6b2d version=1.6.2",
     2022, "2022-04-15T21:10:13.135108Z", "info", "containerd",
     "starting containerd revision=de8046a5501db9e0e478e1c10cbcfb21af4c6b2d version=1.6.2", "ident+logfmt"),
    (PASTED, 'failed to pull and unpack image "602401143452.dkr.ecr.eu-central-1.amazonaws.com/eks/pause:3.5": '
     'failed to resolve reference "...": pull access denied, repository does not exist or may require '
     "authorization: authorization failed: no basic auth credentials",
     2024, None, None, "pasted", Prefix("failed to pull and unpack image"), "raw"),
    # --- 3.8 CRI container logs
    (AWS_NODE, "2016-10-06T00:17:09.669794202Z stdout P log content 1",
     2016, "2016-10-06T00:17:09.669794Z", None, "aws-node", "log content 1", "cri"),
    (AWS_NODE, "2016-10-06T00:17:09.669794203Z stderr F log content 2",
     2016, "2016-10-06T00:17:09.669794Z", None, "aws-node", "log content 2", "cri"),
    # --- 3.9 dmesg
    ("kernel/dmesg.current", "[1454500.910215] nf_conntrack: table full, dropping packet",
     2018, None, None, "kernel", "nf_conntrack: table full, dropping packet", "dmesg"),
    ("kernel/dmesg.human.current", "[Tue Nov 20 22:30:22 2018] nf_conntrack: table full, dropping packet",
     2018, "2018-11-20T22:30:22Z", None, "kernel", "nf_conntrack: table full, dropping packet", "dmesg-human"),
]


def case(fragment: str) -> tuple[str, str, int]:
    """(path, line, year) of the one table row whose line contains `fragment`."""
    (row,) = [c for c in CASES if fragment in c[1]]
    return row[0], row[1], row[2]


def _parse(path: str, line: str, year: int):
    if path == PASTED:
        (parsed,) = parse_text(line, year=year)
    else:
        (parsed,) = list(parse_lines(path, [(7, line)], year=year))
        assert parsed.lineno == 7
    return parsed


@pytest.mark.parametrize(("path", "line", "year", "want_ts", "level", "source", "message", "fmt"), CASES,
                         ids=[f"{i:02d}-{c[7]}" for i, c in enumerate(CASES)])
def test_spec_line(path, line, year, want_ts, level, source, message, fmt):
    got = _parse(path, line, year)
    assert got.raw == line
    assert got.path == path
    expected = ts(want_ts)
    if expected is None:
        assert got.ts is None
    else:  # unix-float stamps round to the microsecond
        assert got.ts is not None and got.ts.tzinfo is not None
        assert abs(got.ts - expected) <= timedelta(microseconds=1), got.ts
    assert got.level == level
    assert got.level is None or got.level in LEVELS
    assert got.source == source
    if isinstance(message, Prefix):
        assert got.message.startswith(message), got.message
    else:
        assert got.message == message
    assert got.fmt == fmt


def test_structured_klog_fields():
    got = _parse(*case("E0606 19:33:03.828406"))
    assert got.fields == {"msg": "Unable to register node with API server", "caller": "kubelet_node_status.go:96",
                          "err": "Unauthorized", "node": "ip-10-150-127-198.ec2.internal"}
    legacy = _parse(*case("I0218 12:46:09.118312"))
    assert legacy.fields is None  # printf-style klog has no key/values


def test_logfmt_and_zap_fields():
    containerd = _parse(*case("starting containerd"))
    assert containerd.fields["version"] == "1.6.2"
    assert containerd.fields["msg"] == "starting containerd"
    console = _parse(*case("failed to load cached config"))
    assert console.fields["error"] == "open /run/eks/nodeadm/config.json: no such file or directory"
    assert console.fields["caller"] == "cli/config.go:25"
    details = _parse(*case("Instance details populated"))
    assert details.fields["details"]["privateDnsName"] == "ip-10-0-132-36.eu-west-1.compute.internal"
    nodeadm_json = _parse(*case("1711089818.4622667"))
    assert nodeadm_json.fields["configSource"] == "imds://user-data"


def test_marker_fields():
    got = _parse(*case("-- Logs begin at"))
    assert got.fields == {"marker": "logs_begin"}


def test_cri_partial_flag():
    assert _parse(*case("log content 1")).fields == {"stream": "stdout", "partial": True}
    assert _parse(*case("log content 2")).fields == {"stream": "stderr", "partial": False}
