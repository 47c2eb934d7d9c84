"""Open any bundle safely: collector tarballs, re-packed tarballs, directories, Windows zips,
Bottlerocket logdog tarballs and tarballs nested in tarballs.

    with open_bundle(path, workdir) as bundle:
        bundle.info          # BundleInfo: instance id, collected_at, family, partial, skipped...
        bundle.files()       # ["kubelet/kubelet.log", ...]
        bundle.lines("kubelet/kubelet.log")
"""

from eksdoctor.bundle.limits import Limits
from eksdoctor.bundle.naming import parse_bundle_name
from eksdoctor.bundle.reader import Bundle, detect_family, open_bundle

__all__ = ["Bundle", "Limits", "detect_family", "open_bundle", "parse_bundle_name"]
