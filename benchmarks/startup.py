"""Bare interpreter start-up with the .pth hook on and off (median of N runs).

Moved here from tests/test_foundation.py: timing belongs in benchmarks, not in
tests that must pass on a busy machine. The test suite keeps a functional
check (the hook imports neither plaso nor plaso_netsupport at start-up).

Usage: .venv/bin/python benchmarks/startup.py [RUNS]
"""

import os
import subprocess
import sys
import time


def _Time(env):
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", "pass"], env=env, check=True)
    return time.perf_counter() - start


def Medians(runs):
    """Median wall times (hook on, hook off) of `python -c pass`.

    The two sides alternate, so a change in machine load hits both alike.
    """
    enabled, disabled = [], []
    off = dict(os.environ, PLASO_NETSUPPORT_DISABLE="1")
    for _ in range(runs):
        enabled.append(_Time(dict(os.environ)))
        disabled.append(_Time(off))
    return sorted(enabled)[runs // 2], sorted(disabled)[runs // 2]


def Main():
    """Prints both medians and their difference."""
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 21
    enabled, disabled = Medians(runs)
    print(
        f"python -c pass, median of {runs}: hook on {enabled * 1000:.1f} ms, "
        f"off {disabled * 1000:.1f} ms, difference {(enabled - disabled) * 1000:+.1f} "
        f"ms (target: < 150 ms; importing plaso would add ~1 s)"
    )


if __name__ == "__main__":
    Main()
