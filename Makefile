# kdeck — terminal deployment console for Kubernetes.
# `make` builds ./kdeck; `make test` installs what is missing, builds and runs every test;
# `make demo` starts the bundled simulated cluster and opens kdeck on it.

VERSION   := 0.1.0
BUILD     ?= build
CC        ?= cc
PKGS      := ncursesw formw menuw panelw libuv libcurl libcjson libwebsockets yaml-0.1
WARN      := -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
             -Wformat=2 -Wno-format-truncation -Wno-unused-parameter -Wvla -Werror
CSTD      := -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -D_XOPEN_SOURCE_EXTENDED
OPT       ?= -O2 -g
SAN       ?=
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null)
CFLAGS    += $(CSTD) $(WARN) $(OPT) $(SAN) -Iinclude $(PKG_CFLAGS) -DKDECK_VERSION='"$(VERSION)"' -MMD -MP
LDLIBS    += $(PKG_LIBS) -lm
LDFLAGS   += $(SAN)

# Every .c under src/ is part of kdeck; everything but main.c is also linked into each unit test.
SRCS      := $(shell find src -name '*.c' | sort)
BUILTINS  := $(sort $(wildcard themes/*.theme src/prom/*.panels))
OBJS      := $(SRCS:%.c=$(BUILD)/%.o) $(BUILD)/gen/builtin_files.o
LIB_OBJS  := $(filter-out $(BUILD)/src/main.o,$(OBJS))
UNIT_SRCS := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/%)
PODAPP    := $(BUILD)/podapp

.PHONY: all deps test unit asan asan-build demo bench fuzz clean
all: kdeck $(PODAPP)

$(BUILD)/kdeck: $(OBJS)
	@echo "LD $@"
	@$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

kdeck: $(BUILD)/kdeck
	@[ "$(BUILD)" = build ] && cp $< $@ || true

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "CC $<"
	@$(CC) $(CFLAGS) -c -o $@ $<

# Compiled-in defaults: every file in BUILTINS becomes a C string in kdeck_builtin_files[].
$(BUILD)/gen/builtin_files.c: $(BUILTINS) Makefile
	@mkdir -p $(dir $@)
	@{ echo '#include "kdeck/builtin.h"'; echo 'const builtin_file_t kdeck_builtin_files[] = {'; \
	  for f in $(BUILTINS); do printf '  { "%s",\n' "$$f"; \
	    sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/^/    "/' -e 's/$$/\\n"/' "$$f"; echo '  },'; done; \
	  echo '  { 0, 0 } };'; } > $@

$(BUILD)/gen/%.o: $(BUILD)/gen/%.c
	@echo "CC $<"
	@$(CC) $(CFLAGS) -Wno-overlength-strings -c -o $@ $<

$(BUILD)/tests/%: tests/unit/%.c $(LIB_OBJS)
	@mkdir -p $(dir $@)
	@echo "LD $@"
	@$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(LIB_OBJS) $(LDLIBS) -lcmocka

$(PODAPP): tests/fixtures/podapp.c
	@mkdir -p $(dir $@)
	@echo "CC $@"
	@$(CC) $(CSTD) $(WARN) $(OPT) $(SAN) -o $@ $<

# Installs the Debian packages the build and the tests need; a no-op when all are present.
deps:
	@tests/deps.sh

unit: all $(UNIT_BINS)

# `make test`: deps, build, then every unit, fidelity and screen test, with one pass/fail count;
# then the unit tests and kdeck's own end-to-end tests again under AddressSanitizer + UBSan.
ASAN_SUITES := unit/ e2e/screen_browse e2e/auth e2e/tmux_terminal e2e/docs e2e/logs e2e/streams e2e/readonly \
               e2e/rbac e2e/secrets e2e/descriptor_cli e2e/form e2e/form_apply e2e/apply_bluegreen e2e/rollout_cli e2e/rollout_hpa e2e/rollout_tui e2e/metrics e2e/hostile
test: deps
	@$(MAKE) --no-print-directory unit
	@BUILD=$(BUILD) tests/run.sh
	@echo "== the same under AddressSanitizer + UBSan: $(ASAN_SUITES)"
	@$(MAKE) --no-print-directory asan-build
	@ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
	    BUILD=build-asan TESTS="$(ASAN_SUITES)" tests/run.sh

# The whole suite under AddressSanitizer + UndefinedBehaviorSanitizer, in a separate build tree.
asan-build:
	@$(MAKE) --no-print-directory BUILD=build-asan OPT='-O1 -g -fno-omit-frame-pointer' \
	    SAN='-fsanitize=address,undefined -fno-sanitize-recover=undefined' unit

asan: deps asan-build
	@ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
	    BUILD=build-asan tests/run.sh

demo: deps all
	@tests/demo.sh

bench: deps all
	@tests/bench/run.sh

# libFuzzer targets (tests/fuzz/), FUZZ_SECONDS per target (default 20); see docs/security.md.
# `make test` runs them too, for a bounded time (tests/e2e/fuzz.sh).
fuzz: deps
	@FUZZ_SECONDS=$(or $(FUZZ_SECONDS),20) tests/fuzz/run.sh

clean:
	rm -rf build build-asan kdeck

-include $(OBJS:.o=.d) $(UNIT_BINS:=.d)
