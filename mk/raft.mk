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
SIM_BUGS := VOTE_NO_LOG_CHECK COMMIT_OLD_TERM VOTE_BEFORE_PERSIST ACK_BEFORE_PERSIST NO_TRUNCATE COMMIT_BEYOND_MATCH
SELFTEST_SRC := $(wildcard raft/*.c) $(SIM_SRC) common/alloc.c common/sk_err.c
SELFTEST_BINS := $(SIM_BUGS:%=$(BUILD)/selftest/raft-sim-%)
SIM_SELFTEST_SEEDS ?= 400

$(BUILD)/selftest/raft-sim-%: $(SELFTEST_SRC) $(wildcard raft/*.h) tests/sim/sim.h common/limits.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -DRAFT_BUG_$* -o $@ $(SELFTEST_SRC) $(LDFLAGS) -lm

sim-selftest: $(BUILD)/raft-sim $(SELFTEST_BINS)
	@./tests/sim/selftest.sh $(BUILD) $(SIM_SELFTEST_SEEDS) $(SIM_BUGS)
