/* async.c — the async model: one thread, one event loop (runtime/loop.h), epoll here and
 * io_uring in models/async_uring.c (async_run_on takes the backend). Tasks with an async form
 * (workload `start`) wait on the loop side by side; tasks without one run inline in a loop
 * callback, blocking the loop while they run, so for CPU-bound work async is single. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/async.h"
#include "models/model.h"
#include "runtime/clock.h"
#include "runtime/event.h"
#include "runtime/loop.h"

/* How long one dispatch callback may start (or run inline) tasks before it lets the loop poll
 * again: short enough that Ctrl-C and due timers are seen promptly, long enough that polling
 * costs nothing next to the tasks. */
#define ASYNC_SLICE_S 0.001

enum { ASYNC_WAITING, ASYNC_RUNNING, ASYNC_DONE };

struct async_run;

/* One task, at run->tasks[i]; the `arg` of its done callback. Zero until it starts. */
struct async_task {
    struct async_run *run;      /* set when it starts */
    struct task_env env;        /* stays valid for the whole task, as `start` may keep it */
    struct loop_timer *timeout; /* the per-task timeout, pending while it runs (timeout_s > 0) */
    unsigned char state;        /* ASYNC_WAITING, ASYNC_RUNNING, ASYNC_DONE */
};

struct async_run {
    const struct workload *w;
    void *ctx;
    const struct run_params *p;
    struct task_result *results;
    struct loop *l;
    struct async_task *tasks;
    unsigned next;              /* the next task index to dispatch */
    unsigned in_flight;         /* started with `start`, done not yet called */
    unsigned cap;               /* most tasks in flight */
    struct loop_timer *dispatch;/* the pending dispatch callback, or NULL */
    bool filling;               /* async_fill is on the stack */
    bool cancelled;
    unsigned contract_breaches; /* done called twice, or stop that did not call done */
};

static void async_fill(struct async_run *run);
static void async_on_dispatch(struct loop *l, void *arg);

static unsigned async_index(const struct async_task *t)
{
    return (unsigned)(t - t->run->tasks);
}

/* Record the end of a running task; a second end of the same task is ignored. */
static bool async_finish(struct async_task *t, int status)
{
    struct async_run *run = t->run;
    if (t->state != ASYNC_RUNNING) {
        run->contract_breaches++;
        return false;
    }
    t->state = ASYNC_DONE;
    run->in_flight--;
    if (t->timeout) {
        loop_timer_cancel(run->l, t->timeout);
        t->timeout = NULL;
    }
    model_finish_task(run->p, &run->results[async_index(t)], status);
    return true;
}

/* The workload's done(arg, status): the task ended; start the next while there is room. */
static void async_done(void *arg, int status)
{
    struct async_task *t = arg;
    if (async_finish(t, status) && !t->run->cancelled)
        async_fill(t->run);
}

/* Ask the workload to end task t now with `why`; end it ourselves if it does not. */
static void async_stop_task(struct async_task *t, int why)
{
    struct async_run *run = t->run;
    unsigned i = async_index(t);
    run->w->stop(run->ctx, i, run->l, why);
    if (t->state == ASYNC_RUNNING) {
        run->contract_breaches++;
        task_fail(&run->results[i], why, why == TASK_TIMEOUT ? "timeout" : "cancelled",
                  "task %u: %s (the workload's stop did not end it)", i, task_status_name(why));
        async_finish(t, why);
    }
}

static void async_on_timeout(struct loop *l, void *arg)
{
    struct async_task *t = arg;
    (void)l;
    t->timeout = NULL;
    if (t->state == ASYNC_RUNNING)
        async_stop_task(t, TASK_TIMEOUT);      /* its done starts the next task */
}

/* Start task i with the workload's async form. Returns the clock at its start. */
static double async_start_task(struct async_run *run, unsigned i)
{
    const struct run_params *p = run->p;
    struct async_task *t = &run->tasks[i];
    struct task_result *r = &run->results[i];
    double now = clock_now();

    r->start_s = now - p->t0;
    model_task_started();
    t->run = run;
    t->env = model_task_env(p, now);
    t->state = ASYNC_RUNNING;
    run->in_flight++;
    if (p->timeout_s > 0) {
        t->timeout = loop_timer_at(run->l, t->env.deadline, async_on_timeout, t);
        if (!t->timeout) {
            task_fail(r, TASK_FAILED, "out of memory", "task %u: no timeout timer", i);
            async_finish(t, TASK_FAILED);
            return now;
        }
    }
    int status = run->w->start(run->ctx, i, run->l, &t->env, r, async_done, t);
    if (status != 0)
        async_finish(t, status);        /* ended at once: done will not be called */
    return now;
}

/* Start (or, without an async form, run inline) the next tasks while there is room, for one
 * slice at most; then come back through a 0-delay timer, so that the loop polls in between. */
