"""eksdoctor: explains why an EKS worker node failed to join its cluster."""

__version__ = "0.1.0"
