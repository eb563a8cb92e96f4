/* model.h — how tasks run: the interface every concurrency model implements, and the registry.
 *
 * A model knows how to run N tasks of any workload (workloads/workload.h); it knows nothing of
 * what a task does. */
#ifndef CONCBENCH_MODEL_H
#define CONCBENCH_MODEL_H

#include <stdbool.h>

#include "workloads/workload.h"

struct model {
    const char *name, *summary;
    bool pool;              /* -j is its pool size (default: online CPUs), not a cap */
    bool forks;             /* runs tasks in child processes */

    /* Run tasks 0..p->tasks-1 of w; results[i] is task i's (MAP_SHARED memory, so a forked
     * child may write it). Every task ends with a status: a failed task is a result, never an
     * abort, and tasks the model never started stay TASK_NOT_STARTED. Stops dispatching and
     * cancels running tasks when p->cancel is set. Returns 0, or a negative errno when the
     * model itself could not run (nothing was started); never exits the process. Called from
     * the harness's main thread, once per batch. */
    int (*run)(const struct workload *w, void *ctx, const struct run_params *p,
               struct task_result *results);
};

/* The registry, NULL-terminated; one line a model in model.c. */
extern const struct model *const models[];
const struct model *model_find(const char *name);

/* Run task i in the calling thread (or process) the way every model does: record its start,
 * give it its deadline, run it, add the calibration overhead, record its end and status.
 * Returns the status. Any thread or process. */
int model_exec_task(const struct workload *w, void *ctx, const struct run_params *p, unsigned i,
                    struct task_result *r);

/* The task environment (cancel event, deadline) for a task starting at CLOCK_MONOTONIC `now`. */
struct task_env model_task_env(const struct run_params *p, double now);

/* Measure the busy loop --inject-overhead-pct uses (under a millisecond), so the overhead is
 * work proportional to each task's duration rather than clock reads. Call once before the
 * batch, from the main thread, when p->inject_pct > 0. */
void model_calibrate_inject(void);

/* Record the end of an async task: end time, status, calibration overhead. Loop thread. */
void model_finish_task(const struct run_params *p, struct task_result *r, int status);

#endif
