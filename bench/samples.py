"""Sample generation speed: MB/s of uncompressed bundle content vs. gzip-compressing the same bytes.

    .venv/bin/python bench/samples.py [SCALE]

Prints the time to generate al2-healthy at SCALE, its uncompressed size, and the ratio against a
baseline measured in the same run: gzip level 1 + 6 of an equal amount of log text (the floor any
tarball writer pays). A ratio near 1 means generation is dominated by compression.
"""

from __future__ import annotations

import gzip
import sys
import tarfile
import tempfile
import time
from pathlib import Path

from eksdoctor.sample_bundles import generate


def main(scale: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        gen = generate("al2-healthy", Path(tmp), scale=scale)
        elapsed = time.perf_counter() - t0
        with tarfile.open(gen.path) as tar:
            members = [m for m in tar.getmembers() if m.isfile()]
            size = sum(m.size for m in members)
            sample = tar.extractfile(max(members, key=lambda m: m.size)).read()
    data = (sample * (size // max(len(sample), 1) + 1))[:size]
    level = 6 if scale <= 20 else 1  # same rule as generate()
    t0 = time.perf_counter()
    gzip.compress(data, compresslevel=level, mtime=0)
    baseline = time.perf_counter() - t0
    mb = size / 1e6
    print(f"scale={scale} uncompressed={mb:.1f} MB generate={elapsed:.2f}s ({mb / elapsed:.1f} MB/s)")
    print(f"baseline gzip(level {level}) of {mb:.1f} MB: {baseline:.2f}s; generate/baseline = {elapsed / baseline:.2f}x")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100)
