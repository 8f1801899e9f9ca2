# shellcheck shell=bash
# Extra phases of `make test`, sourced by scripts/run-tests.sh (which defines
# run_phase and exports BUILD).

# The Kafka request decoders under libFuzzer for a short, bounded run.
run_phase "fuzz-smoke" tests/fuzz/smoke.sh

# scripts/cluster.sh against a real single-node skiffd.
run_phase "cluster.sh" tests/system/cluster_sh_test.sh

# Raft: a seeded simulator sweep over 3- and 5-node clusters (seed parity
# picks the size), every seed replayed a second time to check that its trace
# hash is identical.
run_phase "raft-sim" "$BUILD/raft-sim" --seeds 2000 --first-seed 1 --verify-determinism

# Raft over real processes: three raft-node members on loopback elect a
# leader, replicate, re-elect after SIGKILL and catch a restarted node up.
run_phase "raft-cluster" /usr/bin/python3 tests/system/raft_cluster_test.py --build "$BUILD"

# deploy/: systemd-analyze verify on the unit, the Containerfile and its
# entrypoint (run against the built skiffd), the compose file and the
# Kubernetes manifests checked against the skiffd configuration they carry.
run_phase "deploy" /usr/bin/python3 tests/deploy/check_deploy.py --build "$BUILD"

# scripts/quickstart.sh twice on one node and once with SKIFF_NODES=3.
run_phase "quickstart" tests/system/quickstart_test.sh

# Every log call in the C sources writes key=value pairs only.
run_phase "log-format" /usr/bin/python3 tests/lint/log_format.py broker raft tools/raft-node

# Fault-harness pieces: power loss through the sync-journal shim on a real
# node (acknowledged records survive under the default flush policy, are
# lost under a page-cache policy), the replay model, and segment corruption
# on one replica of a three-node cluster.
run_phase "chaos-faults" /usr/bin/python3 tests/chaos/run_faults.py --build "$BUILD"

# The fault-injection harness (tests/chaos): the history checker's self-test
# (every anomaly injected into a history must be reported), the network
# layer's self-test (cuts, one-way cuts, loss, delay and teardown, with three
# real nodes, in every mode the machine allows), then one short seeded
# schedule against a real cluster and each injected-bug build, which must be
# caught (tests/chaos/phase.sh; CHAOS_SEED=S replays a seed).
run_phase "chaos-checker" /usr/bin/python3 tests/chaos/checker_selftest.py
run_phase "chaos-net" /usr/bin/python3 tests/chaos/net_selftest.py --skiffd "$BUILD/skiffd"
run_phase "chaos" tests/chaos/phase.sh
