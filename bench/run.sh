#!/usr/bin/env bash
# Parlor's benchmark: every loadgen scenario against Parlor, then against the
# bare broadcast floor (examples/floor.rs), same client, same machine, one
# after the other; writes a markdown table to stdout and bench/results/latest.md
# (raw RESULT lines in bench/results/latest.jsonl).
#
#   bench/run.sh                  # full run (~6 minutes)
#   QUICK=1 bench/run.sh          # short run (~2 minutes)
#
# The server is pinned to one core and the load client to another (taskset);
# each scenario gets a freshly started server with a temporary database and
# its rate limits raised through PARLOR__… environment variables.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

QUICK=${QUICK:-0}
PORT_PARLOR=${PORT_PARLOR:-18080}
PORT_FLOOR=${PORT_FLOOR:-18081}
OUT_DIR="$ROOT/bench/results"
mkdir -p "$OUT_DIR"

# ---------------------------------------------------------------- setup --
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
NOFILE=$(ulimit -n)
NCPU=$(nproc)
if [ "$NCPU" -ge 2 ]; then
    SERVER_CPUS=${SERVER_CPUS:-0}
    CLIENT_CPUS=${CLIENT_CPUS:-1}
else
    SERVER_CPUS=0
    CLIENT_CPUS=0
fi

echo "building (release)..." >&2
cargo build --release --quiet >&2
cargo build --release --examples --quiet >&2
PARLOR_BIN="$ROOT/target/release/parlor"
FLOOR_BIN="$ROOT/target/release/examples/floor"
LOADGEN="$ROOT/target/release/examples/loadgen"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/parlor-bench.XXXXXX")
SERVER_PID=""
cleanup() {
    stop_server
    rm -rf "$WORK"
}
trap cleanup EXIT

if [ "$QUICK" = 1 ]; then
    DUR=3; IDLE_CONNS=2000; BIG_MEMBERS=2000; BIG_MSGS=5; STALL_DUR=5
else
    DUR=10; IDLE_CONNS=18000; BIG_MEMBERS=10000; BIG_MSGS=10; STALL_DUR=10
fi
# One loadgen process holds every client socket: stay under the open-file limit.
MAX_CONNS=$((NOFILE - 500))
[ "$IDLE_CONNS" -gt "$MAX_CONNS" ] && IDLE_CONNS=$MAX_CONNS
[ "$BIG_MEMBERS" -gt "$MAX_CONNS" ] && BIG_MEMBERS=$MAX_CONNS

# ------------------------------------------------------------- servers --
# start_server TARGET [VAR=value ...]: starts a fresh server, sets SERVER_PID and PORT.
start_server() {
    local target=$1
    shift
    local bin log="$WORK/$target.log"
    # A fresh log: "listening on" must come from this server, not the last one.
    rm -f "$log"
    case "$target" in
    parlor)
        bin=$PARLOR_BIN
        PORT=$PORT_PARLOR
        rm -f "$WORK"/parlor.db*
        env PARLOR__SERVER__BIND="127.0.0.1:$PORT" \
            PARLOR__DATABASE__PATH="$WORK/parlor.db" \
            PARLOR__LIMITS__MESSAGES_PER_SEC=1000000000 \
            PARLOR__LIMITS__MESSAGES_BURST=1000000000 \
            PARLOR__LIMITS__AUTH_ATTEMPTS_PER_MIN=1000000 \
            PARLOR__AUTH__ACCESS_TTL_SECS=86400 \
            PARLOR_LOG=warn \
            "$@" \
            taskset -c "$SERVER_CPUS" "$bin" >"$log" 2>&1 &
        ;;
    floor)
        PORT=$PORT_FLOOR
        taskset -c "$SERVER_CPUS" "$FLOOR_BIN" --bind "127.0.0.1:$PORT" >"$log" 2>&1 &
        ;;
    esac
    SERVER_PID=$!
    for _ in $(seq 200); do
        grep -q "listening on" "$log" 2>/dev/null && return 0
        kill -0 "$SERVER_PID" 2>/dev/null || break
        sleep 0.05
    done
    echo "server $target did not start:" >&2
    cat "$log" >&2
    exit 1
}

stop_server() {
    if [ -n "$SERVER_PID" ]; then
        kill "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
        SERVER_PID=""
    fi
}

# case NAME TARGET "SERVER_ENV" LOADGEN_ARGS...: one scenario on a fresh server.
FAILED=0
: >"$OUT_DIR/latest.jsonl"
run_case() {
    local name=$1 target=$2 server_env=$3
    shift 3
    local lg_target=parlor
    [ "$target" = floor ] && lg_target=floor
    # shellcheck disable=SC2086 # server_env is a list of VAR=value words
    start_server "$target" $server_env
    echo "== $name / $target: loadgen $*" >&2
    local out="$WORK/$name-$target.out" status=0
    taskset -c "$CLIENT_CPUS" "$LOADGEN" --target "$lg_target" \
        --server "http://127.0.0.1:$PORT" --server-pid "$SERVER_PID" "$@" >"$out" 2>&1 ||
        status=$?
    grep -v '^RESULT ' "$out" >&2 || true
    local result
    result=$(grep '^RESULT ' "$out" | tail -1 | cut -c8- || true)
    if [ -z "$result" ]; then
        result='{"ok":false,"error":"no RESULT line"}'
    fi
    if [ "$status" -ne 0 ]; then
        echo "!! $name / $target: loadgen exited with $status" >&2
        FAILED=1
    fi
    jq -c --arg case "$name" --arg target "$target" --argjson status "$status" \
        '. + {case: $case, server: $target, exit_status: $status}' <<<"$result" \
        >>"$OUT_DIR/latest.jsonl"
    stop_server
}

