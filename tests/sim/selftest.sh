#!/usr/bin/env bash
# make sim-selftest: every core built with an injected bug must fail the
# simulator sweep; the correct core must pass the same sweep.  GOLDEN_BUGS
# names bugs that the golden scenario binary built with them must catch.
#   selftest.sh BUILD SEEDS BUG...
set -u
build=$1
seeds=$2
shift 2
first=1
passed=0
failed=0
out=$("$build/raft-sim" --seeds "$seeds" --first-seed "$first" | tail -n 1)
if [[ $out == *" 0 failed" ]]; then
    echo "correct core: $out"
    passed=$((passed + 1))
else
    echo "correct core FAILED its own sweep: $out"
    failed=$((failed + 1))
fi
for bug in "$@"; do
    bin="$build/selftest/raft-sim-$bug"
    # Stop at the first seed that catches it.
    caught=""
    for ((s = first; s < first + seeds; s += 50)); do
        res=$("$bin" --seeds 50 --first-seed "$s" | grep -m1 '^FAIL' || true)
        if [ -n "$res" ]; then
            caught=$res
            break
        fi
    done
    if [ -n "$caught" ]; then
        echo "RAFT_BUG_$bug caught: ${caught%%; replay:*}"
        passed=$((passed + 1))
    else
        echo "RAFT_BUG_$bug NOT caught in $seeds seeds"
        failed=$((failed + 1))
    fi
done
for bug in ${GOLDEN_BUGS:-}; do
    bin="$build/selftest/test_raft_scenarios-$bug"
    res=$(cd "$(dirname "$0")/../.." && "$bin" 2>/dev/null | grep -m1 ':F:' || true)
    if [ -n "$res" ]; then
        echo "RAFT_BUG_$bug caught by the golden scenarios: ${res#*:F:}"
        passed=$((passed + 1))
    else
        echo "RAFT_BUG_$bug NOT caught by the golden scenarios"
        failed=$((failed + 1))
    fi
done
echo "sim-selftest: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
