#!/usr/bin/env bash
# Fuzz smoke phase for scripts/run-tests.sh: builds the Kafka request fuzzer
# (clang, build-fuzz/) and runs it for FUZZ_SMOKE_SECONDS (default 15) on a
# scratch copy of the seed corpus.  Prints "fuzz-smoke: N passed, M failed".
set -u
cd "$(dirname "$0")/../.."
secs=${FUZZ_SMOKE_SECONDS:-15}
if ! make --no-print-directory fuzz-build >build-fuzz.log 2>&1; then
    cat build-fuzz.log
    rm -f build-fuzz.log
    echo "fuzz-smoke: 0 passed, 1 failed"
    exit 1
fi
rm -f build-fuzz.log
run=build-fuzz/corpus-smoke
rm -rf "$run" && mkdir -p "$run"
build-fuzz/fuzz_request -max_total_time="$secs" -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix=build-fuzz/ "$run" tests/fuzz/corpus 2>&1 | grep -E 'DONE|ERROR|SUMMARY|stat::number_of_executed_units'
rc=${PIPESTATUS[0]}
if [ "$rc" -eq 0 ]; then
    echo "fuzz-smoke: 1 passed, 0 failed"
else
    echo "fuzz-smoke: 0 passed, 1 failed (reproducer in build-fuzz/)"
fi
exit "$rc"