# ----------------------------------------------------------- scenarios --
TARGETS="parlor floor"
for t in $TARGETS; do
    run_case fanout "$t" "" fanout --clients 100 --senders 10 --duration "$DUR"
done
for t in $TARGETS; do
    run_case fixed200k "$t" "" fanout --clients 1000 --senders 1 --rate 200 --duration "$DUR"
done
for t in $TARGETS; do
    run_case rooms "$t" "" rooms --clients 1000 --rooms 100 --senders 100 --duration "$DUR"
done
for t in $TARGETS; do
    run_case idle "$t" "" --users 2 idle --connections "$IDLE_CONNS" --rooms 10
done
for t in $TARGETS; do
    run_case bigroom "$t" "" --users 2 bigroom --members "$BIG_MEMBERS" --messages "$BIG_MSGS"
done
for t in $TARGETS; do
    # Bigger frames fill the staller's socket buffers within the run.
    run_case stall "$t" "" stall --clients 100 --senders 1 --rate 1000 --text-bytes 1024 \
        --duration "$STALL_DUR"
done
run_case durable-batch1 parlor "PARLOR__DATABASE__MAX_BATCH=1" \
    durable --senders 50 --window 4 --duration "$DUR"
run_case durable-batch512 parlor "PARLOR__DATABASE__MAX_BATCH=512" \
    durable --senders 50 --window 4 --duration "$DUR"

# --------------------------------------------------------------- table --
python3 - "$OUT_DIR/latest.jsonl" "$QUICK" "$SERVER_CPUS" "$CLIENT_CPUS" <<'EOF' | tee "$OUT_DIR/latest.md"
import json, sys, datetime, platform, subprocess
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
quick, scpu, ccpu = sys.argv[2] == "1", sys.argv[3], sys.argv[4]
R = {(r["case"], r["server"]): r for r in rows}

def get(case, server, *path):
    v = R.get((case, server))
    for p in path:
        if not isinstance(v, dict):
            return None
        v = v.get(p)
    return v

def fmt(v, unit=""):
    if v is None:
        return "—"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, (int, float)):
        if abs(v) >= 1000:
            return f"{v:,.0f}{unit}"
        return f"{v:.3g}{unit}" if isinstance(v, float) else f"{v}{unit}"
    return str(v)

def ratio(a, b):
    if a is None or b is None or b == 0:
        return "—"
    return f"{a / b:.2f}×"

def ok(case, server):
    r = R.get((case, server))
    if r is None:
        return ""
    return "" if r.get("ok") and r.get("exit_status") == 0 else " ⚠ checks failed"

lines = []
cpu = subprocess.run(["sh", "-c", "lscpu | sed -n 's/^Model name: *//p' | head -1"],
                     capture_output=True, text=True).stdout.strip()
lines.append(f"Run {datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%d %H:%M UTC')}"
             f"{' (QUICK)' if quick else ''}: {subprocess.run(['nproc'], capture_output=True, text=True).stdout.strip()} cores ({cpu}), "
             f"kernel {platform.release()}; server on CPU {scpu}, loadgen on CPU {ccpu}.")
lines.append("")
lines.append("| scenario | metric | Parlor | floor | ratio (Parlor/floor) | target | met |")
lines.append("|---|---|---|---|---|---|---|")

def row(scn, metric, p, f, rat, target="", met=""):
    lines.append(f"| {scn} | {metric} | {p} | {f} | {rat} | {target} | {met} |")

def yn(b):
    return "—" if b is None else ("✅" if b else "❌")

# fanout, max rate
p, f = get("fanout", "parlor", "deliveries_per_sec"), get("fanout", "floor", "deliveries_per_sec")
row("fanout 100 clients, 10 senders, max", "deliveries/s", fmt(p) + ok("fanout", "parlor"), fmt(f) + ok("fanout", "floor"),
    ratio(p, f), "≥ 0.8×", yn(None if p is None or not f else p / f >= 0.8))
for key, name in (("server_cpu_us_per_delivery", "server CPU µs/delivery"), ("server_cpu_share", "server CPU (cores)"), ("client_cpu_share", "loadgen CPU (cores)")):
    p, f = get("fanout", "parlor", key), get("fanout", "floor", key)
    row("", name, fmt(p), fmt(f), ratio(p, f))
p, f = get("fanout", "parlor", "latency_ms", "p99"), get("fanout", "floor", "latency_ms", "p99")
row("", "p99 latency ms", fmt(p), fmt(f), ratio(p, f))

