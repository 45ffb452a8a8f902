# tests/unit/unit.mk: the Check unit tests, the tree check and `xres top`
# in tmux.  Every file here that defines `Suite *NAME_suite(void)` is
# found and run by main.c.
UNIT_SRCS := $(filter-out tests/unit/main.c,$(wildcard tests/unit/*.c))
UNIT_OBJS := $(UNIT_SRCS:%.c=$(BUILD)/%.o) $(BUILD)/tests/unit/main.o

$(BUILD)/gen/unit_suites.h: $(UNIT_SRCS) tests/unit/unit.mk
	@mkdir -p $(dir $@)
	{ grep -ho '^Suite \*[a-z0-9_]*_suite(void)' $(UNIT_SRCS) /dev/null | \
	  sed 's/^Suite \*\([a-z0-9_]*\)(void)/XRES_SUITE(\1)/'; } > $@.tmp
	mv $@.tmp $@

$(BUILD)/tests/unit/main.o: $(BUILD)/gen/unit_suites.h

$(BUILD)/tests/unit/%.o: tests/unit/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(XRES_CFLAGS) $(DOM0_CFLAGS) $(CHECK_CFLAGS) -c -o $@ $<

$(BUILD)/unit-tests: $(UNIT_OBJS) $(BUILD)/libxres.a $(BUILD)/libxrescommon.a
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(DOM0_LIBS) $(CHECK_LIBS) -lm

unit-check: $(BUILD)/unit-tests tree-check cli-check top-tmux-check soak-check
	$(BUILD)/unit-tests

# The unit tests once more, built with AddressSanitizer and UBSan in
# $(BUILD)/asan: a read or write past a buffer, which the plain build
# survives, fails the test that makes it.  Leaks are left to the fuzzers:
# the tests that stand for a kill -9 abandon a daemon's memory on purpose.
# -O1 makes GCC warn of every snprintf that cuts its output, which is
# meant where it is done, hence -Wno-format-truncation.
ASAN_BUILD  := $(BUILD)/asan
ASAN_CFLAGS := -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all \
	-fno-omit-frame-pointer -Wno-format-truncation

asan-check:
	$(MAKE) BUILD=$(ASAN_BUILD) CFLAGS="$(ASAN_CFLAGS)" \
	  LDFLAGS="-fsanitize=address,undefined" $(ASAN_BUILD)/unit-tests
	ASAN_OPTIONS=detect_leaks=0 UBSAN_OPTIONS=print_stacktrace=1 \
	  $(ASAN_BUILD)/unit-tests

.PHONY: asan-check

# The layering, file-size and link rules of the tree (tests/lint/tree.sh).
tree-check: $(BUILD)/bin/xres
	tests/lint/tree.sh $(BUILD)

.PHONY: tree-check

# xres against xresd on its simulated host: the bash completion and the
# --json of the listing commands, and the helper xres-crm against
# stand-ins for Pacemaker's tools (tests/cli/).
cli-check: $(BUILD)/bin/xres $(BUILD)/bin/xresd
	tests/cli/completion.sh $(BUILD)
	tests/cli/json.sh $(BUILD)
	tests/cli/xres-crm.sh $(BUILD)

.PHONY: cli-check

# `xres top` in tmux against xresd's simulated host (tests/cli/top-tmux.sh).
top-tmux-check: $(BUILD)/bin/xres $(BUILD)/bin/xresd
	tests/cli/top-tmux.sh $(BUILD)

.PHONY: top-tmux-check
