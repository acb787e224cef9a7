"""Times how long a program takes to show its first prompt in a terminal: starts
it on a pseudo-terminal, reads until `> ` appears, then closes the terminal (a
REPL reads that as end of input and quits). Usage: prompt.py RUNS COMMAND [ARGS...];
prints the median and the best in ms. Every run is bounded by a 10-second timeout."""
import os
import select
import statistics
import subprocess
import sys
import time

runs, cmd = int(sys.argv[1]), sys.argv[2:]
env = dict(os.environ, TERM="xterm")
times = []
for _ in range(runs):
    master, slave = os.openpty()
    start = time.perf_counter()
    p = subprocess.Popen(cmd, stdin=slave, stdout=slave, stderr=slave, env=env,
                         start_new_session=True, close_fds=True)
    os.close(slave)
    seen = b""
    deadline = start + 10
    while b"> " not in seen and time.perf_counter() < deadline:
        ready, _, _ = select.select([master], [], [], 0.05)
        if ready:
            try:
                seen += os.read(master, 4096)
            except OSError:
                break
    took = time.perf_counter() - start
    os.write(master, b"\x04")
    try:
        p.wait(timeout=5)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()
    os.close(master)
    if b"> " in seen:
        times.append(took * 1000)
if not times:
    sys.exit("no prompt seen")
print(f"median {statistics.median(times):.1f} ms, best {min(times):.1f} ms over {len(times)} runs")
