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
    .order = 1,
    .color = "#707070",
    .serial = true,
    .conc = MODEL_CONC_ONE,
    .dispatch_s = 3e-6,
    .cost_text = "a function call per task: the tasks run one after another on one thread",
    .run = single_run,
};
