"""Wall time and peak resident memory of a command, measured from outside it.

Peak RSS is the child's own high-water mark. A process forked from a large parent (pytest, a
Python process with numba loaded) inherits that parent's ``ru_maxrss`` across ``execve``, so the
child runs under GNU time (``/usr/bin/time``, a small C program): its wait4 figure is then the
command's alone. Without GNU time, /proc/PID/status's VmHWM is polled instead (it may miss a
peak in the last few milliseconds before exit).
"""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass


@dataclass(frozen=True)
class Measured:
    seconds: float
    peak_rss_mib: float | None
    returncode: int
    stdout: str
    stderr: str
    cpu_s: float | None  # user + system CPU of the child (with GNU time): steadier than wall time under load


def _gnu_time() -> str | None:
    path = shutil.which("time") or ("/usr/bin/time" if os.path.exists("/usr/bin/time") else None)
    if not path:
        return None
    probe = subprocess.run([path, "-f", "%M", "true"], capture_output=True, text=True)
    lines = probe.stderr.strip().splitlines()
    return path if probe.returncode == 0 and lines and lines[-1].isdigit() else None


def run_measured(args: list[str], *, env: dict | None = None, cwd: str | None = None, timeout: float = 3600) -> Measured:
    """Run ``args`` to completion; wall seconds include the process's start-up."""
    gnu_time = _gnu_time()
    if gnu_time:
        with tempfile.NamedTemporaryFile("r", suffix=".rss") as report:
            start = time.perf_counter()
            done = subprocess.run([gnu_time, "-f", "zk-measured %M %U %S", "-o", report.name, *args], capture_output=True,
                                  text=True, env=env, cwd=cwd, timeout=timeout)
            seconds = time.perf_counter() - start
            lines = [line.split() for line in open(report.name).read().splitlines() if line.startswith("zk-measured ")]
        if lines:
            _, rss_kb, user, system = lines[-1]
            return Measured(seconds, int(rss_kb) / 1024, done.returncode, done.stdout, done.stderr, float(user) + float(system))
        return Measured(seconds, None, done.returncode, done.stdout, done.stderr, None)
    start = time.perf_counter()
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=cwd)
    peak = 0
    status = f"/proc/{proc.pid}/status"
    while proc.poll() is None:
        try:
            with open(status) as fh:
                for line in fh:
                    if line.startswith("VmHWM:"):
                        peak = max(peak, int(line.split()[1]))
        except OSError:
            break
        if time.perf_counter() - start > timeout:
            proc.kill()
        time.sleep(0.01)
    out, err = proc.communicate()
    return Measured(time.perf_counter() - start, peak / 1024 if peak else None, proc.returncode, out, err, None)
