/* model.h — how tasks run: the interface every concurrency model implements, and the registry.
 *
 * A model knows how to run N tasks of any workload (workloads/workload.h); it knows nothing of
 * what a task does. */
#ifndef CONCBENCH_MODEL_H
#define CONCBENCH_MODEL_H

#include <stdbool.h>
#include <stddef.h>

#include "workloads/workload.h"

/* How a model's concurrency (the most tasks in flight) follows from -j. */
enum model_conc {
    MODEL_CONC_ONE,         /* one task at a time, whatever -j (the serial reference) */
    MODEL_CONC_POOL,        /* -j is the pool size; default: the cores */
    MODEL_CONC_CAP,         /* -j caps the tasks in flight; default: all N at once */
};

/* Everything another part of concbench needs to know about a model is here: the charts, the
 * report, the sweep and the gate read it from the registry (or from the columns the sweep
 * writes from it) and never name a model. */
struct model {
    const char *name, *summary;
    unsigned order;         /* position in charts and tables, lower first */
    const char *color;      /* "#rrggbb": its colour in every chart */
    bool serial;            /* the serial reference: speed-ups and t1 are measured against it */
    const char *family;     /* implementations compared with their own serial reference: NULL
                             * for concbench's C models, "python" for the CPython rows */
    bool pool;              /* -j is its pool size (default: online CPUs), not a cap */
    bool forks;             /* runs tasks in child processes */
    bool cpu_inline;        /* runs a workload without an async form inline on one thread:
                             * no parallelism for CPU-bound work, whatever -j */
    enum model_conc conc;
    double dispatch_s;      /* rough cost of handing out one task, seconds (the sweep's ETA) */
    const char *cost_text;  /* what one task costs it, for the report: "a fork, an exit and a
                             * wait per task" */
    const struct wopt *opts;/* its own options (NULL-name-terminated; may be NULL) */
    bool remote;            /* may run tasks in processes that share no memory with concbench
                             * (other hosts): a workload that needs memory shared between its
                             * tasks cannot run under it */

    /* Optional: what must be running before the batch is timed (mpi: the ranks, launched and
     * set up with the workload options o). Called after the workload's set-up, before the
     * clock starts; its time goes to p->stats->startup_s. Returns 0, or a negative errno with
     * a message in err and nothing left running (the run exits 3; -EINVAL: 2). After a 0,
     * run and then finish are always called, even when the run was cancelled meanwhile. */
    int (*prepare)(const struct workload *w, void *ctx, const struct options *o,
                   const struct run_params *p, struct task_result *results, char *err,
                   size_t errlen);
    /* Optional: after the batch's time and resource usage were taken: end what prepare
     * started (mpi: wait for mpirun to exit). */
    void (*finish)(const struct run_params *p);

    /* Run tasks 0..p->tasks-1 of w; results[i] is task i's (MAP_SHARED memory, so a forked
     * child may write it). Every task ends with a status: a failed task is a result, never an
     * abort, and tasks the model never started stay TASK_NOT_STARTED. Stops dispatching and
     * cancels running tasks when p->cancel is set. Returns 0, or a negative errno when the
     * model itself could not run (nothing was started); never exits the process. Called from
     * the harness's main thread, once per batch. */
    int (*run)(const struct workload *w, void *ctx, const struct run_params *p,
               struct task_result *results);

    /* Whether it can run on this machine (NULL: always). False with one sentence in why: `list`
     * marks it unavailable with the reason, `run` exits 3 with it, the sweep skips it. */
    bool (*available)(char *why, size_t len);
};

/* m->available, or true when m has none; why gets "" when available. */
bool model_available(const struct model *m, char *why, size_t len);

/* The registry, NULL-terminated; one line a model in model.c. */
extern const struct model *const models[];
const struct model *model_find(const char *name);
/* The serial reference (the model with .serial set), or NULL. */
const struct model *model_serial(void);

/* A model option's value for this run: given, else m's default, else NULL. */
const char *model_opt(const struct model *m, const struct run_params *p, const char *name);

/* The most tasks m allows in flight for N tasks: 1, -j (jobs > 0) or its default (the cores
 * for a pool, N for the others). */
unsigned model_concurrency(const struct model *m, unsigned tasks, unsigned jobs, unsigned cores);
/* How many tasks of w can make progress at once under m at this concurrency: 1 when m runs w
 * inline (cpu_inline and w has no async form), else the concurrency. */
unsigned model_parallelism(const struct model *m, const struct workload *w, unsigned concurrency);

/* Run task i in the calling thread (or process) the way every model does: record its start,
 * give it its deadline, run it, add the calibration overhead, record its end and status.
 * Returns the status. Any thread or process. */
int model_exec_task(const struct workload *w, void *ctx, const struct run_params *p, unsigned i,
                    struct task_result *r);

/* Tests only (run --ready-fd): write one byte to fd once the first task has started; -1: off.
 * Every model calls model_task_started() as a task starts (model_exec_task does). */
void model_set_ready_fd(int fd);
void model_task_started(void);

/* The task environment (cancel event, deadline) for a task starting at CLOCK_MONOTONIC `now`. */
struct task_env model_task_env(const struct run_params *p, double now);

/* Measure the busy loop --inject-overhead-pct uses (under a millisecond), so the overhead is
 * work proportional to each task's duration rather than clock reads. Call once before the
 * batch, from the main thread, when p->inject_pct > 0. */
void model_calibrate_inject(void);

/* Record the end of an async task: end time, status, calibration overhead. Loop thread. */
void model_finish_task(const struct run_params *p, struct task_result *r, int status);

#endif
