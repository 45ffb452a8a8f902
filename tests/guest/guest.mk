# tests/guest/guest.mk: small programs that system tests run inside guests
# (memory hogs, CPU burners, a pretend application).  Built static.
GUEST_SRCS := $(wildcard tests/guest/*.c)
GUEST_BINS := $(GUEST_SRCS:tests/guest/%.c=$(BUILD)/guest/%)

$(BUILD)/guest/%: tests/guest/%.c tests/guest/xswire.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -std=c11 -Wall -Wextra -Werror -D_GNU_SOURCE -static -o $@ $<

guest-progs: $(GUEST_BINS)
.PHONY: guest-progs
