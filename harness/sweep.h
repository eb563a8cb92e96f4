/* sweep.h — `concbench sweep`: the benchmark matrix, each cell run R times as fresh `concbench
 * run --json` processes in a shuffled order, every run journaled as it ends (runs.jsonl), the
 * headline grid also timed by hyperfine, and the whole summarized into results/<UTC stamp>/.
 * Shared by harness/sweep*.c, `concbench report` (sweep_rebuild) and the tests. */
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
    SWEEP_USER,             /* cells a user's own profile names (profile part `user`) */
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
    const char *profile;    /* profile name (malloc'ed; sweep_plan_free frees it) */
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
/* The same from profile text (a user sweep's, sweep_user.c); name labels it in messages and
 * in plan->profile. */
int sweep_plan_build_text(const char *text, const char *name, unsigned runs, unsigned cores,
                          struct sweep_plan *plan, char *err, size_t errlen);

/* ---- a sweep of the user's own from the command line (sweep_user.c) ---- */

#define SWEEP_USER_MAX_SETS 16
struct sweep_user {
    const char *workloads;  /* -w: names or selectors (@all, @io, @cpu), comma-separated */
    const char *models;     /* -m: names or selectors (@all, @pool, @!serial...); NULL: @all */
    const char *tasks;      /* --tasks: numbers and ranges (1..10000x10, 1..8, 10..50+10) */
    const char *concurrency;/* --concurrency: the same, and `cores`; NULL: each model's default */
    const char *sets[SWEEP_USER_MAX_SETS];     /* --set NAME=VALUE (numeric lists are swept) */
    unsigned nsets;
    const char *run_args;   /* --run-args: more `run` options for every run */
};
/* True when any of the user-sweep options was given. */
bool sweep_user_given(const struct sweep_user *u);
/* The plan of a user sweep: cells of part `user` for every workload x model x tasks x
 * concurrency x swept option value, each --set applied to the swept workloads and models that
 * declare it and checked against each one's own table; the headline subset (each pair at its
 * largest N, first concurrency and option values) marked for hyperfine when hyperfine is set.
 * exe: the binary, asked to check --run-args (`run ARGS -h`). Returns 0, -EINVAL for a usage
 * error (message in err), -ENOMEM. */
int sweep_user_plan(const struct sweep_user *u, const char *exe, unsigned runs, unsigned cores,
                    bool hyperfine, struct sweep_plan *plan, char *err, size_t errlen);
/* Parse a list of numbers and ranges: "1,10,100", "1..10000x10" (geometric, x F each step),
 * "1..8" (every number), "10..50+10" (step 10); `cores` (when cores is not 0) is the machine's
 * online CPUs. Every value within [min, max]; duplicates dropped; at most max_n values. Returns
 * the count, or -EINVAL with a message in err (empty list or item, a range that goes nowhere,
 * a value out of bounds, too many values). */
int sweep_parse_range(const char *text, uint64_t min, uint64_t max, unsigned cores,
                      uint64_t *out, unsigned max_n, char *err, size_t errlen);
/* The swept options of a plan: option names whose value (given, or the declaring table's
 * default) differs between its cells of part `user`; the `parameter_NAME` columns of
 * summary.csv (none for a sweep without user cells). Returns the
 * count (at most max). */
#define SWEEP_PARAM_NAME 40
size_t sweep_param_names(const struct sweep_cell *cells, size_t n, char (*names)[SWEEP_PARAM_NAME],
                         size_t max);
/* A cell's value of option `name`: from its params, else the default of the workload's (or the
 * model's) table, else "" (neither declares it). In buf. */
const char *sweep_param_value(const struct sweep_cell *c, const char *name, char *buf,
                              size_t len);

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
    double rss_per_task_kb; /* the record's memory per task in flight; valid when rss_set */
    bool rss_set;           /* false: not read from a record (a run rebuilt from the journal) */
    double loop_syscalls, loop_cpu_s;   /* event-loop models: the loop's system calls and CPU */
};

/* Fill r's record fields from the text `run --json` printed and classify the run from its exit
 * code: 0 with a verified record is SR_OK. r->exit_code must be set. Returns true when the
 * text held a JSON object. Any thread. */
bool sweep_parse_record(const char *text, size_t len, struct sweep_run *r);

