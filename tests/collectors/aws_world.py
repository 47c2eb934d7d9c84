"""Builds a fake AWS account in moto: VPC, subnet, node SG, node role, instance, EKS cluster, node group."""

from __future__ import annotations

import base64
import json
from contextlib import contextmanager
from types import SimpleNamespace
from unittest import mock

EKS_AMI = "ami-0a1b2c3d4e5f60718"  # the one AMI in amis.json (MOTO_AMIS_PATH)
NODE_POLICIES = ("AmazonEKSWorkerNodePolicy", "AmazonEKS_CNI_Policy", "AmazonEC2ContainerRegistryReadOnly")
TRUST = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]})


class Clients:
    """boto3 clients by attribute (aws.ec2, aws.iam, ...), created on first use."""

    def __getattr__(self, service: str):
        import boto3

        client = boto3.client(service, region_name="us-east-1")
        setattr(self, service, client)
        return client


@contextmanager
def fixed_instance_id(instance_id: str | None):
    """moto runs in this process (ThreadedMotoServer): pin the id of the next instance it launches."""
    if instance_id is None:
        yield
        return
    with mock.patch("moto.ec2.models.instances.random_instance_id", return_value=instance_id):
        yield


def build(aws, *, cluster: str = "demo", instance_id: str | None = None, tags: dict | None = None,
          user_data: str | None = None, egress: list[dict] | None = None, policies=NODE_POLICIES,
          vpc_cidr: str = "10.0.0.0/16", subnet_cidr: str = "10.0.1.0/24", create_cluster: bool = True,
          nodegroup: str | None = "ng-1", dns_hostnames: bool = True, domain_name: str = "ec2.internal",
          role_path: str = "/") -> SimpleNamespace:
    """One node in one cluster. `egress` replaces the node SG's default allow-all egress rule."""
    ec2, iam, eks = aws.ec2, aws.iam, aws.eks
    vpc = ec2.create_vpc(CidrBlock=vpc_cidr)["Vpc"]["VpcId"]
    ec2.modify_vpc_attribute(VpcId=vpc, EnableDnsHostnames={"Value": dns_hostnames})
    dopt = ec2.create_dhcp_options(DhcpConfigurations=[
        {"Key": "domain-name", "Values": [domain_name]},
        {"Key": "domain-name-servers", "Values": ["AmazonProvidedDNS"]}])["DhcpOptions"]["DhcpOptionsId"]
    ec2.associate_dhcp_options(DhcpOptionsId=dopt, VpcId=vpc)
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock=subnet_cidr, AvailabilityZone="us-east-1a")["Subnet"]["SubnetId"]
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    rtb = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    ec2.create_route(RouteTableId=rtb, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
    ec2.associate_route_table(RouteTableId=rtb, SubnetId=subnet)
    ec2.create_vpc_endpoint(VpcId=vpc, ServiceName="com.amazonaws.us-east-1.sts", VpcEndpointType="Interface",
                            SubnetIds=[subnet], PrivateDnsEnabled=True)
    node_sg = ec2.create_security_group(GroupName="eks-node", Description="node", VpcId=vpc)["GroupId"]
    cluster_sg = ec2.create_security_group(GroupName="eks-cluster", Description="cluster", VpcId=vpc)["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=node_sg, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 10250, "ToPort": 10250, "UserIdGroupPairs": [{"GroupId": cluster_sg}]}])
    if egress is not None:
        ec2.revoke_security_group_egress(GroupId=node_sg, IpPermissions=[
            {"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
        if egress:
            ec2.authorize_security_group_egress(GroupId=node_sg, IpPermissions=egress)

    role = iam.create_role(RoleName="eks-node-role", Path=role_path, AssumeRolePolicyDocument=TRUST)["Role"]
    for name in policies:  # same names as the AWS managed policies (the rules compare names)
        arn = iam.create_policy(PolicyName=name, PolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "ec2:Describe*", "Resource": "*"}]}
        ))["Policy"]["Arn"]
        iam.attach_role_policy(RoleName="eks-node-role", PolicyArn=arn)
    iam.put_role_policy(RoleName="eks-node-role", PolicyName="extra", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:PutObject", "Resource": "*"}]}))
    iam.create_instance_profile(InstanceProfileName="eks-node-profile")
    iam.add_role_to_instance_profile(InstanceProfileName="eks-node-profile", RoleName="eks-node-role")

    image = EKS_AMI
    if tags is None:
        tags = {"eks:cluster-name": cluster, f"kubernetes.io/cluster/{cluster}": "owned"}
        if nodegroup:
            tags["eks:nodegroup-name"] = nodegroup
    run = {"ImageId": image, "MinCount": 1, "MaxCount": 1, "SubnetId": subnet, "SecurityGroupIds": [node_sg],
           "IamInstanceProfile": {"Name": "eks-node-profile"}, "InstanceType": "m5.large"}
    if tags:
        run["TagSpecifications"] = [{"ResourceType": "instance", "Tags": [{"Key": k, "Value": v} for k, v in tags.items()]}]
    if user_data is not None:
        run["UserData"] = user_data
    with fixed_instance_id(instance_id):
        iid = ec2.run_instances(**run)["Instances"][0]["InstanceId"]

    if create_cluster:
        eks.create_cluster(name=cluster, version="1.29", roleArn="arn:aws:iam::123456789012:role/eks-cluster",
                           resourcesVpcConfig={"subnetIds": [subnet], "securityGroupIds": [cluster_sg],
                                               "endpointPublicAccess": True, "endpointPrivateAccess": False,
                                               "publicAccessCidrs": ["0.0.0.0/0"]})
        if nodegroup:
            eks.create_nodegroup(clusterName=cluster, nodegroupName=nodegroup, subnets=[subnet], nodeRole=role["Arn"])
    return SimpleNamespace(instance_id=iid, vpc=vpc, subnet=subnet, node_sg=node_sg, cluster_sg=cluster_sg, igw=igw,
                           rtb=rtb, dopt=dopt, role_arn=role["Arn"], image=image, cluster=cluster)


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()
