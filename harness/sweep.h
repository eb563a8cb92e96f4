/* sweep.h — `concbench sweep`: the benchmark matrix, each cell run R times as fresh `concbench
 * run --json` processes in a shuffled order, the headline grid also timed by hyperfine, and the
 * whole summarized into results/<UTC stamp>/. Shared by harness/sweep*.c and the tests. */
#ifndef CONCBENCH_SWEEP_H
#define CONCBENCH_SWEEP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* ---- cells and the plan (sweep_profile.c) ---- */

enum sweep_part {
    SWEEP_HEADLINE,         /* every workload x model pair at one size */
    SWEEP_TASKS,            /* wall time against N */
    SWEEP_CONCURRENCY,      /* wall time against -j at fixed N */
    SWEEP_OVERHEAD,         /* no-op tasks: dispatch cost per task */
    SWEEP_TIMELINE,         /* the configuration whose task timeline is drawn */
    SWEEP_NPARTS
};
/* "headline", "tasks", "concurrency", "overhead", "timeline". */
const char *sweep_part_name(int part);

struct sweep_cell {
    unsigned id;            /* index in the plan */
    int part;               /* enum sweep_part */
    const char *workload;   /* registry name */
    const char *model;      /* registry name */
    bool io;                /* I/O-bound workload */
    unsigned tasks;         /* -n */
    unsigned jobs;          /* -j given to run; 0: not given */
    unsigned concurrency;   /* the most tasks in flight, as `run` computes it from -j */
    char args[160];         /* extra `run` arguments (workload and model options, --chunk ...),
                             * space-separated; "" for none */
    char params[160];       /* the cell's `params` key: catalog_params(args), "k=v;k=v" */
    char name[64];          /* the profile's name for the cell, or one made from its key */
    double est_run_s;       /* estimated wall time of one run, whole process */
    bool hyperfine;         /* also timed by hyperfine (the headline grid) */
};

#define SWEEP_MAX_NOTES 64
struct sweep_plan {
    const char *profile;    /* profile name */
    unsigned runs;          /* measured runs per cell (a warm-up comes on top) */
    unsigned cores;         /* -j of the CPU-bound headline */
    bool hyperfine;         /* the profile wants the headline timed by hyperfine */
    struct sweep_cell *cells;
    size_t ncells;
    /* Pairs of the profile left out (workload or model not registered), and other remarks
     * ("single runs only up to N = 16 in the task-count sweep"), one line each. */
    char *notes[SWEEP_MAX_NOTES];
    unsigned nnotes;
    char *skipped[SWEEP_MAX_NOTES];     /* "http x async: workload http not registered" */
    unsigned nskipped;
};

/* Build the cells of profile `name` ("default", "quick" or "test") from the workloads and
 * models registered in this binary: the profile names every pair it wants; pairs whose workload
 * or model is missing are left out and listed in plan->skipped, and registered models the
 * profile does not name join every part. runs == 0 takes the profile's default. Returns 0, or
 * -EINVAL for an unknown profile (message in err), -ENOMEM. Free with sweep_plan_free. */
int sweep_plan_build(const char *name, unsigned runs, unsigned cores, struct sweep_plan *plan,
                     char *err, size_t errlen);
void sweep_plan_free(struct sweep_plan *plan);

/* The effective concurrency of a cell, as `run` computes it: 1 for single, -j or `cores` for
 * the pools, -j or N for the others. */
unsigned sweep_effective_concurrency(const char *model, unsigned tasks, unsigned jobs,
                                     unsigned cores);

/* The value of workload option --name in a cell's args, or NULL (copied into buf). */
const char *sweep_cell_arg(const struct sweep_cell *c, const char *name, char *buf, size_t len);

/* ---- runs and the summary (sweep_summary.c) ---- */

enum sweep_status {
    SR_OK,                  /* exit 0, verified, no task errors */
    SR_FAILED,              /* exit 1: some task failed */
    SR_UNVERIFIED,          /* exit 1: verification failed */
    SR_TIMEOUT,             /* killed by the sweep after its time limit */
    SR_CRASHED,             /* ended by a signal it did not ask for */
    SR_ERROR,               /* another exit code (2 usage, 3 environment, 127 exec) */
    SR_BAD_OUTPUT,          /* exit 0 but no JSON record on stdout */
    SR_INTERRUPTED,         /* stopped because the sweep was interrupted */
};
/* "ok", "failed", "unverified", "timeout", "crashed", "error", "bad_output", "interrupted". */
const char *sweep_status_name(int status);

