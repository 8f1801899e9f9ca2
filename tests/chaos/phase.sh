#!/usr/bin/env bash
# The fault-injection part of `make test`: one short seeded schedule against
# the real broker (all fault kinds, 3 nodes), and each injected-bug build,
# which must be caught.  CHAOS_SEED picks the seed (default: random; the seed
# is printed either way, with the command that replays it).  Prints
# `N passed, M failed` over the schedule and the bug builds.
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
PY=/usr/bin/python3
seed=${CHAOS_SEED:-$(( (RANDOM << 15 | RANDOM) + 1 ))}
passed=0
failed=0

run() {
    local name=$1
    shift
    echo "--- $name: $*"
    if "$PY" tests/chaos/chaos.py --build "$BUILD" "$@"; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1))
        echo "--- $name FAILED"
    fi
}

run "seeded schedule" --schedules 1 --seed "$seed" --nodes 3 --duration 40

# Each injected-bug build against the nemesis aimed at its rule, up to three
# schedules (each a fresh cluster and seed); one violation found is a catch.
run "bug hw-early" --skiffd "$BUILD/chaos/skiffd-bug-hw-early" --expect-violation \
    --schedules 3 --seed "$seed" --nodes 3 --duration 10 --faults stall-followers-kill-leader
run "bug truncate-hw" --skiffd "$BUILD/chaos/skiffd-bug-truncate-hw" --expect-violation \
    --schedules 3 --seed "$seed" --nodes 5 --net proxy --duration 10 --faults slow-followers-double-kill

echo "chaos: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
