# `make fuzz`: builds the libFuzzer target for the Kafka request decoders with
# clang (ASan + UBSan) in build-fuzz/, from the sources it needs only, and runs
# it for FUZZ_SECONDS on a copy of the committed seed corpus.  Any crash, leak,
# sanitizer report or timeout fails the target; the reproducer is left in
# build-fuzz/ (crash-*, leak-*, timeout-*).

FUZZ_BUILD := build-fuzz
FUZZ_SECONDS ?= 60
FUZZ_CC ?= clang
FUZZ_FLAGS := -std=gnu11 -g -O1 -fno-omit-frame-pointer -fsanitize=address,undefined \
              -fno-sanitize-recover=undefined -D_GNU_SOURCE -I. -Wall -Wextra -Wno-unused-parameter
# The codec and what it links against; built into an archive so objects the
# target does not reference (and their own dependencies) stay out.
FUZZ_LIB_SRC := $(wildcard common/*.c) broker/batch.c broker/kafka_err.c $(wildcard broker/kafka_codec*.c)
FUZZ_LIB_OBJ := $(FUZZ_LIB_SRC:%.c=$(FUZZ_BUILD)/obj/%.o)
FUZZ_LIB := $(FUZZ_BUILD)/libfuzzdeps.a
FUZZ_REQUEST := $(FUZZ_BUILD)/fuzz_request

.PHONY: fuzz fuzz-build

# Library objects carry the fuzzer's coverage instrumentation too, or the
# fuzzer would be blind inside the decoders.
$(FUZZ_BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_FLAGS) -fsanitize=fuzzer-no-link -MMD -MP -c $< -o $@

$(FUZZ_LIB): $(FUZZ_LIB_OBJ)
	rm -f $@
	ar rcs $@ $^

$(FUZZ_REQUEST): tests/fuzz/fuzz_request.c $(FUZZ_LIB)
	$(FUZZ_CC) $(FUZZ_FLAGS) -fsanitize=fuzzer -o $@ $< $(FUZZ_LIB) -lpthread -lm

fuzz-build: $(FUZZ_REQUEST)

fuzz: $(FUZZ_REQUEST)
	rm -rf $(FUZZ_BUILD)/corpus-run && mkdir -p $(FUZZ_BUILD)/corpus-run
	$(FUZZ_REQUEST) -max_total_time=$(FUZZ_SECONDS) -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
	    -print_final_stats=1 -artifact_prefix=$(FUZZ_BUILD)/ $(FUZZ_BUILD)/corpus-run tests/fuzz/corpus

-include $(shell find $(FUZZ_BUILD)/obj -name '*.d' 2>/dev/null)