struct sweep_run {
    unsigned cell;          /* sweep_cell.id */
    unsigned run;           /* 1..R; 0 is the warm-up */
    int status;             /* enum sweep_status */
    int exit_code;          /* the process's exit code; 128 + signal when a signal ended it */
    double elapsed_s;       /* whole process, measured by the sweep */
    /* From the run's JSON record; NaN when absent. */
    double wall_s, cpu_s, server_cpu_s;
    double max_rss_kb, children_sum_rss_kb, ctx_voluntary, ctx_involuntary;
};

/* Fill r's record fields from the text `run --json` printed and classify the run from its exit
 * code: 0 with a verified record is SR_OK. r->exit_code must be set. Returns true when the
 * text held a JSON object. Any thread. */
bool sweep_parse_record(const char *text, size_t len, struct sweep_run *r);

/* One row of summary.csv; NaN is written as an empty field. */
struct sweep_row {
    const char *workload, *kind, *model, *part;
    unsigned tasks, concurrency, runs_ok, runs_total;
    double min_s, median_s, max_s, cv, speedup, ideal_s, efficiency, cpu_s;
    double max_rss_kb, children_sum_rss_kb, ctx_voluntary, ctx_involuntary, server_cpu_s;
    double per_task_us;
};

/* The header line of summary.csv (no newline). */
extern const char sweep_summary_header[];

/* ceil(N / concurrency) x D for the sleep and http workloads (D from --sleep-ms in the cell's
 * args, else `default_sleep_ms`), NaN for the others. */
double sweep_ideal_s(const struct sweep_cell *c, double default_sleep_ms);
/* single's median / this median; NaN when either is unknown or not positive. */
double sweep_speedup(double single_median_s, double median_s);
/* ideal / median; NaN when either is unknown or the median is not positive. */
double sweep_efficiency(double ideal_s, double median_s);

/* One row per cell from the measured runs (warm-ups and interrupted runs left out; only SR_OK
 * runs enter the statistics, the others count in runs_total). Speed-up compares with single's
 * median for the same workload, N and workload arguments, in the same part when there is one,
 * else in any part. default_sleep_ms: D for cells that do not give --sleep-ms. rows has ncells
 * slots. Returns 0 or -ENOMEM. */
int sweep_summarize(const struct sweep_cell *cells, size_t ncells, const struct sweep_run *runs,
                    size_t nruns, double default_sleep_ms, struct sweep_row *rows);

/* Write the header and one line per row. */
void sweep_write_summary_csv(FILE *f, const struct sweep_row *rows, size_t n);
/* A number as a plain decimal with at most `decimals` digits after the point, trailing zeros
 * dropped; nothing for NaN. */
void sweep_csv_number(FILE *f, double v, int decimals);

/* ---- metadata (metadata.c) ---- */

/* What the tools around the binary say, collected before the sweep starts (once it is
 * interrupted no more child process is started). Empty strings when unavailable. */
struct sweep_tools {
    char hyperfine[128];    /* "hyperfine 1.15.0" */
    char gnuplot[128];      /* "gnuplot 5.4 patchlevel 4" */
    char git_revision[64];
    int git_dirty;          /* 1 dirty, 0 clean, -1 unknown */
};
/* Fill t by running hyperfine, gnuplot and git (no shell; each may be missing). Main thread. */
void sweep_collect_tools(struct sweep_tools *t);

struct sweep_meta {
    const struct sweep_tools *tools;
    const char *profile;
    uint64_t seed;
    unsigned runs, cells, cores;
    double estimated_s, duration_s;
    bool partial;
    int signal;             /* what interrupted the sweep, 0 if nothing */
    unsigned runs_ok, runs_not_ok, runs_interrupted;
    const char *started_utc, *stamp, *exe;
    int argc;
    char **argv;
    const struct sweep_plan *plan;
    bool hyperfine_ran;
    const char *hyperfine_note;
};

/* Write metadata.json (machine, compiler and flags, library and tool versions, git revision,
 * the sweep's parameters) atomically to path. Starts no process. Returns 0 or -errno. */
int sweep_write_metadata(const char *path, const struct sweep_meta *m);

/* ---- small things (sweep.c) ---- */

/* splitmix64: the next number of the sequence whose state is *s. */
uint64_t sweep_splitmix64(uint64_t *s);
/* Fisher-Yates shuffle of a[0..n) driven by splitmix64 seeded with seed. */
void sweep_shuffle(unsigned *a, size_t n, uint64_t seed);

#endif
