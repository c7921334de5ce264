# logwhy: one non-recursive Makefile. `make`, `make run`, `make test`,
# `make install PREFIX=... DESTDIR=...`, `make SAN=1` (ASan+UBSan),
# `make SAN=thread` (TSan, for the gzip read-ahead thread), `V=1`.

VERSION := 0.1.0
PREFIX ?= /usr/local
DESTDIR ?=
CC ?= cc
PKGS := jansson libpcre2-8 yaml-0.1 zlib openssl

ifeq ($(SAN),1)
BUILD ?= build/san
SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
else ifeq ($(SAN),thread)
BUILD ?= build/tsan
SANFLAGS := -fsanitize=thread -fno-omit-frame-pointer
else
BUILD ?= build
SANFLAGS :=
endif

ifneq ($(V),1)
Q := @
endif

PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
# openssl gives its headers only: src/ws/tls.c dlopens libssl.so.3 when a
# wss:// probe starts, so no other run pays for loading it (dlopen is in
# glibc's libc since 2.34: no -ldl).
PKG_LIBS = $(shell pkg-config --libs $(filter-out openssl,$(PKGS)) 2>/dev/null)
CRIT_CFLAGS = $(shell pkg-config --cflags criterion 2>/dev/null)
CRIT_LIBS = $(shell pkg-config --libs criterion 2>/dev/null)

OPT ?= -O2
CFLAGS ?= $(OPT) -g
ALL_CFLAGS := -std=c11 -Wall -Wextra -Wpedantic -D_POSIX_C_SOURCE=200809L \
	-D_DEFAULT_SOURCE -DLOGWHY_VERSION='"$(VERSION)"' \
	-DLOGWHY_RULES_DIR='"$(PREFIX)/share/logwhy/rules"' \
	-pthread -Isrc $(SANFLAGS) $(CFLAGS)
ALL_LDFLAGS := $(SANFLAGS) $(LDFLAGS) -pthread

