#!/usr/bin/env bash
# Runs every test phase of `make test`, prints each runner's own summary, then
# a total line.  Exits non-zero if any phase failed.  BUILD selects the build
# directory (build, or build-asan under `make asan`).
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
export BUILD
PY=/usr/bin/python3   # Debian's interpreter: it has python3-kafka and confluent-kafka

passed=0
failed=0
phase_failed=()

# count_summary FILE: adds the counts from Check's or our "N passed, M failed" line.
count_summary() {
    local f=$1 line p=0 x=0
    line=$(grep -E '^[0-9]+%: Checks: [0-9]+' "$f" | tail -n 1)
    if [ -n "$line" ]; then
        local checks fails errs
        checks=$(sed -E 's/.*Checks: ([0-9]+).*/\1/' <<<"$line")
        fails=$(sed -E 's/.*Failures: ([0-9]+).*/\1/' <<<"$line")
        errs=$(sed -E 's/.*Errors: ([0-9]+).*/\1/' <<<"$line")
        x=$((fails + errs))
        p=$((checks - x))
    else
        line=$(grep -E '^([A-Za-z-]+: )?[0-9]+ passed, [0-9]+ failed' "$f" | tail -n 1)
        if [ -n "$line" ]; then
            p=$(sed -E 's/^([A-Za-z-]+: )?([0-9]+) passed.*/\2/' <<<"$line")
            x=$(sed -E 's/.* ([0-9]+) failed.*/\1/' <<<"$line")
        fi
    fi
    passed=$((passed + p))
    failed=$((failed + x))
}

# run_phase NAME CMD...: runs CMD, tees its output, records the outcome.
run_phase() {
    local name=$1
    shift
    local out rc
    out=$(mktemp)
    echo "=== $name: $*"
    local t0=$SECONDS
    "$@" 2>&1 | tee "$out"
    rc=${PIPESTATUS[0]}
    count_summary "$out"
    if [ "$rc" -ne 0 ]; then
        phase_failed+=("$name")
        # A runner that died before printing its summary still counts as a failure.
        grep -qE '(Checks: [0-9]+|[0-9]+ passed, [0-9]+ failed)' "$out" || failed=$((failed + 1))
    fi
    echo "=== $name: exit $rc in $((SECONDS - t0))s"
    rm -f "$out"
}

for t in "$BUILD"/tests/test_*; do
    [ -x "$t" ] || continue
    run_phase "unit $(basename "$t")" "$t"
done

if [ -f mk/test-phases.sh ]; then
    # Areas with their own runners (Raft simulator, fuzz smoke, deploy checks)
    # register phases here.
    # shellcheck source=/dev/null
    . mk/test-phases.sh
fi

if [ -f tests/system/run.py ]; then
    run_phase "system" "$PY" tests/system/run.py --build "$BUILD"
fi

echo
if [ ${#phase_failed[@]} -gt 0 ]; then
    echo "FAILED phases: ${phase_failed[*]}"
fi
echo "total: $passed passed, $failed failed"
[ ${#phase_failed[@]} -eq 0 ] && [ "$failed" -eq 0 ]
