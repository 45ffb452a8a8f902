# bench/bench.mk: benchmarks; each prints its figures.
bench: all
	@echo "no benchmarks yet"
