#!/usr/bin/env bash
# System test of scripts/cluster.sh against a real single-node skiffd on free
# loopback ports: start, status, idempotent start, pause/resume, kill,
# start-node (same config and data), stale pid files, stop, port conflicts,
# a node that fails to start, and argument errors.  Every wait has a
# deadline; only processes this test started are signalled.
# Prints "cluster-sh: N passed, M failed"; exits non-zero on any failure.
set -u

cd "$(dirname "${BASH_SOURCE[0]}")/../.." || exit 1
BUILD=${BUILD:-build}
CLUSTER=$PWD/scripts/cluster.sh
export SKIFF_BIN=$PWD/$BUILD/skiffd
export SKIFF_NODES=1 SKIFF_START_TIMEOUT=30 SKIFF_STOP_TIMEOUT=20
unset SKIFF_OVERRIDES

passed=0
failed=0

ok() {
    passed=$((passed + 1))
    echo "ok   $1"
}

not_ok() {
    failed=$((failed + 1))
    echo "FAIL $1${2:+: $2}"
}

# check NAME CMD...: passes if CMD succeeds.
check() {
    local name=$1
    shift
    if "$@"; then ok "$name"; else not_ok "$name"; fi
}

port_free() {
    ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# free_base_port NODES: a base port whose NODES*3 cluster ports are unused.
free_base_port() {
    local try base i off ok
    for ((try = 0; try < 100; try++)); do
        # Stay below the kernel's ephemeral range (32768 and up by default):
        # a port there can be taken by any outgoing connection's local end
        # between this probe and the bind, which the probe cannot see.
        base=$((20000 + (RANDOM % 120) * 100 + 42))
        ok=1
        for ((i = 0; i < $1; i++)); do
            for off in 0 1 2; do
                port_free $((base + 100 * i + off)) || ok=0
            done
        done
        if [ "$ok" -eq 1 ]; then
            echo "$base"
            return 0
        fi
    done
    return 1
}

# cl DIR ARGS...: runs cluster.sh on cluster directory DIR, bounded in time;
# stdout to $OUT, stderr to $ERR.
cl() {
    local dir=$1
    shift
    SKIFF_CLUSTER_DIR=$dir timeout 90 "$CLUSTER" "$@" >"$OUT" 2>"$ERR"
}

readyz() {
    curl -sf -o /dev/null --max-time 1 "http://127.0.0.1:$HTTP/readyz"
}

# wait_for SECONDS CMD...: polls CMD until it succeeds or the deadline passes.
wait_for() {
    local deadline=$((SECONDS + $1))
    shift
    until "$@"; do
        [ "$SECONDS" -ge "$deadline" ] && return 1
        sleep 0.1
    done
}

pid_alive() {
    [ -e "/proc/$1" ] && [ "$(cut -d ' ' -f 3 "/proc/$1/stat" 2>/dev/null)" != Z ]
}

pid_gone() { ! pid_alive "$1"; }

# status_has TEXT [DIR]: `status` of cluster DIR (default $D) contains TEXT.
status_has() {
    cl "${2:-$D}" status && grep -q -- "$1" "$OUT"
}

if [ ! -x "$SKIFF_BIN" ]; then
    echo "cluster-sh: $SKIFF_BIN not built"
    echo "cluster-sh: 0 passed, 1 failed"
    exit 1
fi

BASE=$(free_base_port 1) || {
    echo "cluster-sh: no free ports"
    echo "cluster-sh: 0 passed, 1 failed"
    exit 1
}
export SKIFF_BASE_PORT=$BASE
HTTP=$((BASE + 2))
TMP=$(mktemp -d "${TMPDIR:-/tmp}/skiff-cluster-sh.XXXXXX")
D=$TMP/c1
OUT=$TMP/out
ERR=$TMP/err

cleanup() {
    local dir nodes
    for dir in "$TMP"/c*; do
        [ -d "$dir" ] || continue
        nodes=$(find "$dir" -maxdepth 1 -name 'node-*' | wc -l)
        [ "$nodes" -ge 1 ] || continue
        SKIFF_NODES=$nodes SKIFF_CLUSTER_DIR=$dir timeout 60 "$CLUSTER" stop >/dev/null 2>&1
    done
    if [ "$failed" -eq 0 ]; then rm -rf "$TMP"; else echo "cluster-sh: files kept in $TMP"; fi
}
trap cleanup EXIT

# --- argument handling (no node needed) ---
check "--help exits 0 and names the commands" bash -c "'$CLUSTER' --help | grep -q start-node"
cl "$D" frobnicate
check "unknown command exits 2" test $? -eq 2
check "unknown command gives a one-line error" test "$(wc -l <"$ERR")" -eq 1
cl "$D" kill 2
rc=$?
check "node number out of range is refused" test "$rc" -ne 0
check "out-of-range error names the range" grep -q "1 to 1" "$ERR"
SKIFF_NODES=zero cl "$D" status
check "bad SKIFF_NODES is refused" test $? -ne 0
cl "$D" kill 1
check "kill of a stopped node fails" test $? -ne 0

# --- start ---
cl "$D" start
rc=$?
check "start exits 0" test "$rc" -eq 0
check "start prints the bootstrap list" test "$(cat "$OUT")" = "127.0.0.1:$BASE"
check "node answers /readyz after start" readyz
check "config generated with node.id" grep -qx "node.id=1" "$D/node-1/server.properties"
check "config has the client listener" grep -qx "listeners=PLAINTEXT://127.0.0.1:$BASE" "$D/node-1/server.properties"
check "config lists the quorum voters" grep -qx "controller.quorum.voters=1@127.0.0.1:$((BASE + 1))" "$D/node-1/server.properties"
PID1=$(cat "$D/node-1/pid" 2>/dev/null)
check "pid file names a live process" pid_alive "${PID1:-0}"
check "status shows running and ready" status_has "node 1 pid $PID1 running ready client $BASE internal $((BASE + 1)) http $HTTP"
cl "$D" bootstrap
check "bootstrap prints the list" test "$(cat "$OUT")" = "127.0.0.1:$BASE"
CONF_SUM=$(cksum <"$D/node-1/server.properties")

cl "$D" start
check "second start exits 0" test $? -eq 0
check "second start reuses the running node" test "$(cat "$D/node-1/pid")" = "$PID1"

cl "$D" logs 1
check "logs prints the node's log" test -s "$OUT"

# --- port conflict: a second cluster on the same ports ---
cl "$TMP/c2" start
rc=$?
check "start on busy ports fails" test "$rc" -ne 0
check "busy-port error names the port" grep -q "port $BASE is already in use" "$ERR"

# --- pause / resume ---
cl "$D" pause 1
check "pause exits 0" test $? -eq 0
check "status shows paused" status_has "node 1 pid $PID1 paused"
check "paused node stops answering" bash -c "! curl -sf -o /dev/null --max-time 1 http://127.0.0.1:$HTTP/readyz"
cl "$D" resume 1
check "resume exits 0" test $? -eq 0
check "resumed node answers again" wait_for 15 readyz

# --- kill / start-node ---
cl "$D" kill 1
check "kill exits 0" test $? -eq 0
check "killed process is gone" wait_for 5 pid_gone "$PID1"
check "status shows stopped after kill" status_has "node 1 pid - stopped"
check "pid file removed after kill" test ! -e "$D/node-1/pid"
cl "$D" start-node 1
check "start-node exits 0" test $? -eq 0
check "node answers /readyz after start-node" readyz
PID2=$(cat "$D/node-1/pid" 2>/dev/null)
check "start-node started a new process" test -n "$PID2" -a "$PID2" != "$PID1"
check "start-node reused the config" test "$(cksum <"$D/node-1/server.properties")" = "$CONF_SUM"

# --- stale pid file: a live process that is not this node's skiffd ---
cl "$D" stop-node 1
check "stop-node exits 0" test $? -eq 0
check "stop-node stopped the process" wait_for 5 pid_gone "$PID2"
sleep 300 &
DECOY=$!
echo "$DECOY" >"$D/node-1/pid"
check "stale pid file reads as stopped" status_has "node 1 pid - stopped"
cl "$D" start
check "start with a stale pid file exits 0" test $? -eq 0
check "the unrelated process was not signalled" pid_alive "$DECOY"
kill "$DECOY" 2>/dev/null
wait "$DECOY" 2>/dev/null
PID3=$(cat "$D/node-1/pid" 2>/dev/null)

# --- stop ---
cl "$D" stop
check "stop exits 0" test $? -eq 0
check "stop ended the process" wait_for 5 pid_gone "${PID3:-0}"
check "status shows stopped after stop" status_has "node 1 pid - stopped"
check "ports are free after stop" wait_for 10 port_free "$BASE"
cl "$D" stop
check "stop of a stopped cluster exits 0" test $? -eq 0

# --- a node that cannot start: its log tail is shown ---
SKIFF_OVERRIDES="no.such.key=1" SKIFF_START_TIMEOUT=20 cl "$TMP/c3" start
rc=$?
check "start of a misconfigured node fails" test "$rc" -ne 0
check "the failure shows the node's log tail" grep -q "no.such.key" "$ERR"
check "nothing is left running after the failure" status_has "node 1 pid - stopped" "$TMP/c3"

# --- three nodes: the port convention, voters, one node down and back ---
D3=$TMP/c4
B3=$(free_base_port 3)
if [ -z "$B3" ]; then
    not_ok "three free port ranges for a 3-node cluster"
else
    SKIFF_NODES=3 SKIFF_BASE_PORT=$B3 cl "$D3" start
    rc=$?
    check "3-node start exits 0" test "$rc" -eq 0
    check "3-node bootstrap list" test "$(cat "$OUT")" = "127.0.0.1:$B3,127.0.0.1:$((B3 + 100)),127.0.0.1:$((B3 + 200))"
    VOTERS="controller.quorum.voters=1@127.0.0.1:$((B3 + 1)),2@127.0.0.1:$((B3 + 101)),3@127.0.0.1:$((B3 + 201))"
    for i in 1 2 3; do
        check "node $i config lists every voter" grep -qx "$VOTERS" "$D3/node-$i/server.properties"
        check "node $i has its own log.dirs" grep -qx "log.dirs=$D3/node-$i/data" "$D3/node-$i/server.properties"
    done
    SKIFF_NODES=3 check "node 3 uses base+200" status_has "node 3 pid [0-9]* running ready client $((B3 + 200)) internal $((B3 + 201)) http $((B3 + 202))" "$D3"
    SKIFF_NODES=3 cl "$D3" kill 2
    check "3-node: kill node 2" test $? -eq 0
    SKIFF_NODES=3 cl "$D3" status
    check "3-node: only node 2 is down" test "$(grep -c ' running ' "$OUT")" -eq 2
    SKIFF_NODES=3 cl "$D3" start-node 2
    check "3-node: node 2 back" test $? -eq 0
    SKIFF_NODES=3 cl "$D3" stop
    check "3-node stop exits 0" test $? -eq 0
    SKIFF_NODES=3 cl "$D3" status
    check "3-node: all stopped" test "$(grep -c ' stopped ' "$OUT")" -eq 3
fi

# --- one voter and one broker-only node ---
D5=$TMP/c5
B5=$(free_base_port 2)
if [ -z "$B5" ]; then
    not_ok "two free port ranges for a voter and a broker-only node"
else
    SKIFF_NODES=1 SKIFF_BROKER_NODES=1 SKIFF_BASE_PORT=$B5 cl "$D5" start
    check "voter + broker-only start exits 0" test $? -eq 0
    check "voter + broker-only bootstrap list" test "$(cat "$OUT")" = "127.0.0.1:$B5,127.0.0.1:$((B5 + 100))"
    check "node 1 is a voter" grep -qx "process.roles=broker,controller" "$D5/node-1/server.properties"
    check "node 2 is broker-only" grep -qx "process.roles=broker" "$D5/node-2/server.properties"
    check "node 2 follows node 1's quorum" grep -qx "controller.quorum.voters=1@127.0.0.1:$((B5 + 1))" \
        "$D5/node-2/server.properties"
    SKIFF_NODES=1 SKIFF_BROKER_NODES=1 check "broker-only node 2 is ready" status_has \
        "node 2 pid [0-9]* running ready client $((B5 + 100)) internal $((B5 + 101)) http $((B5 + 102))" "$D5"
    SKIFF_NODES=1 SKIFF_BROKER_NODES=1 cl "$D5" stop
    check "voter + broker-only stop exits 0" test $? -eq 0
fi
SKIFF_BROKER_NODES=-1 cl "$D" status
check "bad SKIFF_BROKER_NODES is refused" test $? -ne 0

echo "cluster-sh: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
