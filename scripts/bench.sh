#!/usr/bin/env bash
# `make bench`: starts a throw-away local cluster (SKIFF_NODES nodes, default
# 1) in a temporary directory on free ports, runs `skiff bench produce` with
# 1 KiB records at acks=1 and acks=all, then `skiff bench consume`, prints one
# table and stops the cluster.
#
# Environment: BUILD (build directory, default build), SKIFF_NODES,
# BENCH_RECORDS (records per run, default 200000), BENCH_RECORD_SIZE (default
# 1024), BENCH_PARTITIONS (default 3), BENCH_PRODUCER_PROPS (extra k=v ...
# for the producer), SKIFF_OVERRIDES (extra broker config lines).
set -euo pipefail

PROG=bench.sh
cd "$(dirname "${BASH_SOURCE[0]}")/.."
BUILD=${BUILD:-build}
NODES=${SKIFF_NODES:-1}
RECORDS=${BENCH_RECORDS:-200000}
RECORD_SIZE=${BENCH_RECORD_SIZE:-1024}
PARTITIONS=${BENCH_PARTITIONS:-3}
SKIFF=$BUILD/skiff

die() {
    echo "$PROG: $*" >&2
    exit 1
}

[[ $NODES =~ ^[1-9][0-9]?$ ]] || die "SKIFF_NODES must be a number from 1 to 99, got '$NODES'"
[[ $RECORDS =~ ^[1-9][0-9]*$ ]] || die "BENCH_RECORDS must be a positive number, got '$RECORDS'"
[ -x "$BUILD/skiffd" ] || die "$BUILD/skiffd not built (run make)"
[ -x "$SKIFF" ] || die "$SKIFF not built (run make)"

port_free() {
    ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# free_base_port: a base port whose NODES*3 cluster ports are all unused.
free_base_port() {
    local try base i off ok
    for ((try = 0; try < 50; try++)); do
        base=$((20000 + (RANDOM % 300) * 100 + 92))
        [ $((base + 100 * NODES)) -lt 60000 ] || continue
        ok=1
        for ((i = 0; i < NODES; i++)); do
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

BASE=$(free_base_port) || die "no free range of ports found for $NODES node(s)"
DIR=$(mktemp -d "${TMPDIR:-/tmp}/skiff-bench.XXXXXX")
export SKIFF_CLUSTER_DIR=$DIR SKIFF_BASE_PORT=$BASE SKIFF_NODES=$NODES
export SKIFF_BIN=$PWD/$BUILD/skiffd

ok=0
cleanup() {
    scripts/cluster.sh stop >/dev/null 2>&1 || true
    if [ "$ok" -eq 1 ]; then
        rm -rf "$DIR"
    else
        echo "$PROG: cluster logs kept in $DIR" >&2
    fi
}
trap cleanup EXIT

echo "$PROG: starting a $NODES-node cluster in $DIR (base port $BASE)" >&2
BOOT=$(scripts/cluster.sh start)
RF=$((NODES < 3 ? NODES : 3))
# Replication factor RF needs the nodes to form one cluster: Metadata then
# lists every node as a broker.
BROKERS=$("$SKIFF" cluster status -b "$BOOT" --output json |
    /usr/bin/python3 -c 'import json, sys; print(len(json.load(sys.stdin)["brokers"]))') ||
    die "cannot read the broker list"
[ "$BROKERS" -ge "$NODES" ] ||
    die "Metadata lists $BROKERS broker(s) for $NODES nodes: they do not form one replicated cluster in this build (use SKIFF_NODES=1)"

# kv LINE KEY: the value of KEY in a key=value summary line.
kv() {
    local word
    for word in $1; do
        if [ "${word%%=*}" = "$2" ]; then
            echo "${word#*=}"
            return 0
        fi
    done
    echo "?"
}

# produce ACKS: runs one producer benchmark, prints its key=value summary.
produce() {
    local props=()
    if [ -n "${BENCH_PRODUCER_PROPS:-}" ]; then
        read -r -a props <<<"$BENCH_PRODUCER_PROPS"
        props=(--producer-props "${props[@]}")
    fi
    echo "$PROG: produce $RECORDS x $RECORD_SIZE B, acks=$1" >&2
    "$SKIFF" bench produce -b "$BOOT" --topic "bench-acks-$1" --num-records "$RECORDS" \
        --record-size "$RECORD_SIZE" --throughput -1 --acks "$1" --partitions "$PARTITIONS" \
        --replication-factor "$RF" --kv "${props[@]+"${props[@]}"}"
}

P1=$(produce 1) || die "produce acks=1 failed"
PALL=$(produce all) || die "produce acks=all failed"
echo "$PROG: consume $RECORDS records from bench-acks-1" >&2
C=$("$SKIFF" bench consume -b "$BOOT" --topic bench-acks-1 --num-records "$RECORDS" --kv) ||
    die "consume failed"

# The broker's flush policy decides what an acknowledgement costs.
FLUSH="log.flush.interval.messages=1 (fsync before ack, the default)"
while IFS= read -r line; do
    case $line in log.flush.interval.messages=*) FLUSH=$line ;; esac
done <<<"${SKIFF_OVERRIDES:-}"

echo
echo "Skiff bench: $NODES node(s), $RECORDS records of $RECORD_SIZE B, $PARTITIONS partitions, replication factor $RF"
echo "broker flush policy: $FLUSH"
printf '%-18s %10s %12s %10s %10s %10s\n' "" "MB/s" "records/s" "p50 ms" "p99 ms" "p99.9 ms"
for row in "produce acks=1|$P1" "produce acks=all|$PALL"; do
    line=${row#*|}
    printf '%-18s %10s %12s %10s %10s %10s\n' "${row%%|*}" "$(kv "$line" mb_per_s)" \
        "$(kv "$line" records_per_s)" "$(kv "$line" lat_p50_ms)" "$(kv "$line" lat_p99_ms)" \
        "$(kv "$line" lat_p999_ms)"
done
printf '%-18s %10s %12s %10s %10s %10s\n' "consume" "$(kv "$C" mb_per_s)" "$(kv "$C" records_per_s)" - - -
ok=1
