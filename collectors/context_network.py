"""The network side of aws-context.json: subnet, route table, NACL, security groups, VPC, endpoints, NAT."""

from __future__ import annotations

from .checks import NotChecked
from .gateway import AwsGateway

_ROUTE_TARGETS = ("GatewayId", "NatGatewayId", "TransitGatewayId", "VpcPeeringConnectionId", "NetworkInterfaceId",
                  "InstanceId", "EgressOnlyInternetGatewayId", "CarrierGatewayId", "LocalGatewayId", "CoreNetworkArn")


def subnet(gw: AwsGateway, subnet_id: str, nc: NotChecked) -> dict | None:
    """Schema `subnet`: cidr, free addresses (AvailableIpAddressCount), AZ, public-IP-on-launch."""
    found = nc.attempt(gw.call, "ec2", "DescribeSubnets", SubnetIds=[subnet_id])
    items = (found or {}).get("Subnets") or []
    if not items:
        return None
    s = items[0]
    return {"id": s["SubnetId"], "cidr": s.get("CidrBlock"), "available_ips": s.get("AvailableIpAddressCount"),
            "az": s.get("AvailabilityZone"), "map_public_ip": bool(s.get("MapPublicIpOnLaunch"))}


def route_table(gw: AwsGateway, subnet_id: str, vpc_id: str | None, nc: NotChecked) -> dict | None:
    """The table that routes the subnet: its explicit association, else the VPC's main table."""
    tables = nc.attempt(gw.call, "ec2", "DescribeRouteTables",
                        Filters=[{"Name": "association.subnet-id", "Values": [subnet_id]}])
    if tables is None:
        return None
    items = tables.get("RouteTables") or []
    main = False
    if not items and vpc_id:
        tables = nc.attempt(gw.call, "ec2", "DescribeRouteTables",
                            Filters=[{"Name": "vpc-id", "Values": [vpc_id]},
                                     {"Name": "association.main", "Values": ["true"]}])
        items, main = (tables or {}).get("RouteTables") or [], True
    if not items:
        return None
    table = items[0]
    routes = []
    for r in table.get("Routes") or []:
        destination = r.get("DestinationCidrBlock") or r.get("DestinationIpv6CidrBlock") or r.get("DestinationPrefixListId")
        target = next((r[k] for k in _ROUTE_TARGETS if r.get(k)), None)
        routes.append({"destination": destination, "target": target, "state": r.get("State")})
    return {"id": table["RouteTableId"], "main": main, "routes": routes}


def network_acl(gw: AwsGateway, subnet_id: str, nc: NotChecked) -> dict | None:
    """Schema `network_acl`: the subnet's NACL entries in both directions."""
    found = nc.attempt(gw.call, "ec2", "DescribeNetworkAcls",
                       Filters=[{"Name": "association.subnet-id", "Values": [subnet_id]}])
    items = (found or {}).get("NetworkAcls") or []
    if not items:
        return None
    acl = items[0]
    entries = []
    for e in sorted(acl.get("Entries") or [], key=lambda e: (bool(e.get("Egress")), e.get("RuleNumber", 0))):
        ports = e.get("PortRange") or {}
        entries.append({"rule_number": e.get("RuleNumber"), "protocol": str(e.get("Protocol", "-1")),
                        "action": e.get("RuleAction"), "egress": bool(e.get("Egress")),
                        "cidr": e.get("CidrBlock") or e.get("Ipv6CidrBlock"),
                        "port_from": ports.get("From"), "port_to": ports.get("To")})
    return {"id": acl["NetworkAclId"], "default": bool(acl.get("IsDefault")), "entries": entries}


def _rule(perm: dict) -> dict:
    return {"protocol": str(perm.get("IpProtocol", "-1")),
            "from_port": perm.get("FromPort") if perm.get("IpProtocol") != "-1" else None,
            "to_port": perm.get("ToPort") if perm.get("IpProtocol") != "-1" else None,
            "cidrs": [r["CidrIp"] for r in perm.get("IpRanges") or [] if "CidrIp" in r]
            + [r["CidrIpv6"] for r in perm.get("Ipv6Ranges") or [] if "CidrIpv6" in r],
            "groups": [g["GroupId"] for g in perm.get("UserIdGroupPairs") or [] if "GroupId" in g],
            "prefix_lists": [p["PrefixListId"] for p in perm.get("PrefixListIds") or [] if "PrefixListId" in p]}


