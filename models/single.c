/* single.c — the reference model: every task in the calling thread, one after another. */
#include "models/model.h"
#include "runtime/event.h"

static int single_run(const struct workload *w, void *ctx, const struct run_params *p,
                      struct task_result *results)
{
    for (unsigned i = 0; i < p->tasks && !event_is_set(p->cancel); i++)
        model_exec_task(w, ctx, p, i, &results[i]);
    return 0;
}

const struct model model_single = {
    .name = "single",
    .summary = "one thread runs the tasks one after another (the reference)",
    .run = single_run,
};
