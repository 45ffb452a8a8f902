# bench/bench.mk: benchmarks; each prints its figures.
BENCH_PROGS += $(BUILD)/bench/bench_failover

$(BUILD)/bench/bench_failover: $(BUILD)/bench/bench_failover.o $(BUILD)/tests/unit/pair_world.o $(BUILD)/libxres.a $(BUILD)/libxrescommon.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $^ $(DOM0_LIBS) -lm

$(BUILD)/bench/bench_failover.o: XRES_CFLAGS += -Itests/unit

bench: all $(BENCH_PROGS)
	@for b in $(BENCH_PROGS); do echo "== $$b"; $$b || exit 1; done
