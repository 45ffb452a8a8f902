# tests/system/tools/tools.mk: programs the system tests run in the bed's
# dom0 (not in guests), linked against Xen's libraries as xresd is.
# xenctrl.h needs GNU C (see dom0/dom0.mk).
SYSTOOL_SRCS := $(wildcard tests/system/tools/*.c)
SYSTOOL_BINS := $(SYSTOOL_SRCS:tests/system/tools/%.c=$(BUILD)/systools/%)

$(BUILD)/systools/hvclaim: $(BUILD)/dom0/backend/xen_claim.o

$(BUILD)/systools/%: tests/system/tools/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -std=gnu11 -Wall -Wextra -Werror -D_GNU_SOURCE -Idom0/backend \
	  $(DOM0_CFLAGS) -o $@ $< $(filter %.o,$^) $(DOM0_LIBS)

systools: $(SYSTOOL_BINS)
.PHONY: systools
