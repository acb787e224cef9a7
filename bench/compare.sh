#!/usr/bin/env bash
# rawlab beside tcpdump and tshark: how fast each draws a capture, how much a
# listener loses during a loopback flood, how fast rawlab starts, and how its
# ping's round trips compare with ping(8)'s. Prints figures; asserts nothing.
#
#   bench/compare.sh            # 100,000-packet corpus, 1,000,000-echo flood
#   PACKETS=20000 FLOOD=100000 FLOOD_LINK=50000 RUNS=1 bench/compare.sh   # quicker
#   ONLY=rtt bench/compare.sh   # one section (read, startup, flood or rtt), or several
#   CORPUS=/tmp/corpus.pcap ONLY=read bench/compare.sh   # keep the corpus, reuse it next time
#
# Traffic is made only inside network namespaces this script creates (loopback
# there, and rawlab's own sandbox); every loop and wait is bounded. Tools that are
# not installed (tcpdump, tshark, ping, hyperfine, a C compiler) are named and skipped. Needs
# python3, unshare and nsenter (util-linux), and iproute2.
set -euo pipefail
cd "$(dirname "$0")/.."
PACKETS=${PACKETS:-100000}
FLOOD=${FLOOD:-1000000}
FLOOD_LINK=${FLOOD_LINK:-200000}
RUNS=${RUNS:-3}
RTT_ROUNDS=${RTT_ROUNDS:-8}
RTT_IDLE_ROUNDS=${RTT_IDLE_ROUNDS:-4}
RTT_SLOW_ROUNDS=${RTT_SLOW_ROUNDS:-2}
RTT_SLOW_ECHOES=${RTT_SLOW_ECHOES:-20}
bench=$PWD/bench

cargo build --release --quiet
rawlab=$PWD/target/release/rawlab
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
have() { command -v "$1" >/dev/null 2>&1 || { echo "  ($1 is not installed: skipped)"; return 1; }; }
# A network namespace of our own, with the capabilities to use it.
netns() {
  if [ "$(id -u)" = 0 ]; then
    unshare --net "$@"
  else
    unshare --user --net --map-user="$(id -u)" --map-group="$(id -g)" --keep-caps "$@"
  fi
}
# ONLY="rtt flood" runs those sections alone (read, startup, flood, rtt); all by default.
want() { [ -z "${ONLY:-}" ] || [[ " $ONLY " == *" $1 "* ]]; }
ratio() { python3 -c "import sys; a, b = map(float, sys.argv[1:]); print(f'{a / b:.2f}×' if b else '-')" "$1" "$2"; }

echo "machine: $(nproc) cores, $(uname -r), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo

# CORPUS=FILE keeps the corpus there and reads it again next time (so two builds
# can be timed on the same packets); by default it is made afresh and thrown away.
corpus=${CORPUS:-$work/corpus.pcap}
if want read; then
echo "## A capture drawn in full ($PACKETS loopback packets: ICMP echoes, HTTP over TCP, UDP)"
if have tcpdump; then
  http=$((PACKETS / 40)) udp=$((PACKETS / 4)) echoes=$((PACKETS / 4 + PACKETS / 50))
  [ -s "$corpus" ] || netns timeout 300 bash -c '
    ip link set lo up
    tcpdump -i lo -nn -U -B 16384 -c '"$PACKETS"' -w - 2>/dev/null >"'"$corpus"'" & t=$!
    sleep 1
    python3 "'"$bench"'/traffic.py" '"$http $udp $echoes"'
    # tcpdump stops at the count; if the traffic fell short, stop it.
    for _ in $(seq 50); do kill -0 $t 2>/dev/null || break; sleep 0.1; done
    kill $t 2>/dev/null || true
    wait $t || true
  '
  n=$("$rawlab" read "$corpus" --format json 2>/dev/null | wc -l)
  echo "corpus: $n packets, $(du -h "$corpus" | cut -f1)"
  # Wall time, and CPU time (user + system, all threads): rawlab draws on every core
  # and tcpdump on one, so "vs tcpdump" is given both ways. packets/s is by wall time.
  printf '%-34s %9s %9s %12s %10s %10s %10s\n' tool "wall s" "CPU s" packets/s \
    "vs tcpdump" "per CPU-s" "peak RSS"
  declare -A secs cpus
  run() {
    local name=$1; shift
    read -r s cpu kib < <(python3 "$bench/measure.py" "$RUNS" "$@")
    secs[$name]=$s
    cpus[$name]=$cpu
    local base=${secs[${base_name:-tcpdump}]:-$s}
    local base_cpu=${cpus[${base_name:-tcpdump}]:-$cpu}
    printf '%-34s %9.3f %9.3f %12.0f %10s %10s %7d MiB\n' "$name" "$s" "$cpu" \
      "$(python3 -c "print($n / $s)")" "$(ratio "$base" "$s")" "$(ratio "$base_cpu" "$cpu")" \
      $((kib / 1024))
  }
  run tcpdump tcpdump -r "$corpus" -nn -X -vv
  run "rawlab read --color never" "$rawlab" read "$corpus" --color never
  run "rawlab read --color always" "$rawlab" read "$corpus" --color always
  run "rawlab read --format json" "$rawlab" read "$corpus" --format json
  if have tshark; then run "tshark -x -V" tshark -r "$corpus" -x -V; fi
  # One line a packet, against tcpdump's default one line (the ratio is to it).
  base_name="tcpdump -nn"
  run "tcpdump -nn" tcpdump -r "$corpus" -nn
  run "rawlab read --brief" "$rawlab" read "$corpus" --brief --color never
  # A filter that passes about 1 % of the corpus: the first PACKETS/200 echoes, each
  # request and its reply. tcpdump compiles it to BPF, tshark and rawlab read every
  # packet's fields; each draws in full what passes (the ratio is to tcpdump's).
  seqs=$((PACKETS / 200))
  matched=$("$rawlab" read "$corpus" --filter "icmp.seq < $seqs" --brief --color never 2>/dev/null | wc -l)
  echo "filter: $matched of $n packets pass (icmp.seq < $seqs; tcpdump: 'icmp and icmp[6:2] < $seqs')"
  base_name="tcpdump -X -vv 'BPF' (1 %)"
  run "$base_name" tcpdump -r "$corpus" -nn -X -vv "icmp and icmp[6:2] < $seqs"
  run "rawlab read --filter (1 %)" "$rawlab" read "$corpus" --filter "icmp.seq < $seqs" --color never
  if have tshark; then
    run "tshark -Y -x -V (1 %)" tshark -r "$corpus" -Y "icmp.seq < $seqs" -x -V
  fi
  base_name=tcpdump
