"""Round trips of rawlab's ping beside ping(8)'s, from rounds run in turn.

    python3 bench/rtt.py DIR ROUNDS

Reads DIR/ping8.N (ping(8)'s output) and DIR/rawlab.N (rawlab's) for N = 1..ROUNDS.
Both print each echo's time in ms with three decimals, so both are compared at the
same 1 µs resolution. Prints each round's medians, then the median of the
per-round differences, the rounds within 2 µs, and the medians of all echoes.
Asserts nothing."""

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
    where, rounds = sys.argv[1], int(sys.argv[2])
    diffs, every = [], {"ping(8)": [], "rawlab": []}
    print(f"{'round':>5} {'ping(8) median':>15} {'rawlab median':>14} {'difference':>11} {'replies':>9}")
    for r in range(1, rounds + 1):
        p, w = times(f"{where}/ping8.{r}"), times(f"{where}/rawlab.{r}")
        if not p or not w:
            print(f"{r:>5}   no figures (ping(8): {len(p)} echoes, rawlab: {len(w)})")
            continue
        mp, mw = statistics.median(p), statistics.median(w)
        diffs.append(mw - mp)
        every["ping(8)"] += p
        every["rawlab"] += w
        print(f"{r:>5} {mp:>12.1f} µs {mw:>11.1f} µs {mw - mp:>+8.1f} µs {len(p):>4}/{len(w):<4}")
    if not diffs:
        return
    within = sum(1 for d in diffs if abs(d) <= 2)
    print(f"median of the differences: {statistics.median(diffs):+.1f} µs; "
          f"within 2 µs in {within} of {len(diffs)} rounds")
    print(f"median of every echo: ping(8) {statistics.median(every['ping(8)']):.1f} µs, "
          f"rawlab {statistics.median(every['rawlab']):.1f} µs")


main()
