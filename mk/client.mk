# The `skiff` command-line tool (client/), built on librdkafka.  It is not
# part of libskiff: it links libskiff.a only for the common layer.  The
# pure pieces (histogram, argument parsing) also link into the
# tests/unit/test_client_*.c unit tests, which need no librdkafka.

RDKAFKA_CFLAGS := $(shell pkg-config --cflags rdkafka 2>/dev/null)
RDKAFKA_LIBS := $(shell pkg-config --libs rdkafka 2>/dev/null)

CLIENT_SRC := $(wildcard client/*.c)
CLIENT_OBJ := $(CLIENT_SRC:%.c=$(BUILD)/obj/%.o)
# Pieces that include no librdkafka header.
CLIENT_PURE_OBJ := $(BUILD)/obj/client/hist.o $(BUILD)/obj/client/opts.o $(BUILD)/obj/client/bench_opts.o \
                   $(BUILD)/obj/client/format.o $(BUILD)/obj/client/jsonparse.o

$(BUILD)/obj/client/%.o: CFLAGS += $(RDKAFKA_CFLAGS)

$(BUILD)/skiff: $(CLIENT_OBJ) $(LIB)
	$(CC) $(LDFLAGS) -o $@ $^ $(RDKAFKA_LIBS) $(LDLIBS)

# Unit tests of client pieces link those pieces as well as libskiff.a; this
# rule's stem is shorter than the generic tests rule's, so make prefers it.
$(BUILD)/tests/test_client_%: tests/unit/test_client_%.c $(CLIENT_PURE_OBJ) $(UNIT_SUPPORT) $(LIB) $(PROTO_H)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $< $(CLIENT_PURE_OBJ) $(UNIT_SUPPORT) $(LIB) $(LDFLAGS) $(CHECK_LIBS) $(LDLIBS)

all: $(BUILD)/skiff
TEST_PROGS += $(BUILD)/skiff

# Produce/consume figures against a throw-away local cluster (scripts/bench.sh).
bench: all
	@BUILD=$(BUILD) ./scripts/bench.sh
