/* probe.c — the test workload: proves each task ran exactly once and how many ran at once.
 *
 * Its counters live in MAP_SHARED memory so forked children update the parent's copy. It can be
 * told to fail one task (--probe-fail I) or to crash the process running one (--probe-crash I),
 * and to touch K KiB of fresh memory while each task is in flight (--probe-touch-kb K), so the
 * record's memory per task in flight can be checked against a known figure. */
#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "runtime/clock.h"
#include "runtime/event.h"
#include "runtime/json.h"
#include "runtime/loop.h"
#include "runtime/shm.h"
#include "workloads/workload.h"

struct probe_shared {
    atomic_uint in_flight;  /* tasks running now, across threads and processes */
    atomic_uint max_in_flight;
    atomic_uint runs[];     /* how many times each task ran */
};

/* One task of the async form, at async[i]. */
struct probe_task {
    struct loop_timer *timer;   /* pending while the task is in flight; NULL otherwise */
    void (*done)(void *arg, int status);
    void *arg;
    struct task_result *r;
    struct probe_ctx *c;
    unsigned i;
    bool deadline_first;    /* the timer is the task's deadline, which comes first */
};

struct probe_ctx {
    struct probe_task *async;   /* async form only, one per task; allocated by the first start */
    struct probe_shared *sh;
    size_t sh_size;
    unsigned tasks, concurrency;
    double seconds;         /* how long a task stays in flight */
    long fail, crash;       /* task to fail / to crash; -1: none */
    size_t touch;           /* bytes of fresh memory each task touches while in flight */
    void **mem;             /* each task's touched memory while in flight (touch > 0) */
};

extern const struct workload workload_probe;

static int probe_setup(const struct options *o, const struct run_params *p, void **ctx,
                       char *err, size_t errlen)
{
    struct probe_ctx *c = calloc(1, sizeof *c);
    const char *v;

    if (!c) {
        snprintf(err, errlen, "out of memory");
        return -ENOMEM;
    }
    c->tasks = p->tasks;
    c->concurrency = p->concurrency;
    c->seconds = (double)workload_opt_u64(&workload_probe, o, "sleep-ms") / 1000.0;
    c->fail = (v = workload_opt(&workload_probe, o, "probe-fail")) ? atol(v) : -1;
    c->crash = (v = workload_opt(&workload_probe, o, "probe-crash")) ? atol(v) : -1;
    c->touch = (size_t)workload_opt_u64(&workload_probe, o, "probe-touch-kb") * 1024;
    if (c->touch) {
        /* Touched now, before the batch: only the tasks' own memory grows while they run. */
        c->mem = malloc((size_t)p->tasks * sizeof *c->mem);
        if (!c->mem) {
            snprintf(err, errlen, "out of memory");
            free(c);
            return -ENOMEM;
        }
        memset(c->mem, 0, (size_t)p->tasks * sizeof *c->mem);
    }
    c->sh_size = sizeof *c->sh + (size_t)p->tasks * sizeof c->sh->runs[0];
    c->sh = shm_alloc(c->sh_size);
    if (!c->sh) {
        int e = errno;
        snprintf(err, errlen, "probe: shared memory: %s", strerror(e));
        free(c->mem);
        free(c);
        return -e;
    }
    *ctx = c;
    return 0;
}

static void probe_enter(struct probe_ctx *c, unsigned i)
{
    unsigned now = atomic_fetch_add(&c->sh->in_flight, 1) + 1;
    unsigned max = atomic_load(&c->sh->max_in_flight);
    while (now > max && !atomic_compare_exchange_weak(&c->sh->max_in_flight, &max, now))
        ;
    atomic_fetch_add(&c->sh->runs[i], 1);
    if (c->touch) {
        /* Fresh pages of its own, each written once: RSS grows by exactly touch bytes. */
        char *m = mmap(NULL, c->touch, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                       -1, 0);
        if (m != MAP_FAILED) {
            long page = sysconf(_SC_PAGESIZE);
            for (size_t k = 0; k < c->touch; k += (size_t)page)
                m[k] = 1;
            c->mem[i] = m;
        }
    }
}

/* The task's answer: a value that depends on i only, so models can be compared. */
static uint64_t probe_value(unsigned i)
{
    return (uint64_t)i * 2654435761u + 1;
}

static int probe_leave(struct probe_ctx *c, unsigned i, struct task_result *r, int status)
{
    if (c->touch && c->mem[i]) {
        munmap(c->mem[i], c->touch);
        c->mem[i] = NULL;
    }
    atomic_fetch_sub(&c->sh->in_flight, 1);
    if (status != TASK_OK)
        return status;
    if ((long)i == c->fail)
        return task_fail(r, TASK_FAILED, "probe failure", "task %u: failed on purpose", i);
    r->value = probe_value(i);
    return TASK_OK;
}

static int probe_run(void *ctx, unsigned i, const struct task_env *env, struct task_result *r)
{
    struct probe_ctx *c = ctx;
    double start = clock_now(), until = start + c->seconds;
    int status = TASK_OK;

    probe_enter(c, i);
    if ((long)i == c->crash)
        raise(SIGSEGV);
    if (c->seconds > 0) {
        if (env->deadline > 0 && env->deadline < until)
            until = env->deadline;
        event_wait_until(env->cancel, until);
        double now = clock_now();
        if (now < start + c->seconds) {
            status = task_interrupted(env, now);
            if (status == TASK_OK)
                status = TASK_CANCELLED;
            task_fail(r, status, status == TASK_TIMEOUT ? "timeout" : "cancelled",
                      "task %u: %s", i, task_status_name(status));
        }
    }
    return probe_leave(c, i, r, status);
}

