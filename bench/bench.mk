# bench/bench.mk: benchmarks; each prints its figures.  Every
# bench/bench_*.c is a program linked with libxres.a.
BENCH_SRCS := $(wildcard bench/bench_*.c)
BENCH_BINS := $(BENCH_SRCS:bench/%.c=$(BUILD)/bench/%)

$(BUILD)/bench/%: bench/%.c $(BUILD)/libxres.a $(BUILD)/libxrescommon.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(XRES_CFLAGS) $(DOM0_CFLAGS) -o $@ $^ $(DOM0_LIBS) -lm

bench: all $(BENCH_BINS)
	@for b in $(BENCH_BINS); do $$b || exit 1; done
