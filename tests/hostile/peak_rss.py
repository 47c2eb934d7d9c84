"""Runs a command and writes its peak RSS in KB to a file: `python peak_rss.py OUT CMD ARGS...`.

Why a launcher: Linux keeps a process's ru_maxrss across exec and seeds it from the mm it replaced,
so a CLI forked straight from a large pytest process reports pytest's size, not its own. Forked from
this small fresh interpreter instead, the child's figure is its own (floor: this launcher, ~10 MB).
"""

import os
import subprocess
import sys

out, cmd = sys.argv[1], sys.argv[2:]
proc = subprocess.Popen(cmd)
_, status, usage = os.wait4(proc.pid, 0)
with open(out, "w") as fh:
    fh.write(str(usage.ru_maxrss))
sys.exit(os.waitstatus_to_exitcode(status))
