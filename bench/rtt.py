"""Round trips of rawlab's ping beside ping(8)'s, from rounds run in turn.

    python3 bench/rtt.py DIR ROUNDS [NAME ...]

Reads DIR/NAME.N for N = 1..ROUNDS and each NAME (default: ping8 rawlab), the first
being ping(8)'s output. Both print each echo's time in ms with three decimals, so
all are compared at the same 1 µs resolution. Prints each round's medians, then for
each of the others the median of its per-round differences from ping(8), the rounds
within 2 µs, and the median of all its echoes. Asserts nothing."""

import re
import statistics
import sys

TIME = re.compile(r"icmp_seq=\d+ ttl=\d+ time=([0-9.]+) ms")


def times(path):
    """Each echo's round trip in µs, in the order sent."""
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return [float(t) * 1000 for t in TIME.findall(f.read())]
    except OSError:
        return []


def main():
    if len(sys.argv) < 3 or not sys.argv[2].isdigit():
        sys.exit("usage: python3 bench/rtt.py DIR ROUNDS [NAME ...]  (ROUNDS a whole number; "
                 "DIR holds ping8.N and rawlab.N, or NAME.N, for N = 1..ROUNDS)")
    where, rounds = sys.argv[1], int(sys.argv[2])
    names = sys.argv[3:] or ["ping8", "rawlab"]
    label = {"ping8": "ping(8)"}
    every = {n: [] for n in names}
    diffs = {n: [] for n in names[1:]}
    print("round " + "".join(f"{label.get(n, n) + ' median':>22}" for n in names))
    for r in range(1, rounds + 1):
        got = {n: times(f"{where}/{n}.{r}") for n in names}
        if not all(got.values()):
            counts = ", ".join(f"{label.get(n, n)}: {len(t)} echoes" for n, t in got.items())
            print(f"{r:>5}   no figures ({counts})")
            continue
        medians = {n: statistics.median(t) for n, t in got.items()}
        base = medians[names[0]]
        cells = [f"{base:>19.1f} µs"]
        for n in names[1:]:
            diffs[n].append(medians[n] - base)
            cells.append(f"{medians[n]:>10.1f} µs ({medians[n] - base:+5.1f})")
        for n, t in got.items():
            every[n] += t
        print(f"{r:>5} " + "".join(cells))
    for n in names[1:]:
        if not diffs[n]:
            continue
        within = sum(1 for d in diffs[n] if abs(d) <= 2)
        print(f"{label.get(n, n)}: median of the differences from ping(8) "
              f"{statistics.median(diffs[n]):+.1f} µs, within 2 µs in {within} of "
              f"{len(diffs[n])} rounds; median of every echo {statistics.median(every[n]):.1f} µs "
              f"(ping(8) {statistics.median(every[names[0]]):.1f} µs)")


main()
