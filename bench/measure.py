"""Runs a command several times with its output thrown away and prints one line:
the median wall time in seconds, the median CPU time in seconds (user + system,
every thread and every child it waited for: rawlab draws on several cores, tcpdump
on one), and the largest peak resident memory in KiB.
Usage: measure.py RUNS COMMAND [ARGS...]. Each run is bounded by 600 s."""
import os
import statistics
import subprocess
import sys
import time

runs, cmd = int(sys.argv[1]), sys.argv[2:]
walls, cpus, peak = [], [], 0
for _ in range(runs):
    start = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _, status, usage = os.wait4(p.pid, 0)
    except KeyboardInterrupt:
        p.kill()
        raise
    walls.append(time.perf_counter() - start)
    cpus.append(usage.ru_utime + usage.ru_stime)
    peak = max(peak, usage.ru_maxrss)
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"{cmd[0]} failed")
print(f"{statistics.median(walls):.4f} {statistics.median(cpus):.4f} {peak}")
