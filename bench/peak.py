"""Peak resident memory of this process, and a runner that records it for another program.

`ru_maxrss` is no good for a child of a big process: Linux keeps the high-water mark across fork and
exec, so a child of a 500 MB benchmark driver reports at least 500 MB. `VmHWM` belongs to the memory
map of the running program only.

    python bench/peak.py OUT_FILE -m module args...   run `python -m module args...`, then write its
                                                      peak RSS in MB to OUT_FILE at exit
"""

from __future__ import annotations

import atexit
import runpy
import sys


def peak_rss_mb() -> float:
    """This program's peak resident set size (VmHWM), in MB."""
    with open("/proc/self/status") as handle:
        for line in handle:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc/self/status")


def current_rss_mb() -> float:
    """This program's resident set size now (VmRSS), in MB."""
    with open("/proc/self/status") as handle:
        for line in handle:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


def main() -> None:
    out, flag, module, *args = sys.argv[1:]
    if flag != "-m":
        raise SystemExit("usage: python bench/peak.py OUT_FILE -m module args...")

    def record() -> None:
        with open(out, "w") as handle:
            handle.write(f"{peak_rss_mb():.1f}\n")

    atexit.register(record)
    sys.argv = [module, *args]
    runpy.run_module(module, run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
