/* perf.h — `concbench perf`: every performance figure the project promises, measured beside the
 * machine's own limit (a minimal probe run in the same session), judged against its budget.
 *
 *   perf.c          the command: options, the checks of this binary, rounds, the table
 *   perf/checks.c   the table of checks (the list of promised figures: like a profile file,
 *                   it names the cells it measures, so it lives beside the profiles, not here)
 *   perf_probes.c   the minimal probes (`concbench perf --probe NAME ARGS`, a hidden sub-mode)
 *   perf_verdict.c  figures from records, medians, the verdict and the exit code
 *   perf_publish.c  docs/performance.md (`--publish DIR`)
 * Noise diagnosis (outliers, bimodality, CPU share) is in harness/noise.h. */
#ifndef CONCBENCH_PERF_H
#define CONCBENCH_PERF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "harness/cli.h"

/* Exit code when every judged check was met or inconclusive, and at least one was
 * inconclusive (the machine was busy). A missed budget on an idle machine (1) wins. */
#define EXIT_INCONCLUSIVE 4
/* A check is judged only when the spins around it got at least this share of a CPU. */
#define PERF_BUSY_SHARE 0.90
/* The spin before and after each check, seconds. */
#define PERF_SPIN_S 0.050

/* ---- the table of checks (perf/checks.c) ---- */

enum perf_cmp { PERF_LE, PERF_GE, PERF_NONE };  /* ratio <= budget, >= budget, not judged */
enum perf_basis {
    PERF_BASIS_LIMIT,       /* ratio = measured / limit (the probe's figure) */
    PERF_BASIS_IDEAL,       /* ratio = measured / the run's ideal (catalog_ideal_s) */
    PERF_BASIS_CONST,       /* ratio = measured / basis_value (a promised absolute figure) */
};
enum perf_unit { PERF_UNIT_S, PERF_UNIT_MS, PERF_UNIT_X, PERF_UNIT_RPS, PERF_UNIT_COUNT,
                 PERF_UNIT_KB };

/* Check flags. */
#define PERF_ALL_ONLY 1u    /* only with --all */
#define PERF_ONCE     2u    /* one round, whatever --runs */
#define PERF_WARMUP   4u    /* run the measured job once, untimed, before the first round */
#define PERF_NEEDS_WRK 8u   /* skipped (and listed) when wrk is not installed */
#define PERF_NEEDS_2CPUS 16u    /* skipped when this process may use fewer than 2 CPUs */
#define PERF_PINNING 32u    /* one of the checks whose spread pinned and unpinned perf compares */

struct perf_check_def {
    const char *name;       /* "{m}" is replaced by the model's name when model is "@parallel" */
    const char *what;       /* one line for people */
    const char *workload;   /* the measured run's workload (registry name); NULL: a probe */
    const char *model;      /* registry name, or "@parallel": one check per model that runs
                             * the workload with parallelism > 1 at -j cores (not serial) */
    const char *args;       /* `concbench run` options after -w/-m; "{cores}" expands */
    const char *probe;      /* workload NULL: the measured figure comes from this probe */
    const char *figure;     /* from the measured record: "wall_s", "cpu_s", "wall_s/tasks",
                             * "a.b+a.c" sums, or "speedup" (the serial model's wall_s with the
                             * same args over this one's) */
    const char *limit_probe;    /* the machine's limit: a probe's argv tail; "run ARGS": a
                                 * `concbench run` (another model's figure); NULL: none */
    const char *limit_figure;   /* its figure; "=FIG": a figure of the measured record */
    const char *limit_label;    /* what the limit is called in the table (NULL: "bare") */
    enum perf_basis basis;
    double basis_value;     /* PERF_BASIS_CONST */
    double minus;           /* subtracted from measured and basis before the ratio (a sleep) */
    enum perf_cmp cmp;
    double budget;
    enum perf_unit unit;
    unsigned flags;
    const char *extras;     /* figures of the measured record, space-separated, whose medians
                             * the story cites as {x0} {x1} ... (at most PERF_MAX_EXTRAS) */
    const char *story;      /* "where the time goes": {m} {l} {i} {r} {mx} {lx} {mper} {lper}
                             * {n} {model}; see perf_publish.c */
};
extern const struct perf_check_def perf_check_table[];
extern const size_t perf_check_count;

