"""Runs a Python program as ``python -m MODULE ...`` or ``python SCRIPT ...`` would, and
as it ends writes its peak resident memory (``VmHWM``, in kB) to the file that
``DACTL_BENCH_PEAK`` names.

The parent's ``ru_maxrss`` of a child cannot say this: Linux counts in it the memory of
the process that forked the child (here the benchmark, with its org), up to the exec.
``VmHWM`` is the peak of the program's own address space.
"""

from __future__ import annotations

import atexit
import os
import runpy
import sys
from pathlib import Path


def _write_peak() -> None:
    target = os.environ.get("DACTL_BENCH_PEAK")
    if not target:
        return
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            Path(target).write_text(line.split()[1])


def main() -> None:
    atexit.register(_write_peak)
    if sys.argv[1] == "-m":
        sys.argv = sys.argv[2:]
        runpy.run_module(sys.argv[0], run_name="__main__", alter_sys=True)
    else:
        sys.argv = sys.argv[1:]
        runpy.run_path(sys.argv[0], run_name="__main__")


if __name__ == "__main__":
    main()
