"""AWS collectors: SSM log collection, S3 download, AWS context for the rules, cluster health.

Everything goes through `gateway.AwsGateway` (the registry of the only AWS calls eksdoctor makes).
Entry points: collect.collect / collect.status, aws_context.gather_context, cluster_health.cluster_health.
"""
