/* sweep_internal.h — the state of one sweep, shared by harness/sweep*.c only. */
#ifndef CONCBENCH_SWEEP_INTERNAL_H
#define CONCBENCH_SWEEP_INTERNAL_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "harness/proc.h"
#include "harness/sweep.h"
#include "runtime/event.h"

#define SWEEP_SELF_EXE "/proc/self/exe"
#define SWEEP_JOURNAL "runs.jsonl"
#define SWEEP_PLAN_FILE "plan.json"
#define SWEEP_SCHEMA 2          /* of a journal line and of plan.json */

struct workload;

/* What one (workload, workload options) costs, from a calibration run of one task under the
 * serial reference. */
struct calib {
    const char *workload;
    char args[160];         /* the cell's options that are the workload's */
    double task_s;          /* one task's time */
    double overhead_s;      /* process start, setup and teardown of one run */
    bool measured;
};

struct sweep {
    struct sweep_plan plan;
    char **owned;               /* strings read from plan.json or the journal, freed with s */
    size_t nowned;
    char exe[PATH_MAX];         /* the binary, for records and hyperfine */
    char dir[PATH_MAX];         /* results/<stamp> */
    char outdir[PATH_MAX];      /* results */
    char stamp[48];
    char started_utc[32];
    uint64_t seed;
    bool tty, use_hyperfine, dry_run;
    const char *reference;  /* --with-reference LANG: that language's reference rows join */
    unsigned resumed;           /* how many times this sweep was resumed, this time included */
    double run_timeout_s;       /* --run-timeout; 0: max(30 s, 10 x the estimate) */
    struct event *cancel;       /* set by the signal watcher */

    struct calib *calibs;
    size_t ncalibs;
    double estimate_s;

    struct sweep_run *runs;     /* every run done (journaled before this session included) */
    char **raw;                 /* parallel: the journal line of runs we keep (timeline) */
    size_t nruns, runs_cap;
    bool *warmed;               /* per cell: warmed up in this session */
    unsigned *done;             /* measured runs done per cell */
    bool *keep_raw;             /* per cell: keep journal lines (timeline sources) */
    unsigned char *have;        /* per (cell, run - 1): journaled already (resume) */

    int journal_fd;             /* runs.jsonl, O_APPEND; -1 when not open */
    unsigned seq;               /* the next journal line's `order` */
    int werr;                   /* the first failed write (-errno), 0 when none */
    char werr_what[PATH_MAX];   /* its file */

    unsigned total_runs, runs_started;
    double t0, est_done, last_progress;
    unsigned cells_done;
};

/* Note the first failed write: what (a file name) and err (-errno). Returns err. */
int sweep_write_failed(struct sweep *s, const char *what, int err);

/* ---- sweep_runs.c: running the cells ---- */

/* argv of `concbench run` for a cell: exec path first. Strings live in `store`. */
struct run_argv {
    char *argv[48];
    char store[512];
};
void sweep_build_argv(const struct sweep_cell *c, const char *exe, struct run_argv *ra);
/* Every measured run of the plan not journaled yet, in the seed's shuffled order, each cell's
 * warm-up just before its first run of this session. Stops at a signal or a failed write. */
void sweep_run_all(struct sweep *s);

/* ---- sweep_estimate.c: calibration and the ETA ---- */

void sweep_calibrate(struct sweep *s);
void sweep_estimate(struct sweep *s);
/* The time left: every run not done yet, and hyperfine, by the estimates. */
double sweep_remaining_s(const struct sweep *s);
double sweep_hyperfine_estimate(const struct sweep *s, const struct sweep_cell *c);
void sweep_print_plan(const struct sweep *s, FILE *f);
void sweep_print_cells(const struct sweep *s);
void sweep_fmt_duration(double secs, char *buf, size_t len);

/* ---- sweep_hyperfine.c ---- */

/* Time the headline cells with hyperfine; returns how many JSON files were written. */
unsigned sweep_run_hyperfine(struct sweep *s, const char **note);
/* hyperfine.csv beside the in-process medians. 0 or -errno. */
int sweep_write_hyperfine_csv(struct sweep *s, const struct sweep_row *rows);

/* ---- sweep_journal.c ---- */

/* Write plan.json (profile, seed, runs, cores, the cells and their estimates) atomically. */
int sweep_plan_save(struct sweep *s);
/* Read dir/plan.json into s (plan, seed, stamp, estimates). need_registry: every workload and
 * model must be in this binary (to run them); else unknown names are kept as text. Returns 0,
 * -ENOENT when there is none, or -errno / -EINVAL with a message in err. */
int sweep_plan_load(struct sweep *s, const char *dir, bool need_registry, char *err,
                    size_t errlen);
/* Read s->dir/runs.jsonl: allocate s's arrays (sweep_alloc, room for `extra` more runs), then
 * fill s->runs, s->raw for keep_raw cells and s->done / s->have. Cells it names that the plan
 * lacks are added when add_cells (else it is an error). A cut last line, or a line that is not
 * a run, is left out with a warning on stderr; a cut last line is also cut off the file when
 * truncate. keep_interrupted: keep runs the sweep itself stopped (a rebuild counts them; a
 * resume runs them again). Returns 0 or -errno with a message in err. */
int sweep_journal_load(struct sweep *s, size_t extra, bool add_cells, bool truncate,
                       bool keep_interrupted, char *err, size_t errlen);
/* Open runs.jsonl for appending (creating it). 0 or -errno. */
int sweep_journal_open(struct sweep *s);
/* One whole line for run r of cell c, written and fsync'ed; on failure the file is cut back
 * to its last whole line and the error noted (sweep_write_failed). line_out: a copy of the
 * line (malloc'd) when wanted. Returns 0 or -errno. */
int sweep_journal_append(struct sweep *s, const struct sweep_cell *c, const struct sweep_run *r,
                         char *const argv[], const struct proc_child *ch, bool record_ok,
                         char **line_out);
/* Free everything a struct sweep holds. */
void sweep_free(struct sweep *s);
/* Allocate the per-run and per-cell arrays for the plan's runs plus `extra_runs`, and mark the
 * timeline sources. 0 or -ENOMEM. */
int sweep_alloc(struct sweep *s, size_t extra_runs);

/* ---- sweep_output.c: the files written at the end ---- */

/* Cells whose median run's tasks go into timeline.csv. */
void sweep_mark_timeline_sources(struct sweep *s);

struct sweep_end {
    const struct sweep_tools *tools;
    int argc;
    char **argv;
    double duration_s;
    int signal;             /* what interrupted the sweep, 0 if nothing */
    bool partial;
    bool rebuilt;
    const char *hyperfine_note;
    unsigned hyperfine_written;
    unsigned runs_ok, runs_not_ok, runs_interrupted;    /* filled */
};
/* Write summary.csv, runs.csv, timeline.csv, hyperfine.csv, models.csv, workloads.csv, the
 * PARTIAL marker (or remove a stale one) and last metadata.json listing the files written. At
 * the first failure nothing more is written (metadata.json never claims a missing file).
 * Returns 0 or the failure's -errno (noted in s->werr / s->werr_what). */
int sweep_write_results(struct sweep *s, struct sweep_end *e);

#endif
