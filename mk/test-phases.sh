# Extra test phases, sourced by scripts/run-tests.sh (see run_phase there).

# The Kafka request decoders under libFuzzer for a short, bounded run.
run_phase "fuzz-smoke" tests/fuzz/smoke.sh