fi
echo
fi

if want startup; then
echo "## Start-up"
if [ -s "$corpus" ] && have tcpdump; then
  tcpdump -r "$corpus" -c 1 -w "$work/one.pcap" 2>/dev/null
  if have hyperfine; then
    hyperfine -N --warmup 5 --runs 50 --style basic \
      "$rawlab read $work/one.pcap" "tcpdump -r $work/one.pcap -nn -X -vv" 2>&1 |
      grep -E "Benchmark|Time \(mean"
  fi
fi
echo -n "first prompt of /bin/sh (what starting any program on a terminal costs here): "
python3 "$bench/prompt.py" 20 /bin/sh -c 'printf "> "; read -r x' || true
echo -n "REPL's first prompt, host network or sandbox as this user: "
python3 "$bench/prompt.py" 20 "$rawlab" --color never || true
echo -n "REPL's first prompt, --sandbox (private namespaces and a peer): "
python3 "$bench/prompt.py" 20 "$rawlab" --sandbox --color never || true
echo
fi

# flood LISTEN N: rawlab runs `listen LISTEN` in its sandbox while ping -f sends N
# echoes there; prints what the kernel dropped, what was drawn and what was counted
# as passed over, and rawlab's resident memory over the run.
flood() {
  local listen=$1 n=$2
  printf 'listen %s\nwait 600s\n' "$listen" >"$work/flood.rawlab"
  "$rawlab" --sandbox --color never "$work/flood.rawlab" >"$work/flood.out" 2>&1 &
  local r=$!
  for _ in $(seq 200); do grep -q "^listening" "$work/flood.out" && break; sleep 0.05; done
  local start
  start=$(date +%s.%N)
  # rawlab's resident memory every half second while the flood runs (bounded).
  ( for _ in $(seq 1200); do
      kill -0 "$r" 2>/dev/null || break
      awk '/^VmRSS/ {print $2}' "/proc/$r/status" 2>/dev/null
      sleep 0.5
    done >"$work/rss" ) &
  local sampler=$!
  nsenter -t "$r" -U -n --preserve-credentials timeout 300 ping -q -f -c "$n" 127.0.0.1 | tail -2
  local flood_s
  flood_s=$(python3 -c "import time; print(f'{time.time() - $start:.1f}')")
  # Let the drawing catch up (bounded), then Ctrl-C: rawlab closes the listener with its counts.
  local last=-1 size
  for _ in $(seq 600); do
    size=$(stat -c %s "$work/flood.out")
    [ "$size" = "$last" ] && break
    last=$size; sleep 0.5
  done
  kill -INT "$r"; wait "$r" || true
  wait "$sampler" 2>/dev/null || true
  local shown skipped
  shown=$(grep -c '^#' "$work/flood.out" || true)
  skipped=$({ grep -o '^… [0-9]* packets arrived faster' "$work/flood.out" || true; } | awk '{s += $2} END {print s + 0}')
  echo "flood took ${flood_s}s; $(grep -o '^closed .*' "$work/flood.out")"
  echo "drawn in full: $shown; left the ring unseen (counted, and said so): $skipped; sum $((shown + skipped))"
  python3 - "$work/rss" <<'PY'
import sys
kib = [int(x) for x in open(sys.argv[1]).read().split()]
if kib:
    q = lambda f: kib[min(len(kib) - 1, int(f * len(kib)))] // 1024
    print(f"rawlab's resident memory over the flood ({len(kib)} samples): "
          f"{q(0)} MiB at the start, {q(0.25)}, {q(0.5)}, {q(0.75)} MiB, {kib[-1] // 1024} MiB at the end, peak {max(kib) // 1024} MiB")
PY
}