LIB_SRC := $(sort $(filter-out src/cli/% src/wsd/%,$(wildcard src/*/*.c)))
CLI_SRC := $(sort $(wildcard src/cli/*.c))
WSD_SRC := $(sort $(wildcard src/wsd/*.c))
UNIT_SRC := $(sort $(wildcard tests/unit/*.c))

LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/obj/%.o)
CLI_OBJ := $(CLI_SRC:%.c=$(BUILD)/obj/%.o)
WSD_OBJ := $(WSD_SRC:%.c=$(BUILD)/obj/%.o)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)

LIB := $(BUILD)/liblogwhy.a
BINS := $(BUILD)/logwhy $(if $(WSD_SRC),$(BUILD)/logwhy-wsd)

.PHONY: all deps run test unit install uninstall clean bench fuzz fuzz-afl
.DEFAULT_GOAL := all

all: $(BINS)

deps:
	$(Q)scripts/deps.sh

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(ALL_CFLAGS) $(PKG_CFLAGS) -MMD -MP -c -o $@ $<

$(LIB): $(LIB_OBJ)
	@$(if $(Q),echo "  AR      $@")
	$(Q)rm -f $@ && ar rcs $@ $^

$(BUILD)/logwhy: $(CLI_OBJ) $(LIB)
	@$(if $(Q),echo "  LINK    $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $(CLI_OBJ) $(LIB) $(PKG_LIBS) -lm

$(BUILD)/logwhy-wsd: $(WSD_OBJ) $(LIB)
	@$(if $(Q),echo "  LINK    $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $(WSD_OBJ) $(LIB) $(PKG_LIBS) -lm

$(BUILD)/tests/%: tests/unit/%.c $(LIB)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  TEST-CC $<")
	$(Q)$(CC) $(ALL_CFLAGS) $(PKG_CFLAGS) $(CRIT_CFLAGS) -o $@ $< $(LIB) \
		$(ALL_LDFLAGS) $(PKG_LIBS) $(CRIT_LIBS) -lm

unit: $(UNIT_BIN)

# A benchmark, not a test: never part of `make test`, never fails on timing.
# BENCH_MB, BENCH_RUNS, BENCH_DIR, BENCH_JQ_MB, BENCH_RSS_MB: see bench/README.md.
$(BUILD)/jansson_loop: bench/jansson_loop.c
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) -std=c11 -Wall -Wextra -D_POSIX_C_SOURCE=200809L $(OPT) \
		$(shell pkg-config --cflags jansson) -o $@ $< $(shell pkg-config --libs jansson)

bench: $(BUILD)/logwhy $(BUILD)/jansson_loop
	$(Q)BUILD=$(BUILD) bench/run.sh

# Fuzzing (fuzz/README.md), never part of `make` or `make test`: libFuzzer
# harnesses built with clang into build/fuzz/, the library compiled apart
# with fuzzer-no-link so the normal build is untouched. `make fuzz-afl`
# builds the same harnesses with fuzz/afl_main.c for AFL++
# (AFL_CC=afl-clang-fast) or, with AFL_CC=clang, for replaying files.
FUZZ_BUILD := build/fuzz
FUZZ_CC ?= clang
AFL_BUILD := build/fuzz-afl
AFL_CC ?= afl-clang-fast
FUZZ_TARGETS := $(patsubst fuzz/fuzz_%.c,%,$(sort $(wildcard fuzz/fuzz_*.c)))
FUZZ_SAN := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
FUZZ_CFLAGS := -std=c11 -Wall -Wextra -Wpedantic -D_POSIX_C_SOURCE=200809L \
	-D_DEFAULT_SOURCE -DLOGWHY_VERSION='"$(VERSION)"' \
	-DLOGWHY_RULES_DIR='"$(PREFIX)/share/logwhy/rules"' -Isrc -Ifuzz -g -O1
FUZZ_LIB_OBJ := $(LIB_SRC:%.c=$(FUZZ_BUILD)/lib/%.o)
AFL_LIB_OBJ := $(LIB_SRC:%.c=$(AFL_BUILD)/lib/%.o)

$(FUZZ_BUILD)/lib/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  FUZZ-CC $<")
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link $(FUZZ_SAN) $(PKG_CFLAGS) \
		-MMD -MP -c -o $@ $<

$(FUZZ_BUILD)/liblogwhy.a: $(FUZZ_LIB_OBJ)
	$(Q)rm -f $@ && ar rcs $@ $^

$(FUZZ_BUILD)/fuzz_%: fuzz/fuzz_%.c fuzz/fuzz.h $(FUZZ_BUILD)/liblogwhy.a
	@$(if $(Q),echo "  FUZZ-LD $@")
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer $(FUZZ_SAN) $(PKG_CFLAGS) -o $@ $< \
		$(FUZZ_BUILD)/liblogwhy.a $(PKG_LIBS) -lm

fuzz: deps $(FUZZ_TARGETS:%=$(FUZZ_BUILD)/fuzz_%)

$(AFL_BUILD)/lib/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  AFL-CC  $<")
	$(Q)$(AFL_CC) $(FUZZ_CFLAGS) $(FUZZ_SAN) $(PKG_CFLAGS) -MMD -MP -c -o $@ $<

$(AFL_BUILD)/liblogwhy.a: $(AFL_LIB_OBJ)
	$(Q)rm -f $@ && ar rcs $@ $^

$(AFL_BUILD)/fuzz_%: fuzz/fuzz_%.c fuzz/fuzz.h fuzz/afl_main.c $(AFL_BUILD)/liblogwhy.a
	@$(if $(Q),echo "  AFL-LD  $@")
	$(Q)$(AFL_CC) $(FUZZ_CFLAGS) $(FUZZ_SAN) $(PKG_CFLAGS) -o $@ $< fuzz/afl_main.c \
		$(AFL_BUILD)/liblogwhy.a $(PKG_LIBS) -lm

fuzz-afl: $(FUZZ_TARGETS:%=$(AFL_BUILD)/fuzz_%)

# The bundled example: a staging incident as `gcloud logging read --format=json` printed it.
run: deps
	$(Q)$(MAKE) --no-print-directory all
	$(BUILD)/logwhy triage examples/staging-1011.json

test: deps
	$(Q)$(MAKE) --no-print-directory all unit
	$(Q)BUILD=$(BUILD) tests/run.sh

MANDIR ?= $(PREFIX)/share/man
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
ZSHCOMPDIR ?= $(PREFIX)/share/zsh/site-functions
FISHCOMPDIR ?= $(PREFIX)/share/fish/vendor_completions.d

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/logwhy/rules
	install -m 755 $(BINS) $(DESTDIR)$(PREFIX)/bin/
	install -m 644 rules/*.yml $(DESTDIR)$(PREFIX)/share/logwhy/rules/
	install -d $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5
	install -m 644 man/logwhy.1 man/logwhy-wsd.1 $(DESTDIR)$(MANDIR)/man1/
	install -m 644 man/logwhy-rules.5 $(DESTDIR)$(MANDIR)/man5/
	install -d $(DESTDIR)$(BASHCOMPDIR) $(DESTDIR)$(ZSHCOMPDIR) $(DESTDIR)$(FISHCOMPDIR)
	install -m 644 completions/logwhy.bash $(DESTDIR)$(BASHCOMPDIR)/logwhy
	# bash-completion loads a file named for the command: logwhy-wsd's is the same file
	ln -sf logwhy $(DESTDIR)$(BASHCOMPDIR)/logwhy-wsd
	install -m 644 completions/_logwhy $(DESTDIR)$(ZSHCOMPDIR)/_logwhy
	install -m 644 completions/logwhy.fish $(DESTDIR)$(FISHCOMPDIR)/logwhy.fish

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/logwhy $(DESTDIR)$(PREFIX)/bin/logwhy-wsd
	rm -rf $(DESTDIR)$(PREFIX)/share/logwhy
	rm -f $(DESTDIR)$(MANDIR)/man1/logwhy.1 $(DESTDIR)$(MANDIR)/man1/logwhy-wsd.1 \
		$(DESTDIR)$(MANDIR)/man5/logwhy-rules.5
	rm -f $(DESTDIR)$(BASHCOMPDIR)/logwhy $(DESTDIR)$(BASHCOMPDIR)/logwhy-wsd \
		$(DESTDIR)$(ZSHCOMPDIR)/_logwhy $(DESTDIR)$(FISHCOMPDIR)/logwhy.fish

clean:
	rm -rf build

-include $(LIB_OBJ:.o=.d) $(CLI_OBJ:.o=.d) $(WSD_OBJ:.o=.d)
-include $(FUZZ_LIB_OBJ:.o=.d) $(AFL_LIB_OBJ:.o=.d)
