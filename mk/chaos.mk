# Fault harness (tests/chaos/): the LD_PRELOAD shim that records what a
# process made durable (build/chaos/liblostwrites.so, used by
# tests/chaos/powerloss.py), and skiffd builds with one deliberately injected
# replication bug each, for checking that the harness catches them.
#
# A bug build recompiles only the file that holds the bug with -DSK_BUG_<NAME>
# into $(BUILD)/chaos/obj/<name>/ and links that object before libskiff.a:
# the archive member of the same name is then never pulled (the object
# defines every symbol the member does, being the same file), so no symbol is
# duplicated.  build/skiffd and libskiff.a never see the flags.

CHAOS := $(BUILD)/chaos
CHAOS_SHIM := $(CHAOS)/liblostwrites.so

$(CHAOS_SHIM): tests/chaos/lostwrites.c
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 -Wall -Wextra -Werror -Wshadow -O2 -g -D_GNU_SOURCE -fPIC -shared -o $@ $< -ldl

# <name>: <define> <source file with the bug>
CHAOS_BUG_hw-early := SK_BUG_HW_EARLY broker/replica_logic.c
CHAOS_BUG_truncate-hw := SK_BUG_TRUNCATE_TO_HW broker/replica_fetcher.c
CHAOS_BUGS := hw-early truncate-hw
CHAOS_BUG_BINS := $(CHAOS_BUGS:%=$(CHAOS)/skiffd-bug-%)

define chaos_bug_rule
$(CHAOS)/obj/$(1)/bug.o: $(word 2,$(CHAOS_BUG_$(1))) $(PROTO_H)
	@mkdir -p $$(dir $$@)
	$$(CC) $$(CFLAGS) -D$(word 1,$(CHAOS_BUG_$(1))) -MMD -MP -c $$< -o $$@

$(CHAOS)/skiffd-bug-$(1): $(CHAOS)/obj/$(1)/bug.o $(BUILD)/obj/broker/main.o $(LIB)
	$$(CC) $$(LDFLAGS) -o $$@ $(CHAOS)/obj/$(1)/bug.o $(BUILD)/obj/broker/main.o $(LIB) $$(LDLIBS)
endef
$(foreach b,$(CHAOS_BUGS),$(eval $(call chaos_bug_rule,$(b))))

.PHONY: chaos-build
chaos-build: $(CHAOS_SHIM) $(CHAOS_BUG_BINS)

TEST_PROGS += $(CHAOS_SHIM) $(CHAOS_BUG_BINS)

-include $(wildcard $(CHAOS)/obj/*/*.d)
