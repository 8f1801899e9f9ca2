# Extra test phases, sourced by scripts/run-tests.sh (run_phase NAME CMD...).

# Raft: a seeded simulator sweep over 3- and 5-node clusters (seed parity
# picks the size), every seed replayed a second time to check that its trace
# hash is identical; then the real-process cluster test.
run_phase "raft-sim" "$BUILD/raft-sim" --seeds 2000 --first-seed 1 --verify-determinism
run_phase "raft-cluster" /usr/bin/python3 tests/system/raft_cluster_test.py --build "$BUILD"
