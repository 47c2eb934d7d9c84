"""The instance side of aws-context.json: the instance, its user data, node role and AMI."""

from __future__ import annotations

from eksdoctor.errors import InputError

from .checks import NotChecked
from .gateway import AwsGateway, CallFailed
from .userdata import decode_user_data, redact


def describe_instance(gw: AwsGateway, instance_id: str) -> dict:
    """The raw EC2 instance. InputError when it does not exist in this region (a typo or wrong --region)."""
    try:
        reservations = gw.call("ec2", "DescribeInstances", InstanceIds=[instance_id]).get("Reservations") or []
    except CallFailed as err:
        if err.code.startswith("InvalidInstanceID"):
            raise InputError(f"instance {instance_id} not found in {gw.region}",
                             hint="check the instance id and --region (terminated instances vanish after ~1 hour)") from err
        raise
    for reservation in reservations:
        for inst in reservation.get("Instances") or []:
            if inst.get("InstanceId") == instance_id:
                return inst
    raise InputError(f"instance {instance_id} not found in {gw.region}", hint="check the instance id and --region")


def instance_facts(inst: dict) -> dict:
    """Schema `instance` from a DescribeInstances item (role fields are added by `node_role`)."""
    tags = {t["Key"]: t.get("Value", "") for t in inst.get("Tags") or [] if "Key" in t}
    metadata = inst.get("MetadataOptions") or {}
    out = {
        "id": inst["InstanceId"],
        "state": (inst.get("State") or {}).get("Name"),
        "subnet_id": inst.get("SubnetId"),
        "vpc_id": inst.get("VpcId"),
        "private_ip": inst.get("PrivateIpAddress"),
        "private_dns_name": inst.get("PrivateDnsName"),
        "image_id": inst.get("ImageId"),
        "instance_type": inst.get("InstanceType"),
        "security_group_ids": [g["GroupId"] for g in inst.get("SecurityGroups") or [] if "GroupId" in g],
        "tags": tags,
        "instance_profile_arn": (inst.get("IamInstanceProfile") or {}).get("Arn"),
        "metadata_http_tokens": metadata.get("HttpTokens"),
        "metadata_hop_limit": metadata.get("HttpPutResponseHopLimit"),
    }
    lt_id = tags.get("aws:ec2launchtemplate:id")
    if lt_id:
        out["launch_template"] = {"id": lt_id, "version": tags.get("aws:ec2launchtemplate:version")}
    return {k: v for k, v in out.items() if v is not None}


def user_data(gw: AwsGateway, instance: dict, nc: NotChecked) -> str | None:
    """Decoded, redacted user data: the instance's own attribute, else its launch template version's."""
    attr = nc.attempt(gw.call, "ec2", "DescribeInstanceAttribute", InstanceId=instance["id"], Attribute="userData")
    encoded = ((attr or {}).get("UserData") or {}).get("Value")
    lt = instance.get("launch_template")
    if not encoded and lt:
        params = {"LaunchTemplateId": lt["id"]}
        if lt.get("version"):
            params["Versions"] = [str(lt["version"])]
        versions = nc.attempt(gw.call, "ec2", "DescribeLaunchTemplateVersions", **params)
        for version in (versions or {}).get("LaunchTemplateVersions") or []:
            encoded = (version.get("LaunchTemplateData") or {}).get("UserData")
            if encoded:
                break
    text = decode_user_data(encoded)
    return redact(text) if text is not None else None


def node_role(gw: AwsGateway, profile_arn: str | None, nc: NotChecked) -> dict | None:
    """Schema `node_role` via the instance profile: name, arn, path, attached and inline policy names."""
    if not profile_arn:
        return None
    profile_name = profile_arn.rsplit("/", 1)[-1]
    profile = nc.attempt(gw.call, "iam", "GetInstanceProfile", InstanceProfileName=profile_name)
    if profile is None:
        return None
    roles = (profile.get("InstanceProfile") or {}).get("Roles") or []
    if not roles:
        return {"name": None, "arn": None, "attached_policies": [], "inline_policies": [],
                "note": f"instance profile {profile_name} has no role"}
    role = roles[0]
    name = role["RoleName"]
    out = {"name": name, "arn": role.get("Arn"), "path": role.get("Path", "/")}
    attached = nc.attempt(lambda: [p["PolicyName"] for p in gw.paginate(
        "iam", "ListAttachedRolePolicies", "AttachedPolicies", RoleName=name)])
    if attached is not None:
        out["attached_policies"] = sorted(attached)
    inline = nc.attempt(lambda: list(gw.paginate("iam", "ListRolePolicies", "PolicyNames", RoleName=name)))
    if inline is not None:
        out["inline_policies"] = sorted(inline)
    return out


def ami(gw: AwsGateway, image_id: str | None, nc: NotChecked) -> dict | None:
    """Schema `ami`. `accessible: false` when this account cannot see the image (private, unshared, deregistered)."""
    if not image_id:
        return None

    def images() -> list[dict]:
        try:
            return gw.call("ec2", "DescribeImages", ImageIds=[image_id]).get("Images") or []
        except CallFailed as err:
            if err.code.startswith("InvalidAMIID"):  # malformed/unknown to this account: not visible
                return []
            raise

    found = nc.attempt(images)
    if found is None:
        return None
    if not found:
        return {"id": image_id, "accessible": False}
    image = found[0]
    return {"id": image_id, "name": image.get("Name"), "owner_id": image.get("OwnerId"),
            "public": bool(image.get("Public")), "state": image.get("State"), "accessible": True,
            "description": image.get("Description"), "platform": image.get("PlatformDetails") or image.get("Platform")}
