"""2,000 diagnoses in one process: memory stays flat (engine sessions are deleted, caches bounded)."""

from __future__ import annotations

import resource
import tarfile

import pytest


def _rss_mb() -> float:
    # current RSS from /proc (ru_maxrss is a high-water mark and cannot show a plateau)
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize() / 2**20


@pytest.mark.slow
def test_two_thousand_diagnoses_with_stable_memory(generated, tmp_path):
    from eksdoctor.bundle import open_bundle
    from eksdoctor.diagnosis import diagnose_bundle

    # a small failing bundle: the point is 2,000 engine sessions and pipeline runs, not parsing volume
    gb = generated["al2023-nodeconfig-invalid"]
    extracted = tmp_path / "bundle"
    extracted.mkdir()
    with tarfile.open(gb.path) as tar:
        tar.extractall(extracted, filter="data")
    with open_bundle(extracted, tmp_path / "work") as bundle:
        categories = set()
        for i in range(2000):
            d = diagnose_bundle(bundle)
            categories.add(d["root_cause"]["category"])
            if i == 199:
                baseline = _rss_mb()
        grown = _rss_mb() - baseline
    assert categories == {"bootstrap_config"}
    assert grown < 25, f"RSS grew {grown:.1f} MB between diagnosis 200 and 2000"