/* The async form's timer: the task's time in flight is over, or its deadline came first. */
static void probe_fire(struct loop *l, void *arg)
{
    struct probe_task *t = arg;
    int status = TASK_OK;
    (void)l;

    t->timer = NULL;
    if (t->deadline_first)
        status = task_fail(t->r, TASK_TIMEOUT, "timeout", "task %u: timeout", t->i);
    t->done(t->arg, probe_leave(t->c, t->i, t->r, status));
}

/* Async form: in flight from here until a loop timer fires (at once, without a timer, when
 * --sleep-ms is 0). */
static int probe_start(void *ctx, unsigned i, struct loop *l, const struct task_env *env,
                       struct task_result *r, void (*done)(void *arg, int status), void *arg)
{
    struct probe_ctx *c = ctx;

    if (i >= c->tasks)
        return task_fail(r, TASK_FAILED, "bad task index", "task %u: only %u tasks", i,
                         c->tasks);
    if (!c->async && !(c->async = calloc(c->tasks, sizeof *c->async)))
        return task_fail(r, TASK_FAILED, "out of memory", "task %u: out of memory", i);

    double start = clock_now(), until = start + c->seconds;
    probe_enter(c, i);
    if ((long)i == c->crash)
        raise(SIGSEGV);
    if (c->seconds <= 0)
        return probe_leave(c, i, r, TASK_OK);

    struct probe_task *t = &c->async[i];
    *t = (struct probe_task){ .done = done, .arg = arg, .r = r, .c = c, .i = i };
    if (env->deadline > 0 && env->deadline < until) {
        until = env->deadline;
        t->deadline_first = true;
    }
    t->timer = loop_timer_at(l, until, probe_fire, t);
    if (!t->timer)
        return probe_leave(c, i, r, task_fail(r, TASK_FAILED, "out of memory",
                                              "task %u: no timer: out of memory", i));
    return 0;
}

/* Async form: drop task i's timer and end it now with `why`. */
static void probe_stop(void *ctx, unsigned i, struct loop *l, int why)
{
    struct probe_ctx *c = ctx;
    if (!c->async || i >= c->tasks || !c->async[i].timer)
        return;         /* not in flight */
    struct probe_task *t = &c->async[i];
    loop_timer_cancel(l, t->timer);
    t->timer = NULL;
    task_fail(t->r, why, why == TASK_TIMEOUT ? "timeout" : "cancelled", "task %u: %s", i,
              task_status_name(why));
    t->done(t->arg, probe_leave(c, i, t->r, why));
}

static bool probe_verify(void *ctx, const struct task_result *rs, unsigned n, char *why,
                         size_t len)
{
    struct probe_ctx *c = ctx;
    unsigned max = atomic_load(&c->sh->max_in_flight);

    for (unsigned i = 0; i < n; i++) {
        unsigned runs = atomic_load(&c->sh->runs[i]);
        if (runs != 1) {
            snprintf(why, len, "task %u ran %u times", i, runs);
            return false;
        }
        if (rs[i].status != TASK_OK) {
            snprintf(why, len, "task %u: %s", i, task_status_name(rs[i].status));
            return false;
        }
        if (rs[i].value != probe_value(i)) {
            snprintf(why, len, "task %u returned a wrong value", i);
            return false;
        }
    }
    if (max > c->concurrency) {
        snprintf(why, len, "%u tasks in flight at once, concurrency is %u", max, c->concurrency);
        return false;
    }
    return true;
}

static void probe_report(void *ctx, const struct task_result *rs, unsigned n, struct json_out *j)
{
    struct probe_ctx *c = ctx;
    unsigned once = 0;
    (void)rs;
    for (unsigned i = 0; i < n; i++)
        once += atomic_load(&c->sh->runs[i]) == 1;
    json_key_uint(j, "probe_max_in_flight", atomic_load(&c->sh->max_in_flight));
    json_key_uint(j, "probe_ran_once", once);
}

static void probe_teardown(void *ctx)
{
    struct probe_ctx *c = ctx;
    shm_free(c->sh, c->sh_size);
    free(c->async);
    free(c->mem);
    free(c);
}

static const struct wopt probe_opts[] = {
    { "sleep-ms", WOPT_UINT, "1", 0, 86400000, "how long each task stays in flight, in ms", NULL },
    { "probe-fail", WOPT_UINT, NULL, 0, UINT32_MAX, "task index that fails on purpose", NULL },
    { "probe-crash", WOPT_UINT, NULL, 0, UINT32_MAX,
      "task index that crashes its process with SIGSEGV", NULL },
    { "probe-touch-kb", WOPT_UINT, "0", 0, 1048576,
      "KiB of fresh memory each task touches while in flight", NULL },
    { 0 },
};

/* Each task stays in flight D ms: ceil(N / j) x D. */
static double probe_ideal(const struct workload *w, const struct options *o,
                          const struct ideal_in *in)
{
    return workload_ideal_wait((double)workload_opt_u64(w, o, "sleep-ms") / 1000.0, in);
}

const struct workload workload_probe = {
    .name = "probe",
    .summary = "test workload: each task ran exactly once, most tasks in flight at once",
    .kind = &workload_kind_io,
    .label = "test: each task once",
    .order = 9,
    .hidden = true,
    .sweep = {
        [WL_SCALE_QUICK] = { "--sleep-ms 1", NULL },
        [WL_SCALE_DEFAULT] = { "--sleep-ms 1", NULL },
    },
    .ideal_s = probe_ideal,
    .opts = probe_opts,
    .setup = probe_setup,
    .run = probe_run,
    .start = probe_start,
    .stop = probe_stop,
    .verify = probe_verify,
    .report = probe_report,
    .teardown = probe_teardown,
};