if want flood; then
if have ping && have nsenter; then
  echo "## A loopback flood of $FLOOD echoes while rawlab listens (annotated dumps to a file)"
  echo "(a raw ICMP socket sees each echo request and reply once: $((2 * FLOOD)) packets)"
  flood icmp "$FLOOD"
  echo
  echo "## The same with a packet socket on lo, $FLOOD_LINK echoes"
  echo "(lo shows each frame leaving and arriving: $((4 * FLOOD_LINK)) frames)"
  flood "link lo" "$FLOOD_LINK"
fi
echo
fi

# ROUNDS rounds in DIR, taken in turn: ping(8), rawlab's ping (sent as ping(8) sends
# it, the kernel writing the IP header) and rawlab's ping `mode raw` (through
# IPPROTO_RAW, as the post sends); COUNT echoes INTERVAL seconds apart (EVERY in
# rawlab's words). Then bench/rtt.py compares each with ping(8), round by round.
rtt_rounds() {
  local dir=$1 rounds=$2 count=$3 interval=$4 every=$5
  mkdir -p "$dir"
  printf "ping 127.0.0.1 count %s every %s\n" "$count" "$every" >"$dir/rawlab.rawlab"
  printf "ping 127.0.0.1 count %s every %s mode raw\n" "$count" "$every" >"$dir/raw.rawlab"
  netns bash -c '
    ip link set lo up
    for r in $(seq '"$rounds"'); do
      ping -c '"$count"' -i '"$interval"' 127.0.0.1 >"'"$dir"'/ping8.$r"
      for m in rawlab raw; do
        "'"$rawlab"'" --max-rate 1000 --color never "'"$dir"'/$m.rawlab" >"'"$dir"'/$m.$r" 2>&1
      done
    done
  ' || true
  python3 "$bench/rtt.py" "$dir" "$rounds" ping8 rawlab raw || true
}

if want rtt; then
echo "## Round trips: rawlab's ping beside ping(8), $RTT_ROUNDS rounds of 1000 echoes 1 ms apart"
echo "(taken in turn, so each meets the machine in the same state; rawlab's ping sends as"
echo "ping(8) does, and \`mode raw\` as the post does, through IPPROTO_RAW; each prints µs)"
if have ping; then
  rtt_rounds "$work/close" "$RTT_ROUNDS" 1000 0.001 1ms
  grep -E "^rtt median" "$work/close/rawlab.1" | sed 's/^/rawlab, round 1: /' || true
  # bench/rawping.c times echoes the same way with two arrangements of raw sockets:
  # the post's (IPPROTO_RAW, the requests watched too) and ping(8)'s (only replies let in).
  if command -v cc >/dev/null 2>&1 && cc -O2 -o "$work/rawping" "$bench/rawping.c" 2>/dev/null; then
    netns bash -c '
      ip link set lo up
      for a in "post" "ping" "post busy" "ping busy"; do "'"$work/rawping"'" $a; done
    ' 2>&1 | sed 's/^/bench\/rawping.c, /' || true
  else
    echo "  (no C compiler: bench/rawping.c skipped)"
  fi
  echo
  echo "## Round trips with the CPU idle between echoes: $RTT_IDLE_ROUNDS rounds of 100 echoes 50 ms apart"
  rtt_rounds "$work/idle" "$RTT_IDLE_ROUNDS" 100 0.05 50ms
  echo
  echo "## Round trips at ping's default, one echo a second: $RTT_SLOW_ROUNDS rounds of $RTT_SLOW_ECHOES echoes"
  rtt_rounds "$work/slow" "$RTT_SLOW_ROUNDS" "$RTT_SLOW_ECHOES" 1 1s
fi
fi
