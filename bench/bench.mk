# bench/bench.mk: benchmarks; each prints its figures.
BENCH_PROGS += $(BUILD)/bench/bench_balance

$(BUILD)/bench/bench_balance: $(BUILD)/bench/bench_balance.o $(BUILD)/libxres.a $(BUILD)/libxrescommon.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $^ $(DOM0_LIBS) -lm

bench: all $(BENCH_PROGS)
	@for b in $(BENCH_PROGS); do echo "== $$b"; $$b || exit 1; done
