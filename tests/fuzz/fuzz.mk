# tests/fuzz/fuzz.mk: the libFuzzer targets, one for every parser of
# outside input, each next to what it fuzzes with its seed corpus in the
# tree (SEEDS/):
#   fuzz_schema         XenStore values, reports, application keys, acks
#                       (xenstore-schema/fuzz/)
#   fuzz_agent_request  the agent's reading of dom0's requests and of
#                       notify lines (guest-agent/fuzz/)
#   fuzz_agent_conf     agent.conf (guest-agent/fuzz/)
#   fuzz_xres_conf      xres.conf and every area's reader (tests/fuzz/)
#   fuzz_ipc            a request on xresd's socket (tests/fuzz/)
#   fuzz_cluster_msg    another host's cluster message (tests/fuzz/)
# `make fuzz` runs each for FUZZ_SECONDS (default 60); `make fuzz-short`
# (in `make unit-check`) for FUZZ_SHORT_SECONDS each; `make fuzz-long`
# for FUZZ_RUNS executions each (default 10^6).  tests/fuzz/run.sh
# prints each target's figures.  The code is built again from source
# with clang's instrumentation.
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 60
FUZZ_SHORT_SECONDS ?= 10
FUZZ_RUNS    ?= 1000000
FUZZ_DIR     := $(BUILD)/fuzz
FUZZ_FLAGS   := -g -O1 -fsanitize=fuzzer,address,undefined \
	-fno-sanitize-recover=all -std=c11 -D_GNU_SOURCE -Ixenstore-schema \
	-I$(BUILD)/gen
# dom0's code includes Xen's headers, which need GNU C.
FUZZ_DOM0_FLAGS := $(filter-out -std=c11,$(FUZZ_FLAGS)) -std=gnu11 \
	-DXRES_VERSION='"$(XRES_VERSION)"' $(DOM0_LAYERS:%=-Idom0/%) \
	-Iguest-agent
# libxlutil's parser, without libxenlight (guest-agent/xlu_shim.c).
FUZZ_XLU     := guest-agent/xlu_shim.c -Wl,-Bstatic -lxlutil -Wl,-Bdynamic

FUZZ_TARGETS := fuzz_schema fuzz_agent_request fuzz_agent_conf \
	fuzz_xres_conf fuzz_ipc fuzz_cluster_msg
FUZZ_BINS    := $(FUZZ_TARGETS:%=$(FUZZ_DIR)/%)
FUZZ_HDRS     = $(wildcard xenstore-schema/*.h guest-agent/*.h dom0/*/*.h) \
	$(SCHEMA_GEN)

seeds_fuzz_schema        := xenstore-schema/fuzz/seeds
seeds_fuzz_agent_request := guest-agent/fuzz/seeds_request
seeds_fuzz_agent_conf    := guest-agent/fuzz/seeds_conf
seeds_fuzz_xres_conf     := tests/fuzz/seeds_xres_conf
seeds_fuzz_ipc           := tests/fuzz/seeds_ipc
seeds_fuzz_cluster_msg   := tests/fuzz/seeds_cluster_msg

FUZZ_CONF_SRCS := $(wildcard dom0/core/*.c dom0/config/*.c dom0/policy/*.c)
# xresd's code: libxres.a's, without the command's layer.
FUZZ_IPC_SRCS  := $(filter-out dom0/cli/%,$(DOM0_SRCS))

$(FUZZ_DIR)/fuzz_schema: xenstore-schema/fuzz/fuzz_schema.c $(SCHEMA_SRCS) \
		$(FUZZ_HDRS)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_FLAGS) -o $@ $(filter %.c,$^)

$(FUZZ_DIR)/fuzz_agent_%: guest-agent/fuzz/fuzz_agent_%.c $(AGENT_LIB_SRCS) \
		$(SCHEMA_SRCS) $(FUZZ_HDRS)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_FLAGS) -Iguest-agent -o $@ $(filter %.c,$^) \
		$(FUZZ_XLU) -lxenstore -lxentoolcore -lpthread

$(FUZZ_DIR)/fuzz_xres_conf: tests/fuzz/fuzz_xres_conf.c $(FUZZ_CONF_SRCS) \
		$(SCHEMA_SRCS) $(FUZZ_HDRS)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_DOM0_FLAGS) -o $@ $(filter %.c,$^) $(FUZZ_XLU) -lm

$(FUZZ_DIR)/fuzz_ipc: tests/fuzz/fuzz_ipc.c $(FUZZ_IPC_SRCS) $(SCHEMA_SRCS) \
		$(FUZZ_HDRS)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_DOM0_FLAGS) $(DOM0_CFLAGS) -o $@ $(filter %.c,$^) \
		$(DOM0_LIBS) -lm

$(FUZZ_DIR)/fuzz_cluster_msg: tests/fuzz/fuzz_cluster_msg.c \
		dom0/cluster/cluster_msg.c dom0/cluster/cluster_view.c $(FUZZ_HDRS)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_DOM0_FLAGS) $(DOM0_CFLAGS) -o $@ $(filter %.c,$^) \
		$(shell pkg-config --libs yajl 2>/dev/null)

fuzz-build: $(FUZZ_BINS)

# Each target in turn; all run even when one finds something, and the
# recipe fails at the end if any did.
define fuzz_run_all
	@fail=0; $(foreach t,$(FUZZ_TARGETS),tests/fuzz/run.sh $(BUILD) $(t) \
	  $(seeds_$(t)) $(1) $(2) || fail=1;) exit $$fail
endef

fuzz: fuzz-build
	$(call fuzz_run_all,time,$(FUZZ_SECONDS))

fuzz-short: fuzz-build
	$(call fuzz_run_all,time,$(FUZZ_SHORT_SECONDS))

fuzz-long: fuzz-build
	$(call fuzz_run_all,runs,$(FUZZ_RUNS))

unit-check: fuzz-short

.PHONY: fuzz fuzz-build fuzz-short fuzz-long