# fixed 200k deliveries/s
c = "fixed200k"
p, f = get(c, "parlor", "deliveries_per_sec"), get(c, "floor", "deliveries_per_sec")
row("fixed: 1000 clients, 1 sender × 200 msg/s", "deliveries/s", fmt(p) + ok(c, "parlor"), fmt(f) + ok(c, "floor"), ratio(p, f))
for q in ("p50", "p99", "p999", "max"):
    p, f = get(c, "parlor", "latency_ms", q), get(c, "floor", "latency_ms", q)
    target = met = ""
    if q == "p99":
        target, met = "p99 ≤ 20 ms", yn(None if p is None else p <= 20)
    row("", f"{q} latency ms", fmt(p), fmt(f), ratio(p, f), target, met)
for key, name in (("server_cpu_us_per_delivery", "server CPU µs/delivery"), ("client_cpu_share", "loadgen CPU (cores)")):
    p, f = get(c, "parlor", key), get(c, "floor", key)
    row("", name, fmt(p), fmt(f), ratio(p, f))

# rooms
c = "rooms"
p, f = get(c, "parlor", "deliveries_per_sec"), get(c, "floor", "deliveries_per_sec")
row("rooms: 1000 clients, 100 rooms, 100 senders, max", "deliveries/s", fmt(p) + ok(c, "parlor"), fmt(f) + ok(c, "floor"), ratio(p, f))
for key, name in (("server_cpu_us_per_delivery", "server CPU µs/delivery"), ("server_cpu_share", "server CPU (cores)"), ("client_cpu_share", "loadgen CPU (cores)")):
    p, f = get(c, "parlor", key), get(c, "floor", key)
    row("", name, fmt(p), fmt(f), ratio(p, f))
p, f = get(c, "parlor", "latency_ms", "p99"), get(c, "floor", "latency_ms", "p99")
row("", "p99 latency ms", fmt(p), fmt(f), ratio(p, f))

# idle
c = "idle"
n = get(c, "parlor", "connections")
p, f = get(c, "parlor", "bytes_per_connection"), get(c, "floor", "bytes_per_connection")
row(f"idle: {fmt(n)} connections", "server RSS bytes/connection (all)", fmt(p) + ok(c, "parlor"), fmt(f) + ok(c, "floor"),
    ratio(p, f), "≤ 16 KB", yn(None if p is None else p <= 16384))
p, f = get(c, "parlor", "marginal_bytes_per_connection"), get(c, "floor", "marginal_bytes_per_connection")
row("", "marginal bytes/connection (last 90%)", fmt(p), fmt(f), ratio(p, f))

# bigroom
c = "bigroom"
n = get(c, "parlor", "members")
for key, name in (("median_ms", "time to last member, median ms"), ("max_ms", "time to last member, max ms")):
    p, f = get(c, "parlor", key), get(c, "floor", key)
    target = met = ""
    if key == "median_ms":
        target, met = "≤ 100 ms", yn(None if p is None else p <= 100)
    row(f"bigroom: {fmt(n)} members" if key == "median_ms" else "", name,
        fmt(p) + (ok(c, "parlor") if key == "median_ms" else ""), fmt(f) + (ok(c, "floor") if key == "median_ms" else ""), ratio(p, f), target, met)

# stall
c = "stall"
for key, name in (("p99_ms_without_staller", "others' p99 ms, no staller"), ("p99_ms_with_staller", "others' p99 ms, with staller")):
    p, f = get(c, "parlor", key), get(c, "floor", key)
    row("stall: 100 clients, 1000 msg/s, 1 KB text" if "without" in key else "", name, fmt(p), fmt(f), ratio(p, f))
p, f = get(c, "parlor", "p99_ratio"), get(c, "floor", "p99_ratio")
row("", "p99 with / without", fmt(p) + ok(c, "parlor"), fmt(f) + ok(c, "floor"), "", "≤ 1.2×", yn(None if p is None else p <= 1.2))
p, f = get(c, "parlor", "staller_cut_off"), get(c, "floor", "staller_cut_off")
row("", "staller cut off (4000)", fmt(p), fmt(f), "", "yes", yn(p))

# durable
a1, a512 = get("durable-batch1", "parlor", "acks_per_sec"), get("durable-batch512", "parlor", "acks_per_sec")
row("durable: 50 senders, persistent room", "acked msgs/s, max_batch=1 → 512",
    fmt(a1) + ok("durable-batch1", "parlor") + " → " + fmt(a512) + ok("durable-batch512", "parlor"), "—", ratio(a512, a1) + " (batching gain)")
for q in ("p50", "p99"):
    a, b = get("durable-batch1", "parlor", "ack_latency_ms", q), get("durable-batch512", "parlor", "ack_latency_ms", q)
    row("", f"ack {q} ms, max_batch=1 → 512", fmt(a) + " → " + fmt(b), "—", "")

print("\n".join(lines))
EOF

if [ "$FAILED" -ne 0 ]; then
    echo "some scenario's correctness checks failed (see ⚠ above)" >&2
    exit 1
fi
