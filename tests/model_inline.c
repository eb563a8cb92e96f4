/* model_inline.c — a test model (the proof of issue 16: a model is one file plus one registry
 * line): runs the tasks one after another in the calling thread, like the serial reference but
 * under another name and without its flag; --inline-reverse runs the indices last to first.
 * Compiled only into the proof build (make proof), registered under CONCBENCH_TEST_ENTRIES. */
#include "models/model.h"
#include "runtime/event.h"

extern const struct model model_inline;

static int inline_run(const struct workload *w, void *ctx, const struct run_params *p,
                      struct task_result *results)
{
    const char *rev = model_opt(&model_inline, p, "inline-reverse");
    bool reverse = rev && rev[0] == '1';
    for (unsigned k = 0; k < p->tasks && !event_is_set(p->cancel); k++) {
        unsigned i = reverse ? p->tasks - 1 - k : k;
        model_exec_task(w, ctx, p, i, &results[i]);
    }
    return 0;
}

static const struct wopt inline_opts[] = {
    { "inline-reverse", WOPT_FLAG, NULL, 0, 0, "run the task indices last to first" },
    { 0 },
};

const struct model model_inline = {
    .name = "inline",
    .summary = "test model: the tasks one after another in the calling thread, under another "
               "name (--inline-reverse: last index first)",
    .order = 7,
    .color = "#cc79a7",
    .serial = false,
    .cpu_inline = false,
    .conc = MODEL_CONC_ONE,
    .dispatch_s = 3e-6,
    .cost_text = "a function call per task, one after another (a test model)",
    .opts = inline_opts,
    .run = inline_run,
};