static void async_fill(struct async_run *run)
{
    const struct run_params *p = run->p;
    if (run->filling)
        return;                 /* an outer call on the stack goes on with the work */
    run->filling = true;
    double until = 0;
    bool more = false;
    while (run->next < p->tasks && run->in_flight < run->cap) {
        if (run->cancelled || event_is_set(p->cancel))
            break;              /* the cancel fd's callback ends what is in flight */
        unsigned i = run->next++;
        double now;
        if (run->w->start) {
            now = async_start_task(run, i);
        } else {
            model_exec_task(run->w, run->ctx, p, i, &run->results[i]);
            now = p->t0 + run->results[i].end_s;
        }
        if (until == 0)
            until = now + ASYNC_SLICE_S;    /* the slice starts with its first task */
        else if (now >= until) {
            more = run->next < p->tasks && run->in_flight < run->cap;
            break;
        }
    }
    if (more && !run->dispatch) {
        run->dispatch = loop_timer_add(run->l, 0, async_on_dispatch, run);
        if (!run->dispatch && run->in_flight == 0) {
            /* No timer to come back with (out of memory) and nothing in flight whose end
             * would: the tasks left are failed rather than left waiting for ever. */
            for (unsigned i = run->next; i < p->tasks; i++) {
                struct task_result *r = &run->results[i];
                r->start_s = r->end_s = clock_now() - p->t0;
                r->status = task_fail(r, TASK_FAILED, "out of memory",
                                      "task %u: the loop could not schedule it", i);
            }
            run->next = p->tasks;
        }
    }
    run->filling = false;
}

static void async_on_dispatch(struct loop *l, void *arg)
{
    struct async_run *run = arg;
    (void)l;
    run->dispatch = NULL;
    async_fill(run);
}

/* The run's cancel event is set (Ctrl-C): dispatch nothing more, stop everything in flight. */
static void async_on_cancel(struct loop *l, int fd, unsigned events, void *arg)
{
    struct async_run *run = arg;
    (void)events;
    run->cancelled = true;
    loop_fd_del(l, fd);         /* it stays readable: watching it further would spin */
    if (run->dispatch) {
        loop_timer_cancel(l, run->dispatch);
        run->dispatch = NULL;
    }
    for (unsigned i = 0; i < run->next && run->in_flight > 0; i++)
        if (run->tasks[i].state == ASYNC_RUNNING)
            async_stop_task(&run->tasks[i], TASK_CANCELLED);
    loop_stop(l);               /* nothing of ours is left; drop whatever a workload left */
}

int async_run_on(enum loop_backend_kind b, const struct workload *w, void *ctx,
                 const struct run_params *p, struct task_result *results)
{
    struct async_run run = {
        .w = w, .ctx = ctx, .p = p, .results = results,
        .cap = p->concurrency ? p->concurrency : p->tasks,
    };
    int err = 0;

    if (w->start && !w->stop)
        return -EINVAL;         /* an async form must come with its stop */
    run.l = loop_new_backend(b);
    if (!run.l) {
        int e = errno;
        if (p->stats)
            loop_backend_probe(b, p->stats->note, sizeof p->stats->note);
        return -e;
    }
    run.tasks = calloc(p->tasks, sizeof *run.tasks);
    if (!run.tasks) {
        err = -ENOMEM;
        goto out;
    }
    if (p->cancel &&
        (err = loop_fd_add(run.l, event_fd(p->cancel), LOOP_READ | LOOP_NOREF, async_on_cancel,
                           &run)) < 0)
        goto out;
    run.dispatch = loop_timer_add(run.l, 0, async_on_dispatch, &run);
    if (!run.dispatch) {
        err = -ENOMEM;
        goto out;
    }

    err = loop_run(run.l);
    if (p->stats) {
        struct loop_stats st;
        loop_get_stats(run.l, &st);
        p->stats->loop_syscalls = st.syscalls;
        p->stats->loop_cpu_s = st.cpu_s;
    }
    if (err < 0) {
        /* the loop's kernel interface failed: what is still in flight can never finish. */
        for (unsigned i = 0; i < run.next; i++)
            if (run.tasks[i].state == ASYNC_RUNNING) {
                task_fail(&results[i], TASK_FAILED, "event loop failed",
                          "task %u: the event loop failed: %s", i, strerror(-err));
                async_finish(&run.tasks[i], TASK_FAILED);
            }
        if (p->stats)
            snprintf(p->stats->note, sizeof p->stats->note, "the event loop failed: %s",
                     strerror(-err));
        err = 0;                /* started tasks are results; the batch is recorded */
    } else if (run.contract_breaches && p->stats) {
        snprintf(p->stats->note, sizeof p->stats->note,
                 "workload %s broke the async contract %u times (done twice, or stop without "
                 "done)", w->name, run.contract_breaches);
    }
out:
    free(run.tasks);
    loop_free(run.l);
    return err;
}

static int async_run(const struct workload *w, void *ctx, const struct run_params *p,
                     struct task_result *results)
{
    return async_run_on(LOOP_EPOLL, w, ctx, p, results);
}

const struct model model_async = {
    .name = "async",
    .summary = "one thread, one epoll loop; I/O waits overlap, CPU tasks run inline and block "
               "the loop (CPU work: no faster than single)",
    .order = 6,
    .color = "#009e73",
    .cpu_inline = true,
    .conc = MODEL_CONC_CAP,
    .dispatch_s = 3e-6,
    .cost_text = "a start and a completion callback in one epoll loop (a task without an async "
                 "form runs inline, as a function call)",
    .run = async_run,
};
