#!/usr/bin/env bash
# `make bench-cluster`: failover, rejoin and acks=all produce figures of a
# throw-away three-node cluster on free loopback ports (medians over trials).
# See scripts/bench_cluster.py for what each figure measures.
#
# Environment: BUILD (build directory, default build), BENCH_TRIALS (default
# 5), BENCH_RECORDS (records per produce trial, default 100000),
# BENCH_REJOIN_RECORDS (1 KiB records written while a node is down, default
# 5000).  Extra arguments go to bench_cluster.py (e.g. --skip produce).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
BUILD=${BUILD:-build}
[ -x "$BUILD/skiffd" ] || { echo "bench-cluster.sh: $BUILD/skiffd not built (run make)" >&2; exit 1; }
[ -x "$BUILD/skiff" ] || { echo "bench-cluster.sh: $BUILD/skiff not built (run make)" >&2; exit 1; }
exec /usr/bin/python3 scripts/bench_cluster.py --build "$BUILD" --trials "${BENCH_TRIALS:-5}" \
    --records "${BENCH_RECORDS:-100000}" --rejoin-records "${BENCH_REJOIN_RECORDS:-5000}" "$@"
