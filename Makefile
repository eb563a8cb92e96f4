# concbench — build, test, bench. `make` builds bin/concbench; `make test` and `make bench`
# first install what is missing (scripts/deps.sh).

CC      ?= cc
CFLAGS  ?= -O2 -g
LDFLAGS ?=
# The project's own flags stay in force whatever the user passes as CFLAGS.
# libcurl's headers only: the http workload loads the library with dlopen (workloads/curl_dl.c),
# so runs of the other workloads fork a parent without its ~30 libraries.
# liburing (the loop's io_uring backend, runtime/loop_uring.c) is linked statically: no extra
# mapping in every forked child.
PKGS     = libcurl libpng liburing
REQ_CFLAGS = -std=gnu11 -D_GNU_SOURCE -Wall -Wextra -pthread -I. $(SAN) $(shell pkg-config --cflags $(PKGS))
REQ_LIBS   = -pthread $(SAN) $(shell pkg-config --libs libpng) -l:liburing.a -ldl -lm
TEST_LIBS  = $(shell pkg-config --libs cmocka)

BUILD ?= build/default
BIN   ?= bin
SAN   ?=

# models/mpi_rank.c is its own program, bin/concbench-rank: the one linked with libmpi (Open MPI,
# pkg-config ompi), so that no process of the other models maps it.
RANKSRC = models/mpi_rank.c
MPI_CFLAGS = $(shell pkg-config --cflags ompi 2>/dev/null)
MPI_LIBS   = $(shell pkg-config --libs ompi 2>/dev/null)
HAVE_MPI   = $(shell pkg-config --exists ompi 2>/dev/null && echo 1)
SRC     = $(filter-out $(RANKSRC),$(wildcard runtime/*.c workloads/*.c models/*.c harness/*.c perf/*.c))
# The proof build (PROOF=1, `make proof`): the test model and the test workload (tests/model_*.c,
# tests/workload_*.c) join the registries through their one guarded line each
# (CONCBENCH_TEST_ENTRIES), and only the tests that read them run against that binary.
PROOFSRC = $(wildcard tests/model_*.c tests/workload_*.c)
ifeq ($(PROOF),1)
SRC     += $(PROOFSRC)
REQ_CFLAGS += -DCONCBENCH_TEST_ENTRIES
# The contract test over the proof build's every model (the test model included) runs in the
# plain build; the sanitizer builds run the proof itself (their main suite already runs the
# contract test over every real model), which keeps .ci/run's three suite runs shorter.
TESTSRC = tests/test_proof.c $(if $(SAN),,tests/test_models.c)
else
TESTSRC = $(filter-out tests/test_proof.c,$(wildcard tests/test_*.c))
endif
LIBSRC  = $(filter-out harness/main.c,$(SRC))
LIBOBJ  = $(LIBSRC:%.c=$(BUILD)/%.o)
TESTBIN = $(TESTSRC:tests/%.c=$(BUILD)/tests/%)
TESTHELPERS = $(filter-out tests/test_%.c $(PROOFSRC),$(wildcard tests/*.c))

Q = @
ifeq ($(V),1)
Q =
endif

.PHONY: all deps test check proof asan tsan sanitizers bench plots clean help regress baseline fuzz-server bench-server \
        fuzz-thumbnail fuzz-urls fuzz memcheck
RANKBIN = $(if $(HAVE_MPI),$(BIN)/concbench-rank)
all: $(BIN)/concbench $(RANKBIN)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	$(Q)$(CC) $(REQ_CFLAGS) $(CFLAGS) -MMD -MP -c $< -o $@

# metadata.json of a sweep records the compiler and the flags the binary was built with.
BUILD_INFO = -DCONCBENCH_CC='"$(CC)"' -DCONCBENCH_CFLAGS='"$(strip $(CFLAGS) $(SAN))"'
$(BUILD)/harness/metadata.o: REQ_CFLAGS += $(BUILD_INFO)

# The version and the git revision the binary is built from (`concbench --version`, and
# metadata.json's git.revision): the commit, "-dirty" when tracked files differ from it,
# "unknown" outside a git checkout. $(BUILD)/revision changes only when the revision does, so
# the two objects that bake it in are rebuilt then and only then.
VERSION  = 0.9.0
REVISION := $(or $(shell git rev-parse HEAD 2>/dev/null),unknown)$(if $(shell git status --porcelain --untracked-files=no 2>/dev/null | head -n 1),-dirty)
REV_INFO = -DCONCBENCH_VERSION='"$(VERSION)"' -DCONCBENCH_REVISION='"$(REVISION)"'
$(BUILD)/harness/main.o $(BUILD)/harness/metadata.o: REQ_CFLAGS += $(REV_INFO)
$(BUILD)/harness/main.o $(BUILD)/harness/metadata.o: $(BUILD)/revision
$(BUILD)/revision: FORCE
	@mkdir -p $(dir $@)
	@echo '$(REVISION)' | cmp -s - $@ || echo '$(REVISION)' > $@
.PHONY: FORCE
FORCE:

$(BUILD)/lib.a: $(LIBOBJ)
	$(Q)rm -f $@ && ar rcs $@ $^

$(BIN)/concbench: $(BUILD)/harness/main.o $(BUILD)/lib.a
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(REQ_LIBS)

$(BUILD)/models/mpi_rank.o: REQ_CFLAGS += $(MPI_CFLAGS)
# Where the launcher finds the rank program when it does not run from the bin folder (tests).
$(BUILD)/models/mpi.o: REQ_CFLAGS += -DCONCBENCH_RANK_BUILT='"$(abspath $(BIN))/concbench-rank"'
$(BIN)/concbench-rank: $(BUILD)/models/mpi_rank.o $(BUILD)/lib.a
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(REQ_LIBS) $(MPI_LIBS)

$(BUILD)/tests/%: tests/%.c $(TESTHELPERS) $(BUILD)/lib.a
	@mkdir -p $(dir $@)
	@echo "  TEST-CC $<"
	$(Q)$(CC) $(REQ_CFLAGS) $(CFLAGS) -o $@ $< $(TESTHELPERS) $(BUILD)/lib.a $(TEST_LIBS) $(REQ_LIBS)

deps:
	@sh scripts/deps.sh

# The test suite: every tests/test_*.c is a cmocka program; tests/run.sh runs each in its own
# process and prints one summary line.
test: deps
	@$(MAKE) --no-print-directory check

# tests/test_profile.c runs the gate ($(BIN)/regress) A/A on $(BIN)/concbench.
check: $(BIN)/concbench $(RANKBIN) $(BIN)/regress $(TESTBIN)
	@$(SAN_ENV) CONCBENCH=$(abspath $(BIN)/concbench) sh tests/run.sh $(TESTBIN)
ifneq ($(PROOF),1)
	@$(MAKE) --no-print-directory proof
endif

# The proof that a model or a workload is one file plus one registry line (issue 16): the proof
# build beside this one ($(BUILD)-proof), its own summary line.
proof:
	@$(MAKE) --no-print-directory check PROOF=1 BUILD=$(BUILD)-proof BIN=$(BUILD)-proof/bin

# Sanitizer builds live beside the normal one ($(BUILD)-asan, $(BUILD)-tsan).
asan: deps
	@$(MAKE) --no-print-directory check BUILD=$(BUILD)-asan BIN=$(BUILD)-asan/bin \
	    SAN="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined" \
	    CFLAGS="-O1 -g" \
	    SAN_ENV="ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 CONCBENCH_SANITIZER=1"

tsan: deps
	@$(MAKE) --no-print-directory check BUILD=$(BUILD)-tsan BIN=$(BUILD)-tsan/bin \
	    SAN="-fsanitize=thread" CFLAGS="-O1 -g" \
	    SAN_ENV="TSAN_OPTIONS=halt_on_error=1 CONCBENCH_TSAN=1 CONCBENCH_SANITIZER=1"

sanitizers: asan tsan

# The regression gate (ci/regress.c; ci/regress is its wrapper): `make regress BASE=REV` compares
# REV (default: the merge-base with main) with the working tree and fails when a cell regressed;
# `make baseline` refreshes results/baseline.json (theory-anchored figures).
$(BIN)/regress: $(BUILD)/ci/regress.o $(BUILD)/lib.a
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(REQ_LIBS)

regress: $(BIN)/regress
	@REGRESS_BIN=$(abspath $(BIN)/regress) sh ci/regress $(if $(BASE),--base $(BASE)) $(REGRESS_ARGS)

baseline: $(BIN)/regress $(BIN)/concbench
	@$(BIN)/regress --bin $(abspath $(BIN)/concbench) --write-baseline results/baseline.json \
	    $(REGRESS_ARGS)

# make bench: the default profile (within 10 minutes on 2 cores); make bench QUICK=1: the quick
# one (within 60 s). Results in results/<UTC stamp>/, results/latest points at the newest.
bench: deps
	@$(MAKE) --no-print-directory all
	@QUICK="$(QUICK)" MAKE="$(MAKE)" BIN="$(BIN)" BUILD="$(BUILD)" sh scripts/bench.sh $(BIN)/concbench

# make plots: redraw the charts (gnuplot, plots/*.gp) and report.md of results/latest (or
# RESULTS=DIR) without running any benchmark; prints the report's path and its findings.
# PUBLISH=docs also refreshes docs/io-vs-cpu.png and docs/results.md (README.md's figures).
RESULTS ?= results/latest
plots: $(BIN)/concbench
	@$(BIN)/concbench report --plots plots $(if $(PUBLISH),--publish $(PUBLISH)) $(RESULTS)

# libFuzzer on the HTTP request parser (clang; scripts/deps.sh installs what is missing).
# New inputs go to $(BUILD)-fuzz/corpus; a crash lands in tests/fuzz/http_parse_regress/, which
# tests/test_http_parse.c replays in `make test`: commit it with the fix.
FUZZ_SECONDS ?= 60
FUZZ_CC ?= clang
fuzz-server:
	@sh scripts/deps.sh clang libclang-rt-14-dev
	@mkdir -p $(BUILD)-fuzz/corpus
	@echo "  FUZZ-CC tests/fuzz/fuzz_http_parse.c"
	$(Q)$(FUZZ_CC) -std=gnu11 -D_GNU_SOURCE -g -O1 -I. -fno-omit-frame-pointer \
	    -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
	    -o $(BUILD)-fuzz/fuzz_http_parse tests/fuzz/fuzz_http_parse.c workloads/http_parse.c
	$(BUILD)-fuzz/fuzz_http_parse -max_total_time=$(FUZZ_SECONDS) -max_len=12000 \
	    -dict=tests/fuzz/http.dict -artifact_prefix=tests/fuzz/http_parse_regress/ \
	    -print_final_stats=1 $(BUILD)-fuzz/corpus tests/fuzz/http_parse_seeds \
	    tests/fuzz/http_parse_regress

# libFuzzer+ASan on the thumbnail pipeline (decode, blur, shrink, encode from memory; libpng).
# A crash lands in tests/fuzz/thumbnail_regress/, which tests/test_image.c replays.
fuzz-thumbnail:
	@sh scripts/deps.sh clang libclang-rt-14-dev
	@mkdir -p $(BUILD)-fuzz/thumbnail_corpus tests/fuzz/thumbnail_regress
	@echo "  FUZZ-CC tests/fuzz/fuzz_thumbnail.c"
	$(Q)$(FUZZ_CC) -std=gnu11 -D_GNU_SOURCE -g -O1 -I. -fno-omit-frame-pointer \
	    -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
	    $(shell pkg-config --cflags libpng) -o $(BUILD)-fuzz/fuzz_thumbnail \
	    tests/fuzz/fuzz_thumbnail.c workloads/image.c $(shell pkg-config --libs libpng) -lm
	$(BUILD)-fuzz/fuzz_thumbnail -max_total_time=$(FUZZ_SECONDS) -max_len=65536 \
	    -rss_limit_mb=2048 -dict=tests/fuzz/png.dict \
	    -artifact_prefix=tests/fuzz/thumbnail_regress/ -print_final_stats=1 \
	    $(BUILD)-fuzz/thumbnail_corpus tests/fuzz/thumbnail_seeds \
	    tests/fuzz/thumbnail_regress

# libFuzzer+ASan on the --urls list reader (workloads/urls.c). A crash lands in
# tests/fuzz/urls_regress/, which tests/test_urls.c replays.
fuzz-urls:
	@sh scripts/deps.sh clang libclang-rt-14-dev
	@mkdir -p $(BUILD)-fuzz/urls_corpus tests/fuzz/urls_regress
	@echo "  FUZZ-CC tests/fuzz/fuzz_urls.c"
	$(Q)$(FUZZ_CC) -std=gnu11 -D_GNU_SOURCE -g -O1 -I. -fno-omit-frame-pointer \
	    -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
	    -o $(BUILD)-fuzz/fuzz_urls tests/fuzz/fuzz_urls.c workloads/urls.c
	$(BUILD)-fuzz/fuzz_urls -max_total_time=$(FUZZ_SECONDS) -max_len=20000 \
	    -dict=tests/fuzz/urls.dict -artifact_prefix=tests/fuzz/urls_regress/ \
	    -print_final_stats=1 $(BUILD)-fuzz/urls_corpus tests/fuzz/urls_seeds tests/fuzz/urls_regress

# Every fuzz target in turn, FUZZ_SECONDS each. Each starts by running its corpus, seeds and
# regression inputs (read only: new inputs go to the first folder, $(BUILD)-fuzz/...).
fuzz: fuzz-server fuzz-thumbnail fuzz-urls

# valgrind memcheck on `run` of every workload under single (scripts/memcheck.sh): fails on a
# definite or indirect leak or a memory error.
memcheck: $(BIN)/concbench
	@sh scripts/memcheck.sh $(BIN)/concbench

# The embedded server's requests/s under wrk: `concbench perf --only server-rps`.
bench-server: $(BIN)/concbench
	@sh scripts/bench-server.sh $(BIN)/concbench $(PERF_ARGS)

# make perf: every promised performance figure beside the machine's own limit, judged
# (concbench perf). PERF_ARGS, e.g. "--runs 3", "--only NAME", "--all", "--publish docs".
.PHONY: perf
perf: $(BIN)/concbench
	@$(BIN)/concbench perf $(PERF_ARGS)

# make install PREFIX=/usr/local DESTDIR=...: the binary in PREFIX/bin, the gnuplot scripts and
# the profiles in PREFIX/share/concbench (where an installed binary looks for them: its own
# ../share/concbench), the man page in PREFIX/share/man/man1. make uninstall removes them.
PREFIX  ?= /usr/local
BINDIR  ?= $(PREFIX)/bin
DATADIR ?= $(PREFIX)/share/concbench
MANDIR  ?= $(PREFIX)/share/man/man1
PROFILES = $(filter-out profiles/README,$(wildcard profiles/*))
.PHONY: install uninstall
install: $(BIN)/concbench
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(DATADIR)/plots $(DESTDIR)$(DATADIR)/profiles \
	    $(DESTDIR)$(MANDIR)
	install -m 755 $(BIN)/concbench $(DESTDIR)$(BINDIR)/concbench
	$(if $(RANKBIN),install -m 755 $(RANKBIN) $(DESTDIR)$(BINDIR)/concbench-rank)
	install -m 644 plots/*.gp $(DESTDIR)$(DATADIR)/plots/
	for d in ref/*/; do install -d $(DESTDIR)$(DATADIR)/$$d $(DESTDIR)$(DATADIR)/$${d}models && \
	    install -m 644 $$d*.py $$d/profile $(DESTDIR)$(DATADIR)/$$d && \
	    install -m 644 $$d/models/*.model $(DESTDIR)$(DATADIR)/$${d}models/ || exit 1; done
	install -m 644 $(PROFILES) profiles/README $(DESTDIR)$(DATADIR)/profiles/
	install -m 644 concbench.1 $(DESTDIR)$(MANDIR)/concbench.1

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/concbench $(DESTDIR)$(BINDIR)/concbench-rank $(DESTDIR)$(MANDIR)/concbench.1
	rm -rf $(DESTDIR)$(DATADIR)/ref
	rm -f $(addprefix $(DESTDIR)$(DATADIR)/,$(wildcard plots/*.gp) $(PROFILES) profiles/README)
	-rmdir $(DESTDIR)$(DATADIR)/plots $(DESTDIR)$(DATADIR)/profiles $(DESTDIR)$(DATADIR)

clean:
	rm -rf build bin

help:
	@echo "make            build bin/concbench"
	@echo "make test       install what is missing, build, run the test suite"
	@echo "make bench      install what is missing, run the benchmark"
	@echo "make plots      redraw the charts and report.md of results/latest (RESULTS=DIR)"
	@echo "make proof      the test model and workload (tests/model_*.c, workload_*.c) in a build"
	@echo "                of their own, against tests/test_proof.c and tests/test_models.c"
	@echo "make asan|tsan  the test suite under AddressSanitizer+UBSan / ThreadSanitizer"
	@echo "make regress BASE=REV  the regression gate: REV against the working tree"
	@echo "make baseline   refresh results/baseline.json (theory-anchored figures)"
	@echo "make fuzz-server FUZZ_SECONDS=N  libFuzzer+ASan on the HTTP request parser"
	@echo "make fuzz-thumbnail FUZZ_SECONDS=N  libFuzzer+ASan on decode/blur/shrink/encode"
	@echo "make fuzz-urls FUZZ_SECONDS=N  libFuzzer+ASan on the --urls list reader"
	@echo "make fuzz FUZZ_SECONDS=N  every fuzz target, N seconds each"
	@echo "make memcheck   valgrind: no leak in run of each workload under single"
	@echo "make bench-server  the embedded server: wrk requests/s (concbench perf --only server-rps)"
	@echo "make perf       every promised figure beside the machine's limit, judged (PERF_ARGS=...)"
	@echo "make install PREFIX=/usr/local DESTDIR=  the binary, plots/, profiles/, concbench.1"
	@echo "make uninstall  remove what make install put there"
	@echo "make clean      remove build output"

-include $(shell find build -name '*.d' 2>/dev/null)
