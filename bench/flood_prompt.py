#!/usr/bin/env python3
"""The prompt during a flood: rawlab at a pseudo-terminal, `listen icmp` open and a
trigger sending echoes as fast as it can; a command is typed every second and the time
until its output appears is printed, with rawlab's resident memory. The terminal is
read at most TERM_MBPS megabytes a second (default 4), about what a terminal emulator
draws, since a reader faster than any screen hides what a learner meets. Asserts
nothing.

    python3 bench/flood_prompt.py [BINARY] [ECHOES]
"""
import os, pty, select, sys, time

binary = sys.argv[1] if len(sys.argv) > 1 else "target/release/rawlab"
echoes = int(sys.argv[2]) if len(sys.argv) > 2 else 100000
pid, fd = pty.fork()
if pid == 0:
    os.execv(binary, [binary, "--sandbox", "--color", "always", "--max-rate", "1000000"])

rate = float(os.environ.get("TERM_MBPS", "4")) * 1e6
tail = b""
drawn = 0
def read_for(seconds, until=None):
    global tail, drawn
    end = time.time() + seconds
    while time.time() < end:
        r, _, _ = select.select([fd], [], [], 0.01)
        if r:
            try:
                data = os.read(fd, int(rate / 100))
            except OSError:
                return False
            drawn += len(data)
            time.sleep(len(data) / rate)
            tail = (tail + data)[-65536:]
            if until is not None and until in tail:
                return True
    return until is None

def rss_mib():
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0

read_for(2, b"raw> ")
os.write(fd, b"listen icmp\r")
read_for(1, b"listening:")
os.write(fd, f"trigger ping 127.0.0.1 count {echoes} every 1us\r".encode())
read_for(1)
print(f"flood of {echoes} echoes at the prompt; a command typed every second:")
for k in range(8):
    marker = f"typed-{k}".encode()
    t = time.time()
    os.write(fd, b"say " + marker + b"\r")
    ok = read_for(20, b"\n" + marker)
    print(f"  command {k}: answered in {(time.time() - t) * 1000:.0f} ms"
          f"{'' if ok else ' (not within 20 s)'}, resident {rss_mib():.1f} MiB")
    read_for(1)
print(f"  {drawn / 1e6:.1f} MB reached the terminal")
os.kill(pid, 9)
