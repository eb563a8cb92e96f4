/* thread_pool.c — the thread-pool model: the executor's W workers (-j W, default the online
 * CPUs) take the task indices through one map, in chunks (--chunk C, default guided). */
#include <stdio.h>
#include <string.h>

#include "models/model.h"
#include "runtime/executor.h"

struct pool_batch {
    const struct workload *w;
    void *ctx;
    const struct run_params *p;
    struct task_result *results;
};

/* One task, on a worker. A cancelled run leaves the tasks not yet begun TASK_NOT_STARTED
 * (model_exec_task returns at once for them). */
static void pool_task(void *arg, size_t i)
{
    struct pool_batch *b = arg;
    model_exec_task(b->w, b->ctx, b->p, (unsigned)i, &b->results[i]);
}

static int pool_run(const struct workload *w, void *ctx, const struct run_params *p,
                    struct task_result *results)
{
    struct pool_batch b = { .w = w, .ctx = ctx, .p = p, .results = results };
    struct executor *ex;
    int err;

    if ((err = executor_create(&ex, p->concurrency, 0)) < 0) {
        snprintf(p->stats->note, sizeof p->stats->note, "could not start %u pool workers: %s",
                 p->concurrency, strerror(-err));
        return err;
    }
    err = executor_map(ex, pool_task, &b, p->tasks, p->chunk);
    executor_shutdown(ex, EXECUTOR_WAIT);
    executor_destroy(ex);
    return err;
}

const struct model model_thread_pool = {
    .name = "thread-pool",
    .summary = "W worker threads (-j W, default: online CPUs) take tasks in chunks (--chunk)",
    .order = 3,
    .color = "#56b4e9",
    .pool = true,
    .conc = MODEL_CONC_POOL,
    .dispatch_s = 3e-6,
    .cost_text = "a claim of a chunk of task indices from an atomic counter by one of W "
                 "long-lived worker threads",
    .run = pool_run,
};
