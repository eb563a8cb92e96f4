/* model.c — the model registry and the task wrapper every model shares. */
#include "models/model.h"

#include <string.h>

#include "runtime/clock.h"
#include "runtime/event.h"

extern const struct model model_single;
extern const struct model model_async;
extern const struct model model_threads;
extern const struct model model_thread_pool;
extern const struct model model_processes;
extern const struct model model_process_pool;

const struct model *const models[] = {
    &model_single,
    &model_threads,
    &model_thread_pool,
    &model_processes,
    &model_process_pool,
    &model_async,
    NULL,
};

const struct model *model_find(const char *name)
{
    for (const struct model *const *m = models; *m; m++)
        if (strcmp((*m)->name, name) == 0)
            return *m;
    return NULL;
}

struct task_env model_task_env(const struct run_params *p, double now)
{
    struct task_env env = {
        .cancel = p->cancel,
        .deadline = p->timeout_s > 0 ? now + p->timeout_s : 0,
    };
    return env;
}

/* Calibration (--inject-overhead-pct): spin for pct % of the task's own duration. */
static void inject_overhead(const struct run_params *p, double start, double end)
{
    if (p->inject_pct <= 0)
        return;
    double until = end + (end - start) * p->inject_pct / 100.0;
    volatile unsigned long spin = 0;
    while (clock_now() < until)
        spin++;
}

void model_finish_task(const struct run_params *p, struct task_result *r, int status)
{
    double end = clock_now();
    inject_overhead(p, p->t0 + r->start_s, end);
    if (p->inject_pct > 0)
        end = clock_now();
    r->end_s = end - p->t0;
    r->status = status;
}

int model_exec_task(const struct workload *w, void *ctx, const struct run_params *p, unsigned i,
                    struct task_result *r)
{
    if (event_is_set(p->cancel))
        return TASK_NOT_STARTED;        /* cancelled before it started: stays not_started */

    double start = clock_now();
    struct task_env env = model_task_env(p, start);

    r->start_s = start - p->t0;
    int status = w->run(ctx, i, &env, r);
    model_finish_task(p, r, status);
    return status;
}