def security_groups(gw: AwsGateway, group_ids: list[str], nc: NotChecked) -> list[dict] | None:
    """Schema `security_groups`: ingress/egress rules of the node's groups and the cluster's groups."""
    if not group_ids:
        return None
    found = nc.attempt(gw.call, "ec2", "DescribeSecurityGroups", GroupIds=sorted(set(group_ids)))
    if found is None:
        return None
    return [{"id": g["GroupId"], "name": g.get("GroupName"),
             "ingress": [_rule(p) for p in g.get("IpPermissions") or []],
             "egress": [_rule(p) for p in g.get("IpPermissionsEgress") or []]}
            for g in found.get("SecurityGroups") or []]


def vpc(gw: AwsGateway, vpc_id: str, nc: NotChecked) -> dict | None:
    """Schema `vpc`: CIDR, DNS support/hostnames (one attribute per call), DHCP options."""
    found = nc.attempt(gw.call, "ec2", "DescribeVpcs", VpcIds=[vpc_id])
    items = (found or {}).get("Vpcs") or []
    out: dict = {"id": vpc_id}
    if items:
        out["cidr"] = items[0].get("CidrBlock")
        out["dhcp_options_id"] = items[0].get("DhcpOptionsId")
    for attribute, key, field in (("enableDnsSupport", "enable_dns_support", "EnableDnsSupport"),
                                  ("enableDnsHostnames", "enable_dns_hostnames", "EnableDnsHostnames")):
        value = nc.attempt(gw.call, "ec2", "DescribeVpcAttribute", VpcId=vpc_id, Attribute=attribute)
        if value is not None:
            out[key] = bool((value.get(field) or {}).get("Value"))
    dopt = out.get("dhcp_options_id")
    if dopt and dopt != "default":
        found = nc.attempt(gw.call, "ec2", "DescribeDhcpOptions", DhcpOptionsIds=[dopt])
        for options in (found or {}).get("DhcpOptions") or []:
            out["dhcp_options"] = {c["Key"]: [v["Value"] for v in c.get("Values") or [] if "Value" in v]
                                   for c in options.get("DhcpConfigurations") or [] if "Key" in c}
    # dopt "default" means no option set is associated; what instances then get is not something the
    # rules should guess, so dhcp_options stays absent (unknown) and the id says why.
    return out


def vpc_endpoints(gw: AwsGateway, vpc_id: str, nc: NotChecked) -> list[dict] | None:
    """Schema `vpc_endpoints`: service, type, state, private DNS (what private clusters depend on)."""
    return nc.attempt(lambda: [
        {"id": e.get("VpcEndpointId"), "service": e.get("ServiceName"), "type": e.get("VpcEndpointType"),
         "state": (e.get("State") or "").lower() or None, "private_dns": bool(e.get("PrivateDnsEnabled")),
         "subnet_ids": e.get("SubnetIds") or [], "route_table_ids": e.get("RouteTableIds") or [],
         "groups": [g["GroupId"] for g in e.get("Groups") or [] if "GroupId" in g]}
        for e in gw.paginate("ec2", "DescribeVpcEndpoints", "VpcEndpoints",
                             Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])])


def nat_gateways(gw: AwsGateway, vpc_id: str, nc: NotChecked) -> list[dict] | None:
    """Schema `nat_gateways`: state, subnet and public IPs (must be inside publicAccessCidrs)."""
    return nc.attempt(lambda: [
        {"id": n.get("NatGatewayId"), "state": n.get("State"), "subnet_id": n.get("SubnetId"),
         "public_ips": [a["PublicIp"] for a in n.get("NatGatewayAddresses") or [] if a.get("PublicIp")]}
        for n in gw.paginate("ec2", "DescribeNatGateways", "NatGateways",
                             Filter=[{"Name": "vpc-id", "Values": [vpc_id]}])])