/* One row of summary.csv; NaN (and -1 for the registry columns) is written as an empty field. */
struct sweep_row {
    const char *workload, *kind, *model, *part;
    unsigned tasks, concurrency, runs_ok, runs_total;
    double min_s, median_s, max_s, cv, speedup, ideal_s, efficiency, cpu_s;
    double max_rss_kb, children_sum_rss_kb, ctx_voluntary, ctx_involuntary, server_cpu_s;
    double per_task_us;
    /* Appended columns (the data contract): the cell's params key, then the registry's facts
     * about its model and workload, for charts that group and colour by data. */
    const char *params;
    int model_order;        /* -1: model not in this binary's registry */
    long model_rgb;         /* 0xRRGGBB as a decimal integer; -1: unknown */
    int serial;             /* 1 the serial reference, 0 not, -1 unknown */
    int parallel;           /* model_parallelism at the cell's concurrency; -1 unknown */
    int kind_order;         /* -1: workload not in the registry */
    const char *kind_label;
    int workload_order;
    const char *workload_label;
    /* Appended after the registry columns: memory per task in flight (the median of the runs'
     * rss_per_task_kb) and the noise diagnosis of the cell's runs (harness/noise.h): outliers
     * (modified z-score on the MAD above 3.5), bimodal (1/0), cpu_share (the median over the
     * runs of cpu_s / (wall_s x min(parallel, cores)): the share of the CPUs the cell could use
     * that its runs got), and noise, the reasons in short words joined by "; " (never a comma),
     * "" when none. -1 / NaN: unknown. */
    double rss_per_task_kb;
    int outliers, bimodal;
    double cpu_share;
    char noise[96];
    /* Appended after the noise columns: the event loop's system calls and CPU time per task
     * (medians over the runs; NaN for models without a loop), and the model's family (""
     * for concbench's C models, "python" for the CPython rows: speed-ups compare within one). */
    double loop_syscalls_per_task, loop_cpu_us_per_task;
    const char *family;
};

/* A cell of work that computes (not the overhead part) whose runs got less than this share of
 * the CPUs they could use is flagged "cpu N %": something else ran. */
#define SWEEP_LOW_CPU_SHARE 0.80

/* The header line of summary.csv (no newline). */
extern const char sweep_summary_header[];
/* The header line of runs.csv (no newline). */
extern const char sweep_runs_header[];

/* serial's median / this median; NaN when either is unknown or not positive. */
double sweep_speedup(double serial_median_s, double median_s);
/* ideal / median; NaN when either is unknown or the median is not positive. */
double sweep_efficiency(double ideal_s, double median_s);

/* One row per cell from the measured runs (warm-ups and interrupted runs left out; only SR_OK
 * runs enter the statistics, the others count in runs_total). The serial reference is the
 * registry's model with the `serial` flag. Speed-up compares with the serial reference's
 * median for the same workload, N and workload params (catalog_params of the workload's own
 * options), in the same part when there is one, else in any part. ideal_s is catalog_ideal_s
 * with `cores` and t1 = the serial reference's median / N for the same workload and workload
 * params (its headline cell first, then the same part, then any). runs[k].cell is a
 * cells[].id. rows has ncells slots. Returns 0 or -ENOMEM. */
int sweep_summarize(const struct sweep_cell *cells, size_t ncells, const struct sweep_run *runs,
                    size_t nruns, unsigned cores, struct sweep_row *rows);

/* Write the header and one line per row. */
void sweep_write_summary_csv(FILE *f, const struct sweep_row *rows, size_t n);
/* A number as a plain decimal with at most `decimals` digits after the point, trailing zeros
 * dropped; nothing for NaN. */
void sweep_csv_number(FILE *f, double v, int decimals);
/* A text field: quoted (RFC 4180) only when it holds a comma, quote or line break; nothing for
 * NULL. */
void sweep_csv_text(FILE *f, const char *s);

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
    const char *const *files;   /* the files of the folder written whole before metadata.json */
    unsigned nfiles;
    bool rebuilt;           /* written by sweep_rebuild from the journal, not by the sweep */
    unsigned resumed;       /* how many times `sweep --resume` continued this sweep */
};

/* Write metadata.json (machine, compiler and flags, library and tool versions, git revision,
 * the sweep's parameters) atomically to path. Starts no process. Returns 0 or -errno. */
int sweep_write_metadata(const char *path, const struct sweep_meta *m);

/* "SIGINT", "SIGTERM", "SIGHUP", or "signal N" (static buffer); NULL for 0. */
const char *sweep_signal_name(int sig);

/* ---- the journal (sweep_journal.c, sweep_output.c) ---- */

/* Rebuild the results of an interrupted sweep (stopped by a signal, SIGKILL, a crash, a full
 * disk or power loss) in dir from its journal runs.jsonl and its plan.json (when present, cells
 * with no run yet get their row too; without it the journal's lines name the cells):
 * summary.csv, runs.csv, timeline.csv, models.csv, workloads.csv, a PARTIAL marker and
 * metadata.json marked partial and rebuilt_from_journal. A cut last line (and any line that is
 * not a run) is left out with a warning on stderr; the journal itself is not changed. Returns
 * 0, or a negative errno with a message in err (-ENOENT: no runs.jsonl; -EINVAL: plan.json is
 * not a plan, or a line names a cell plan.json lacks; another: a file could not be written). */
int sweep_rebuild(const char *dir, char *err, size_t errlen);

/* ---- small things (sweep.c) ---- */

/* splitmix64: the next number of the sequence whose state is *s. */
uint64_t sweep_splitmix64(uint64_t *s);
/* Fisher-Yates shuffle of a[0..n) driven by splitmix64 seeded with seed. */
void sweep_shuffle(unsigned *a, size_t n, uint64_t seed);

#endif
