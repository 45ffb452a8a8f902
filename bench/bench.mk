# bench/bench.mk: benchmarks; each prints its figures and asserts nothing.
# Every bench/bench_*.c is a program linked with libxres.a.
BENCH_SRCS := $(wildcard bench/bench_*.c)
BENCH_PROGS := $(BENCH_SRCS:bench/%.c=$(BUILD)/bench/%)
# The soak (bench/soak.c) checks invariants and fails on a violation:
# `make bench` runs 10^5 rounds, `make unit-check` a short run (soak-check).
SOAK := $(BUILD)/bench/soak
SOAK_SHORT_ROUNDS := 2000
# make check replays one seed, so that it is the same run every time; make
# bench draws a new one.  SOAK_SEED=0x... replays another.
SOAK_SEED ?= 12345

# The failover benchmark drives the same simulated pair as the unit tests.
$(BUILD)/bench/bench_failover: $(BUILD)/tests/unit/pair_world.o
$(BUILD)/bench/bench_failover.o: XRES_CFLAGS += -Itests/unit
# Convergence carries the decisions out on the unit tests' model host.
$(BUILD)/bench/bench_converge: $(BUILD)/bench/bench_converge.o \
		$(BUILD)/tests/unit/mem_testlib.o $(BUILD)/libxres.a \
		$(BUILD)/libxrescommon.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $(filter %.o,$^) $(filter %.a,$^) $(DOM0_LIBS) -lm
$(BUILD)/bench/bench_converge.o: XRES_CFLAGS += -Itests/unit

$(BUILD)/bench/%: $(BUILD)/bench/%.o $(BUILD)/libxres.a $(BUILD)/libxrescommon.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $(filter %.o %.a,$^) $(DOM0_LIBS) -lm

bench: all $(BENCH_PROGS) $(SOAK)
	@for b in $(BENCH_PROGS); do echo "== $$b"; $$b || exit 1; done
	@echo "== $(SOAK)"; $(SOAK) 100000

soak-check: $(SOAK)
	$(SOAK) $(SOAK_SHORT_ROUNDS) $(SOAK_SEED)
	$(SOAK) 400 1796634495  # a balloon that refuses to grow (docs/reliability.md)
