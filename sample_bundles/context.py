"""aws-context.json for a sample node (docs/aws-context-schema.md): the healthy AWS side of the node.

Same instance id, cluster, region, account, subnet and security groups as the bundle. Scenario
`context_setup(node, ctx)` functions then break exactly the one thing the scenario is about.
"""

from __future__ import annotations

from datetime import timedelta

from .identity import Node


def healthy_context(node: Node) -> dict:
    n = node
    collected = n.collected + timedelta(minutes=5)
    nat = "nat-0" + n.instance_id[3:19]
    return {
        "schema_version": 1,
        "collected_at": collected.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": n.region,
        "account": n.account,
        "instance": {
            "id": n.instance_id, "state": "running", "subnet_id": n.subnet_id, "vpc_id": n.vpc_id,
            "private_ip": n.ip, "private_dns_name": n.hostname, "image_id": n.ami_id, "instance_type": n.instance_type,
            "security_group_ids": [n.node_sg],
            "tags": {f"kubernetes.io/cluster/{n.cluster_name}": "owned", "eks:cluster-name": n.cluster_name,
                     "eks:nodegroup-name": "ng-1", "Name": f"{n.cluster_name}-ng-1-Node"},
            "instance_profile_arn": n.instance_profile_arn, "role_name": n.role_name, "role_arn": n.role_arn,
            "metadata_http_tokens": "required", "metadata_hop_limit": 2,
            "user_data": (f"#!/bin/bash\nset -ex\n/etc/eks/bootstrap.sh {n.cluster_name} --b64-cluster-ca {n.ca_b64} "
                          f"--apiserver-endpoint {n.endpoint} --dns-cluster-ip {n.dns_cluster_ip}\n") if n.family == "al2" else
                         ("MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"BOUNDARY\"\n\n--BOUNDARY\n"
                          "Content-Type: application/node.eks.aws\n\n---\napiVersion: node.eks.aws/v1alpha1\nkind: NodeConfig\n"
                          f"spec:\n  cluster:\n    name: {n.cluster_name}\n    apiServerEndpoint: {n.endpoint}\n"
                          f"    certificateAuthority: {n.ca_b64}\n    cidr: {n.service_cidr}\n\n--BOUNDARY--\n"),
            "launch_template": {"id": "lt-0" + n.ami_id[5:21], "version": "3"},
        },
        "subnet": {"id": n.subnet_id, "cidr": n.subnet_cidr, "available_ips": 187, "az": n.az, "map_public_ip": False},
        "route_table": {"id": "rtb-0" + n.vpc_id[5:21], "main": False,
                        "routes": [{"destination": n.vpc_cidr, "target": "local", "state": "active"},
                                   {"destination": "0.0.0.0/0", "target": nat, "state": "active"}]},
        "network_acl": {"id": "acl-0" + n.subnet_id[8:24], "default": True,
                        "entries": [{"rule_number": 100, "protocol": "-1", "action": "allow", "egress": False,
                                     "cidr": "0.0.0.0/0", "port_from": None, "port_to": None},
                                    {"rule_number": 100, "protocol": "-1", "action": "allow", "egress": True,
                                     "cidr": "0.0.0.0/0", "port_from": None, "port_to": None},
                                    {"rule_number": 32767, "protocol": "-1", "action": "deny", "egress": False,
                                     "cidr": "0.0.0.0/0", "port_from": None, "port_to": None},
                                    {"rule_number": 32767, "protocol": "-1", "action": "deny", "egress": True,
                                     "cidr": "0.0.0.0/0", "port_from": None, "port_to": None}]},
        "security_groups": [
            {"id": n.node_sg, "name": f"eks-{n.cluster_name}-node",
             "ingress": [{"protocol": "-1", "from_port": None, "to_port": None, "cidrs": [], "groups": [n.node_sg], "prefix_lists": []},
                         {"protocol": "tcp", "from_port": 10250, "to_port": 10250, "cidrs": [], "groups": [n.cluster_sg], "prefix_lists": []},
                         {"protocol": "tcp", "from_port": 443, "to_port": 443, "cidrs": [], "groups": [n.cluster_sg], "prefix_lists": []}],
             "egress": [{"protocol": "-1", "from_port": None, "to_port": None, "cidrs": ["0.0.0.0/0"], "groups": [], "prefix_lists": []}]},
        ],
        "vpc": {"id": n.vpc_id, "cidr": n.vpc_cidr, "enable_dns_support": True, "enable_dns_hostnames": True,
                "dhcp_options_id": "dopt-0" + n.vpc_id[5:21],
                "dhcp_options": {"domain-name": ["ec2.internal" if n.region == "us-east-1" else f"{n.region}.compute.internal"],
                                 "domain-name-servers": ["AmazonProvidedDNS"]}},
        "vpc_endpoints": [],
        "nat_gateways": [{"id": nat, "state": "available", "subnet_id": "subnet-0" + n.vpc_id[5:21],
                          "public_ips": ["3.%d.%d.%d" % (int(n.account[:2]), int(n.account[2:4]), int(n.account[4:6]) + 1)]}],
        "cluster": {
            "name": n.cluster_name, "status": "ACTIVE", "version": f"1.{n.k8s_minor}", "endpoint": n.endpoint,
            "endpoint_public_access": True, "endpoint_private_access": True, "public_access_cidrs": ["0.0.0.0/0"],
            "cluster_security_group_id": n.cluster_sg, "security_group_ids": [],
            "authentication_mode": "API_AND_CONFIG_MAP", "service_ipv4_cidr": n.service_cidr, "health_issues": []},
        "access_entries": [{"principal_arn": n.role_arn, "type": "EC2_LINUX", "username": "system:node:{{EC2PrivateDNSName}}", "groups": []}],
        "node_role": {"name": n.role_name, "arn": n.role_arn, "path": n.role_path,
                      "attached_policies": ["AmazonEKSWorkerNodePolicy", "AmazonEKS_CNI_Policy", "AmazonEC2ContainerRegistryReadOnly",
                                            "AmazonSSMManagedInstanceCore"],
                      "inline_policies": []},
        "nodegroup": {"name": "ng-1", "status": "ACTIVE", "health_issues": []},
        "ami": {"id": n.ami_id, "name": (f"amazon-eks-node-1.{n.k8s_minor}-{n.ami_release}" if n.family == "al2"
                                         else f"amazon-eks-node-al2023-x86_64-standard-1.{n.k8s_minor}-{n.ami_release}"),
                "owner_id": "602401143452", "public": True, "state": "available", "accessible": True},
        "not_checked": [],
    }


def with_aws_auth(ctx: dict, map_roles: list[dict], mode: str = "CONFIG_MAP") -> None:
    """Switch the cluster to aws-auth mapping (no access entries) with the given mapRoles."""
    ctx["cluster"]["authentication_mode"] = mode
    ctx["access_entries"] = []
    ctx["aws_auth"] = {"map_roles": map_roles}


def node_mapping(arn: str) -> dict:
    return {"rolearn": arn, "username": "system:node:{{EC2PrivateDNSName}}", "groups": ["system:bootstrappers", "system:nodes"]}