/* ---- one measured figure set (perf_verdict.c) ---- */

enum perf_verdict {
    PERF_MET, PERF_MISSED, PERF_INCONCLUSIVE, PERF_FAILED, PERF_SKIPPED, PERF_INFO,
};
const char *perf_verdict_name(enum perf_verdict v);

#define PERF_MAX_RUNS 64
#define PERF_MAX_EXTRAS 8

/* A check as run: its definition, the expanded name and arguments, the figures of each round. */
struct perf_check {
    const struct perf_check_def *def;
    char name[64];
    const char *model;      /* registry name of the model measured ("" for probes) */
    char args[256];         /* run args with {cores} expanded */
    char run_cmd[320];      /* "-w W -m M ARGS" (for the table) */
    char skip[160];         /* why it is skipped ("" when it runs) */
    unsigned rounds;        /* rounds done */
    double measured[PERF_MAX_RUNS], limit[PERF_MAX_RUNS], ideal[PERF_MAX_RUNS];
    double share[PERF_MAX_RUNS];    /* min of the spins before and after, per round */
    double extra[PERF_MAX_EXTRAS][PERF_MAX_RUNS], extra_med[PERF_MAX_EXTRAS];
    unsigned nextra;
    unsigned tasks;         /* from the record (0: none) */
    char error[240];        /* the first failure ("" when none) */
    /* judged (perf_conclude) */
    double med, min, max, lim_med, lim_min, lim_max, ideal_med, basis, ratio, share_med;
    enum perf_verdict verdict, would_be;
    char noise[64];
};

/* The verdict from fed-in figures: PERF_FAILED when failed; PERF_INFO when cmp is PERF_NONE;
 * else met/missed by ratio against budget (NaN ratio: failed), and PERF_INCONCLUSIVE instead
 * when the CPU share is below PERF_BUSY_SHARE (NaN share: not known, judged as idle). *would_be
 * (may be NULL) gets the verdict the figures alone give. */
enum perf_verdict perf_judge(enum perf_cmp cmp, double budget, double ratio, double cpu_share,
                             bool failed, enum perf_verdict *would_be);
/* The exit code of a set of verdicts: 1 when any missed or failed, else 4 when any
 * inconclusive, else 0 (skipped and info checks count for nothing). */
int perf_exit_code(const enum perf_verdict *v, size_t n);
/* Medians, ranges, ratio, noise flags and verdict of a check from its rounds. */
void perf_conclude(struct perf_check *c);

/* The number at a path of a JSON text: "wall_s", "stage_ms.decode" (one level of nesting);
 * sums "a+b"; "cpu_s" is cpu_user_s + cpu_sys_s; "X/tasks" divides by the record's tasks.
 * Returns NaN when absent. Top-level keys are found by text search, so the record's large task
 * arrays (numbers and status strings only) are never parsed. */
double perf_figure(const char *json, const char *path);

/* Format a figure in a check's unit into buf ("101.4 ms", "1.97x", "160,524 req/s"). */
const char *perf_fmt(enum perf_unit u, double v, char *buf, size_t len);
/* The budget as text: "<= 1.02 x ideal", ">= 0.95 x bare". */
const char *perf_budget_text(const struct perf_check *c, char *buf, size_t len);

/* ---- the table and the document ---- */

struct perf_session {
    char machine[160], kernel[128], date[32], revision[64], load_before[64], load_after[64];
    unsigned cores, runs;
    double seconds;         /* the whole session */
    const char *bin;
};
void perf_print_table(FILE *f, const struct perf_session *s, struct perf_check *c, size_t n,
                      bool markdown);
/* Write DIR/performance.md atomically. Returns 0 or -errno. */
int perf_publish(const char *dir, const struct perf_session *s, struct perf_check *c, size_t n);

/* ---- probes (perf_probes.c) ---- */

/* `concbench perf --probe NAME ARGS...`: run one probe, print one JSON object line. argv[0] is
 * the probe's name. Returns an exit code. */
int perf_probe_main(int argc, char **argv);
/* Every probe's name and usage, for --help. */
void perf_probe_help(FILE *f);

int cmd_perf(int argc, char **argv);
extern const struct command cmd_perf_;

#endif
