# Raft: the simulator (build/raft-sim), the real-process member
# (build/raft-node), and `make sim-selftest`, which rebuilds the core with
# deliberately injected bugs and checks that the simulator catches each one.

SIM_SRC := $(wildcard tests/sim/*.c)
SIM_OBJ := $(SIM_SRC:%.c=$(BUILD)/obj/%.o)

$(BUILD)/raft-sim: $(SIM_OBJ) $(LIB)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

TEST_PROGS += $(BUILD)/raft-sim

# Each bug is compiled only into its own selftest binary, from source, so the
# library and every other program never see the flags.
SIM_BUGS := VOTE_NO_LOG_CHECK COMMIT_OLD_TERM VOTE_BEFORE_PERSIST ACK_BEFORE_PERSIST NO_TRUNCATE \
            CHANGE_WHILE_PENDING
# The pure core: everything in raft/ except its drivers (storage, transport,
# host).
RAFT_CORE_SRC := $(filter-out raft/storage% raft/transport% raft/host%,$(wildcard raft/*.c))
SELFTEST_SRC := $(RAFT_CORE_SRC) $(SIM_SRC) common/alloc.c common/sk_err.c
SELFTEST_BINS := $(SIM_BUGS:%=$(BUILD)/selftest/raft-sim-%)
SIM_SELFTEST_SEEDS ?= 5000
# The golden scenarios (figure 8, membership) must catch these bugs too.
GOLDEN_BUGS := COMMIT_OLD_TERM CHANGE_WHILE_PENDING
GOLDEN_BINS := $(GOLDEN_BUGS:%=$(BUILD)/selftest/test_raft_scenarios-%)

$(BUILD)/selftest/raft-sim-%: $(SELFTEST_SRC) $(wildcard raft/*.h) tests/sim/sim.h common/limits.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -DRAFT_BUG_$* -o $@ $(SELFTEST_SRC) $(LDFLAGS) -lm

$(BUILD)/selftest/test_raft_scenarios-%: tests/unit/test_raft_scenarios.c tests/unit/raft_cluster.h $(wildcard raft/*.c raft/*.h) common/limits.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -DRAFT_BUG_$* -o $@ $< $(RAFT_CORE_SRC) common/alloc.c common/sk_err.c $(LDFLAGS) $(CHECK_LIBS) -lm

sim-selftest: $(BUILD)/raft-sim $(SELFTEST_BINS) $(GOLDEN_BINS)
	@GOLDEN_BUGS="$(GOLDEN_BUGS)" ./tests/sim/selftest.sh $(BUILD) $(SIM_SELFTEST_SEEDS) $(SIM_BUGS)

# The real-process member (its main() lives outside raft/, which goes into
# libskiff).
RAFT_NODE_SRC := $(wildcard tools/raft-node/*.c)
RAFT_NODE_OBJ := $(RAFT_NODE_SRC:%.c=$(BUILD)/obj/%.o)

$(BUILD)/raft-node: $(RAFT_NODE_OBJ) $(LIB)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

TEST_PROGS += $(BUILD)/raft-node

# The scenario test includes the header-only cluster harness.
$(BUILD)/tests/test_raft_scenarios: tests/unit/raft_cluster.h
