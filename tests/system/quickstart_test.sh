#!/usr/bin/env bash
# System test of scripts/quickstart.sh on free loopback ports in a throw-away
# cluster directory: a first run, a second run against the running cluster
# (reused, topic kept, only its own messages counted), and the default
# three-node run from a clean clone of the repository, which must show the
# failover: the leader of partition 0
# killed, production continuing, the node back and the ISR whole again.
# quickstart.sh builds
# into build/, so this runs only when BUILD is build.
# Prints "quickstart: N passed, M failed"; exits non-zero on any failure.
set -u

cd "$(dirname "${BASH_SOURCE[0]}")/../.." || exit 1
BUILD=${BUILD:-build}
passed=0
failed=0

if [ "$BUILD" != build ]; then
    echo "quickstart: runs only against build/ (BUILD=$BUILD)"
    echo "quickstart: 0 passed, 0 failed"
    exit 0
fi

port_free() {
    ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# free_base_port NODES: a base port below the ephemeral range whose NODES*3
# cluster ports are unused.
free_base_port() {
    local try base i off ok
    for ((try = 0; try < 100; try++)); do
        base=$((20000 + (RANDOM % 120) * 100 + 52))
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

# run_quickstart NAME NODES RUNS [clone]: RUNS consecutive quickstarts on one
# cluster; with "clone", in a clean `git clone` of this repository (the
# newcomer's path: it builds from scratch there).
run_quickstart() {
    local name=$1 nodes=$2 runs=$3 src=. dir base r log start
    dir=$(mktemp -d "${TMPDIR:-/tmp}/skiff-quickstart.XXXXXX")
    if [ "${4:-}" = clone ]; then
        src=$dir/src
        if ! git clone -q . "$src"; then
            failed=$((failed + 1))
            echo "FAIL $name: git clone failed"
            return
        fi
    fi
    base=$(free_base_port "$nodes") || {
        failed=$((failed + 1))
        echo "FAIL $name: no free ports"
        return
    }
    local ok=1
    for ((r = 1; r <= runs; r++)); do
        log=$dir/run-$r.log
        start=$SECONDS
        if SKIFF_NODES=$nodes SKIFF_CLUSTER_DIR=$dir/cluster SKIFF_BASE_PORT=$base SKIFF_START_TIMEOUT=30 \
            timeout 300 "$src/scripts/quickstart.sh" >"$log" 2>&1 &&
            grep -q "messages of this run came back" "$log" &&
            { [ "$nodes" -eq 1 ] || { grep -q "Production continued" "$log" &&
                                      grep -q "every partition's ISR is whole again" "$log"; }; }; then
            echo "ok   $name: run $r ($((SECONDS - start)) s)"
        else
            ok=0
            echo "FAIL $name: run $r; last lines of $log:"
            tail -15 "$log" | sed 's/^/     /'
        fi
    done
    SKIFF_NODES=$nodes SKIFF_CLUSTER_DIR=$dir/cluster SKIFF_BASE_PORT=$base "$src/scripts/cluster.sh" stop \
        >/dev/null 2>&1
    if [ "$ok" -eq 1 ]; then
        passed=$((passed + 1))
        rm -rf "$dir"
    else
        failed=$((failed + 1))
    fi
}

run_quickstart "one node, run twice" 1 2
run_quickstart "three nodes (the default) from a clean clone" 3 1 clone

echo "quickstart: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
