/* sleep.c — the sleep workload: each task waits D ms on a cancellable wait (I/O-bound). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "runtime/clock.h"
#include "runtime/event.h"
#include "workloads/workload.h"

struct sleep_ctx {
    double seconds;         /* D */
};

static int sleep_setup(const struct options *o, const struct run_params *p, void **ctx,
                       char *err, size_t errlen)
{
    extern const struct workload workload_sleep;
    struct sleep_ctx *c = malloc(sizeof *c);
    (void)p;
    if (!c) {
        snprintf(err, errlen, "out of memory");
        return -ENOMEM;
    }
    c->seconds = (double)workload_opt_u64(&workload_sleep, o, "sleep-ms") / 1000.0;
    *ctx = c;
    return 0;
}

/* Wait until `start + seconds` on the cancel event, so Ctrl-C or the deadline end it early. */
static int sleep_run(void *ctx, unsigned i, const struct task_env *env, struct task_result *r)
{
    const struct sleep_ctx *c = ctx;
    double start = clock_now(), until = start + c->seconds;

    if (env->deadline > 0 && env->deadline < until)
        until = env->deadline;
    event_wait_until(env->cancel, until);
    double now = clock_now();
    if (now >= start + c->seconds) {
        r->value = i;
        return TASK_OK;
    }
    int st = task_interrupted(env, now);
    if (st == TASK_TIMEOUT)
        return task_fail(r, st, "timeout", "task %u: timeout after %.0f ms", i,
                         (now - start) * 1e3);
    return task_fail(r, TASK_CANCELLED, "cancelled", "task %u: cancelled after %.0f ms", i,
                     (now - start) * 1e3);
}

/* Every index exactly once, and every task lasted at least D. */
static bool sleep_verify(void *ctx, const struct task_result *rs, unsigned n, char *why,
                         size_t len)
{
    const struct sleep_ctx *c = ctx;
    for (unsigned i = 0; i < n; i++) {
        if (rs[i].status != TASK_OK) {
            snprintf(why, len, "task %u: %s", i, task_status_name(rs[i].status));
            return false;
        }
        if (rs[i].value != i) {
            snprintf(why, len, "task %u returned index %llu", i,
                     (unsigned long long)rs[i].value);
            return false;
        }
        /* 1 µs of slack for the double arithmetic, never for an early wake-up. */
        if (rs[i].end_s - rs[i].start_s < c->seconds - 1e-6) {
            snprintf(why, len, "task %u lasted %.3f ms, less than %.3f ms", i,
                     (rs[i].end_s - rs[i].start_s) * 1e3, c->seconds * 1e3);
            return false;
        }
    }
    return true;
}

static void sleep_teardown(void *ctx)
{
    free(ctx);
}

static const struct wopt sleep_opts[] = {
    { "sleep-ms", WOPT_UINT, "100", 0, 86400000, "how long each task waits, in ms" },
    { 0 },
};

const struct workload workload_sleep = {
    .name = "sleep",
    .summary = "each task waits D ms (--sleep-ms, default 100) on a cancellable wait",
    .kind = IO_BOUND,
    .opts = sleep_opts,
    .setup = sleep_setup,
    .run = sleep_run,
    .verify = sleep_verify,
    .teardown = sleep_teardown,
};
