/* gate.h — the regression gate's parts beside ci/regress.c (which keeps the worktree builds,
 * the ABBA loop and the verdict): its cells from a profile (harness/profile.c), one measured
 * run of a cell, what each binary supports, the Markdown table and regress.json (gate.c), and
 * the theory-anchored baseline (gate_baseline.c). */
#ifndef CONCBENCH_GATE_H
#define CONCBENCH_GATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "harness/compare.h"

struct event;

enum { GATE_OK = 0, GATE_REGRESSED = 1, GATE_CANNOT = 2 };     /* ci/regress's exit codes */

#define GATE_MAX_ARGS 48
#define GATE_MAX_CELLS 128
#define GATE_MAX_RUNS 1000
#define GATE_RUN_TIMEOUT_S 300      /* one run of a cell; a hung cell fails instead of hanging */

struct gate_cell {
    char name[64];
    char *argv[GATE_MAX_ARGS];  /* `concbench run` arguments (malloc'ed), without --json */
    int argc;
    char workload[32], model[32];
    char args[256];             /* its options (workload, model, run), for the ideal time */
    double threshold;           /* T of its verdict */
    bool skipped, failed;
    bool figure;                /* a table row whose medians are efficiencies, not times */
    char why[512];              /* skipped or failed: the reason */
    double *samples[2];         /* wall_s of each run: [0] base (or baseline), [1] head */
    unsigned n[2];
    unsigned tasks[2], concurrency[2];  /* from the records (or the baseline file) */
    struct compare_result res;
};

struct gate {
    struct gate_cell *cells;
    int ncells;
    char bins[2][4096];         /* concbench of base and head */
    char *side_args[2][GATE_MAX_ARGS];  /* --base-args, --head-args (malloc'ed words) */
    int side_nargs[2];
    unsigned runs, warmup;
    double alpha, threshold;
    uint64_t seed;
    const char *tmp;            /* what {tmp} in a profile argument becomes */
    struct event *stop;         /* set by a signal: stop starting runs */
};

/* Whether a cell can still be measured. */
bool gate_active(const struct gate_cell *c);
/* Cells from a profile (its cells of every part, in the file's order; names must differ).
 * Pairs the profile lists as not registered become skipped cells. Returns 0, or -1 with the
 * reason in err. */
int gate_load_profile(struct gate *g, const char *path, char *err, size_t errlen);
/* Per-cell thresholds, "CELL T" a line (0 < T < 1). A missing file is no overrides unless
 * required. Returns 0 or -1 (printed). */
int gate_load_thresholds(struct gate *g, const char *path, bool required);
/* Room for the samples of `runs` runs on each side. */
void gate_alloc_samples(struct gate *g);
/* Mark the cells whose workload or model `concbench list` of side's binary lacks as skipped.
 * Returns 0, or -1 when the binary cannot list. */
int gate_check_support(struct gate *g, int side, const char *label);
/* One measured run of c on one side, retried once when it fails; the sample is kept. 0, or -1
 * (c is marked failed). */
int gate_measure(struct gate *g, struct gate_cell *c, int side);
/* g->warmup unmeasured runs of every cell on sides first_side..1; a usage error (exit 2) means
 * the binary does not support the cell (skipped). */
void gate_warm_up(struct gate *g, int first_side);
/* Compare each active cell's samples (head against base); counts[verdict] += 1. */
void gate_decide(struct gate *g, struct gate_cell *cells, int n, int counts[4]);
/* The Markdown table of rows (their res), then the skipped and failed ones. la and lb label
 * the two median columns. */
void gate_write_table(FILE *f, const struct gate_cell *rows, int n, const char *la,
                      const char *lb);
/* "**R regressed**, I improved, S no change, X inconclusive → exit C". */
void gate_write_counts(FILE *f, const int counts[4], int code);
/* regress.json (github-action-benchmark customSmallerIsBetter: head medians), atomically. */
int gate_write_bench_json(const struct gate *g, const char *path);
/* Call write(f, arg) for stdout and, when $GITHUB_STEP_SUMMARY is set, for that file. */
void gate_publish(void (*write)(FILE *f, void *arg), void *arg);
void gate_free(struct gate *g);

/* ---- the baseline (gate_baseline.c) ---- */

/* Measure the cells of g (from ci/baseline-profile) on bins[1], runs each, and write the
 * baseline file (machine fingerprint, samples, efficiencies). rev: the git revision. Returns an
 * exit code. */
int gate_baseline_write(struct gate *g, const char *path, const char *rev);
/* Measure the cells of baseline file `path` on bins[1] and judge their efficiencies (and times,
 * on the same machine) against the file's. Returns an exit code. */
int gate_baseline_check(struct gate *g, const char *path);

#endif
