"""Times how long rawlab takes to show its first prompt in a terminal: starts it
on a pseudo-terminal, reads until the prompt's `> ` appears, then quits it.
Usage: prompt.py RUNS RAWLAB [ARGS...]; prints the median and the best in ms.
Every run is bounded by a 10-second timeout."""
import os
import pty
import select
import statistics
import sys
import time

runs, cmd = int(sys.argv[1]), sys.argv[2:]
times = []
for _ in range(runs):
    start = time.perf_counter()
    pid, fd = pty.fork()
    if pid == 0:
        os.environ["TERM"] = "xterm"
        os.execvp(cmd[0], cmd)
    seen = b""
    deadline = start + 10
    while b"> " not in seen and time.perf_counter() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.05)
        if ready:
            try:
                seen += os.read(fd, 4096)
            except OSError:
                break
    took = time.perf_counter() - start
    os.write(fd, b"quit\r")
    end = time.perf_counter() + 5
    while time.perf_counter() < end:
        done, _ = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        ready, _, _ = select.select([fd], [], [], 0.05)
        if ready:
            try:
                os.read(fd, 4096)
            except OSError:
                pass
    else:
        os.kill(pid, 9)
        os.waitpid(pid, 0)
    os.close(fd)
    if b"> " in seen:
        times.append(took * 1000)
if not times:
    sys.exit("no prompt seen")
print(f"median {statistics.median(times):.1f} ms, best {min(times):.1f} ms over {len(times)} runs")
