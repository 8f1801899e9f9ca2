# Skiff build.  `make` builds build/skiffd; `make test` runs every test suite;
# `make asan` runs them under AddressSanitizer + UBSan.  Sources are found by
# directory, so a new file needs no edit here; areas with their own programs
# (raft simulator, skiff CLI, fuzzers) add rules in mk/*.mk.

BUILD ?= build
CC ?= cc
PKGS := libevent libevent_pthreads libprotobuf-c openssl
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
CHECK_LIBS := $(shell pkg-config --libs check 2>/dev/null)

CFLAGS ?= -O2 -g
CFLAGS += -std=gnu11 -Wall -Wextra -Werror -Wshadow -Wno-unused-parameter \
          -fno-strict-aliasing -D_GNU_SOURCE -I. -I$(BUILD)/gen $(PKG_CFLAGS) $(EXTRA_CFLAGS)
LDFLAGS += $(EXTRA_LDFLAGS)
LDLIBS := $(PKG_LIBS) -lpthread -lm

PROTOS := $(wildcard proto/*.proto)
PROTO_C := $(PROTOS:%.proto=$(BUILD)/gen/%.pb-c.c)
PROTO_H := $(PROTOS:%.proto=$(BUILD)/gen/%.pb-c.h)

# Generated sources are intermediate files to make; without this it deletes
# them after a build and regenerates them, rebuilding everything, next time.
.SECONDARY: $(PROTO_C) $(PROTO_H)

LIB_SRC := $(wildcard common/*.c) $(wildcard raft/*.c) \
           $(filter-out broker/main.c,$(wildcard broker/*.c))
LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/obj/%.o) $(PROTO_C:$(BUILD)/gen/%.c=$(BUILD)/obj/gen/%.o)
LIB := $(BUILD)/libskiff.a

UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
UNIT_SUPPORT := $(filter-out $(UNIT_SRC),$(wildcard tests/unit/*.c))

# Programs that `make test` needs besides skiffd and the unit tests; fragments
# in mk/ append to this.
TEST_PROGS :=

.PHONY: all test unit asan fuzz bench clean format deps sim-selftest
all: $(BUILD)/skiffd

-include mk/*.mk

$(BUILD)/gen/%.pb-c.c $(BUILD)/gen/%.pb-c.h: %.proto
	@mkdir -p $(dir $@)
	protoc-c --c_out=$(BUILD)/gen $<

# Every object may include generated headers.
$(BUILD)/obj/%.o: %.c $(PROTO_H)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/obj/gen/%.o: $(BUILD)/gen/%.c $(PROTO_H)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Wno-shadow -c $< -o $@

$(LIB): $(LIB_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@
	ar rcs $@ $^

$(BUILD)/skiffd: $(BUILD)/obj/broker/main.o $(LIB)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/tests/%: tests/unit/%.c $(UNIT_SUPPORT) $(LIB) $(PROTO_H)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $< $(UNIT_SUPPORT) $(LIB) $(LDFLAGS) $(CHECK_LIBS) $(LDLIBS)

deps:
	@./scripts/install-deps.sh

unit: $(UNIT_BIN)

# The full suite: unit tests, the Raft simulator sweep, system tests with real
# clients.  Prints each runner's summary and exits non-zero on any failure.
test: deps
	@$(MAKE) --no-print-directory all unit $(TEST_PROGS)
	@BUILD=$(BUILD) ./scripts/run-tests.sh

asan:
	@$(MAKE) --no-print-directory BUILD=build-asan \
	    EXTRA_CFLAGS='-O1 -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined' \
	    EXTRA_LDFLAGS='-fsanitize=address,undefined' test

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf build build-asan build-fuzz

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
