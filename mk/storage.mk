# Storage engine extras: the append/group-commit benchmark (not part of
# `make test`).  `make bench` builds it; `make storage-bench` runs it.
STORAGE_BENCH := $(BUILD)/bench/log_bench

$(STORAGE_BENCH): tests/bench/log_bench.c tests/unit/log_testutil.c $(LIB) $(PROTO_H)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ tests/bench/log_bench.c tests/unit/log_testutil.c $(LIB) $(LDFLAGS) $(LDLIBS)

bench: $(STORAGE_BENCH)

.PHONY: storage-bench
storage-bench: $(STORAGE_BENCH)
	$(STORAGE_BENCH) -t 5
