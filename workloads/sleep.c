/* sleep.c — the sleep workload: each task waits D ms on a cancellable wait (I/O-bound), or, in
 * its async form, on a timer of the caller's event loop. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "runtime/clock.h"
#include "runtime/event.h"
#include "runtime/json.h"
#include "runtime/loop.h"
#include "workloads/workload.h"

/* One task of the async form, at tasks[i]. */
struct sleep_task {
    struct loop_timer *timer;   /* pending while the task is in flight; NULL otherwise */
    void (*done)(void *arg, int status);
    void *arg;
    struct task_result *r;
    double start;           /* CLOCK_MONOTONIC at start */
    unsigned i;
    bool deadline_first;    /* the timer is the task's deadline, which comes before D */
};

struct sleep_ctx {
    double seconds;         /* D */
    unsigned ntasks;        /* N, the size of tasks */
    struct sleep_task *tasks;   /* async form only; allocated by the first start */
};

static int sleep_setup(const struct options *o, const struct run_params *p, void **ctx,
                       char *err, size_t errlen)
{
    extern const struct workload workload_sleep;
    struct sleep_ctx *c = malloc(sizeof *c);
    if (!c) {
        snprintf(err, errlen, "out of memory");
        return -ENOMEM;
    }
    c->seconds = (double)workload_opt_u64(&workload_sleep, o, "sleep-ms") / 1000.0;
    c->ntasks = p->tasks;
    c->tasks = NULL;
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

/* The async form's timer: D has passed (the task is ok) or its deadline came first. */
static void sleep_fire(struct loop *l, void *arg)
{
    struct sleep_task *t = arg;
    int status = TASK_OK;
    (void)l;

    t->timer = NULL;
    if (t->deadline_first)
        status = task_fail(t->r, TASK_TIMEOUT, "timeout", "task %u: timeout after %.0f ms",
                           t->i, (clock_now() - t->start) * 1e3);
    else
        t->r->value = t->i;
    t->done(t->arg, status);
}

/* Async form: one loop timer at start + D, or at the deadline when that comes first. */
static int sleep_start(void *ctx, unsigned i, struct loop *l, const struct task_env *env,
                       struct task_result *r, void (*done)(void *arg, int status), void *arg)
{
    struct sleep_ctx *c = ctx;

    if (i >= c->ntasks)
        return task_fail(r, TASK_FAILED, "bad task index", "task %u: only %u tasks", i,
                         c->ntasks);
    if (!c->tasks && !(c->tasks = calloc(c->ntasks, sizeof *c->tasks)))
        return task_fail(r, TASK_FAILED, "out of memory", "task %u: out of memory", i);

    struct sleep_task *t = &c->tasks[i];
    double start = clock_now(), until = start + c->seconds;
    *t = (struct sleep_task){ .done = done, .arg = arg, .r = r, .start = start, .i = i };
    if (env->deadline > 0 && env->deadline < until) {
        until = env->deadline;
        t->deadline_first = true;
    }
    t->timer = loop_timer_at(l, until, sleep_fire, t);
    if (!t->timer)
        return task_fail(r, TASK_FAILED, "out of memory", "task %u: no timer: out of memory",
                         i);
    return 0;
}

/* Async form: drop task i's timer and end it now with `why`. */
static void sleep_stop(void *ctx, unsigned i, struct loop *l, int why)
{
    struct sleep_ctx *c = ctx;
    if (!c->tasks || i >= c->ntasks || !c->tasks[i].timer)
        return;         /* not in flight */
    struct sleep_task *t = &c->tasks[i];
    loop_timer_cancel(l, t->timer);
    t->timer = NULL;
    task_fail(t->r, why, why == TASK_TIMEOUT ? "timeout" : "cancelled", "task %u: %s after %.0f ms",
              i, why == TASK_TIMEOUT ? "timeout" : "cancelled", (clock_now() - t->start) * 1e3);
    t->done(t->arg, why);
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

/* An external program's task (models/ext.h): nothing to take but the index; verify checks
 * that it lasted D by its start and end. */
static int sleep_ext_take(void *ctx, unsigned i, const struct json_value *res,
                          struct task_result *r)
{
    (void)ctx, (void)res;
    r->value = i;
    return TASK_OK;
}

static void sleep_teardown(void *ctx)
{
    struct sleep_ctx *c = ctx;
    free(c->tasks);
    free(c);
}

static const struct wopt sleep_opts[] = {
    { "sleep-ms", WOPT_UINT, "100", 0, 86400000, "how long each task waits, in ms", NULL },
    { 0 },
};

/* Each task waits D ms: ceil(N / j) x D. */
static double sleep_ideal(const struct workload *w, const struct options *o,
                          const struct ideal_in *in)
{
    return workload_ideal_wait((double)workload_opt_u64(w, o, "sleep-ms") / 1000.0, in);
}

const struct workload workload_sleep = {
    .name = "sleep",
    .summary = "each task waits D ms (--sleep-ms, default 100): a cancellable wait, a loop timer "
               "under async",
    .kind = &workload_kind_io,
    .label = "a timed wait",
    .order = 1,
    .opts = sleep_opts,
    .sweep = {
        [WL_SCALE_QUICK] = { "--sleep-ms 20", "--sleep-ms 5" },
        [WL_SCALE_DEFAULT] = { "--sleep-ms 50", "--sleep-ms 10" },
    },
    .ideal_s = sleep_ideal,
    .setup = sleep_setup,
    .run = sleep_run,
    .start = sleep_start,
    .stop = sleep_stop,
    .verify = sleep_verify,
    .teardown = sleep_teardown,
    .ext_take = sleep_ext_take,
};
