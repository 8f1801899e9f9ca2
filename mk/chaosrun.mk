# `make chaos CHAOS_SCHEDULES=N CHAOS_SEED=S`: N seeded fault schedules
# (tests/chaos/chaos.py) against fresh 3- and 5-node clusters, alternating,
# each checked by the history checker; ends with `N passed, M failed`.
# CHAOS_SEED defaults to a random seed, which is printed.  Extra options go
# in CHAOS_ARGS (e.g. CHAOS_ARGS="--duration 60 --faults kill-leader").
# Not part of `make test`, which runs the short seeded schedule of
# tests/chaos/phase.sh.

CHAOS_SCHEDULES ?= 10
CHAOS_SEED ?=
CHAOS_NODES ?= mixed
CHAOS_ARGS ?=

.PHONY: chaos
chaos: all chaos-build
	/usr/bin/python3 tests/chaos/chaos.py --build $(BUILD) --schedules $(CHAOS_SCHEDULES) \
	    --nodes $(CHAOS_NODES) $(if $(CHAOS_SEED),--seed $(CHAOS_SEED)) $(CHAOS_ARGS)
