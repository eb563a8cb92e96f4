/* thread_pool.c — the thread-pool model: the executor's W workers (-j W, default the online
 * CPUs) run the tasks, handed out in one of three styles (--dispatch):
 *   map     (default) one map over the indices: the workers claim chunks of indices from an
 *           atomic counter (--chunk C, default guided) — no lock, no wake-up per task;
 *   submit  one future per task (executor_submit), then future_result on each in order:
 *           Python's ThreadPoolExecutor.submit + result;
 *   queue   the tutorial's producer/consumer: W consumers (one long call each on the
 *           executor) get task indices from the bounded runtime queue (--queue-size), run them
 *           and task_done; the caller puts the indices (--chunk C: C consecutive indices an
 *           item, default 1), joins the queue, then closes it. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/model.h"
#include "runtime/event.h"
#include "runtime/executor.h"
#include "runtime/queue.h"

enum dispatch { DISPATCH_MAP, DISPATCH_SUBMIT, DISPATCH_QUEUE };
static const char *const pool_dispatches[] = { "map", "submit", "queue", NULL };

struct pool_batch {
    const struct workload *w;
    void *ctx;
    const struct run_params *p;
    struct task_result *results;
    struct queue q;         /* queue style */
    unsigned chunk;         /* queue style: indices an item */
};

/* One task, on a worker. A cancelled run leaves the tasks not yet begun TASK_NOT_STARTED
 * (model_exec_task returns at once for them). */
static void pool_task(void *arg, size_t i)
{
    struct pool_batch *b = arg;
    model_exec_task(b->w, b->ctx, b->p, (unsigned)i, &b->results[i]);
}

/* ---- submit: a future a task ---- */

struct pool_sub {
    struct pool_batch *b;
    unsigned i;
};

static int pool_submitted(void *arg, void **value)
{
    struct pool_sub *s = arg;
    int st = model_exec_task(s->b->w, s->b->ctx, s->b->p, s->i, &s->b->results[s->i]);
    *value = (void *)(intptr_t)st;
    return 0;
}

static int pool_run_submit(struct executor *ex, struct pool_batch *b)
{
    unsigned n = b->p->tasks, sent = 0;
    struct pool_sub *subs = malloc((size_t)n * sizeof *subs);
    struct future **fs = malloc((size_t)n * sizeof *fs);
    int err = 0;

    if (!subs || !fs) {
        free(subs);
        free(fs);
        return -ENOMEM;
    }
    for (; sent < n && !event_is_set(b->p->cancel); sent++) {
        subs[sent] = (struct pool_sub){ .b = b, .i = sent };
        if ((err = executor_submit(ex, pool_submitted, &subs[sent], &fs[sent])) < 0) {
            snprintf(b->p->stats->note, sizeof b->p->stats->note,
                     "submit of task %u failed: %s; the rest were not started", sent,
                     strerror(-err));
            break;
        }
    }
    for (unsigned i = 0; i < sent; i++) {
        future_result(fs[i], NULL);
        future_release(fs[i]);
    }
    free(subs);
    free(fs);
    return 0;
}

/* ---- queue: producer/consumer ---- */

/* An item is the first index of its run of chunk indices, plus one (so that no item is NULL). */
static int pool_consumer(void *arg, void **value)
{
    struct pool_batch *b = arg;
    void *item;
    (void)value;
    while (queue_get(&b->q, &item, QUEUE_FOREVER) == 0) {
        size_t lo = (size_t)(uintptr_t)item - 1, hi = lo + b->chunk;
        if (hi > b->p->tasks)
            hi = b->p->tasks;
        for (size_t i = lo; i < hi; i++)
            pool_task(b, i);
        queue_task_done(&b->q);
    }
    return 0;
}

static int pool_run_queue(struct executor *ex, struct pool_batch *b, size_t capacity)
{
    unsigned nw = executor_workers(ex), started = 0;
    struct future **fs = calloc(nw, sizeof *fs);
    int err;

    if (!fs)
        return -ENOMEM;
    if ((err = queue_init(&b->q, capacity)) < 0) {
        free(fs);
        return err;
    }
    for (; started < nw; started++)
        if ((err = executor_submit(ex, pool_consumer, b, &fs[started])) < 0)
            break;
    if (started == 0) {
        queue_destroy(&b->q);
        free(fs);
        return err;
    }
    for (size_t lo = 0; lo < b->p->tasks && !event_is_set(b->p->cancel); lo += b->chunk)
        if (queue_put(&b->q, (void *)(uintptr_t)(lo + 1), QUEUE_FOREVER) < 0)
            break;
    queue_join(&b->q);
    queue_close(&b->q);
    for (unsigned k = 0; k < started; k++) {
        future_result(fs[k], NULL);
        future_release(fs[k]);
    }
    queue_destroy(&b->q);
    free(fs);
    return 0;
}

static int pool_run(const struct workload *w, void *ctx, const struct run_params *p,
                    struct task_result *results)
{
    extern const struct model model_thread_pool;
    struct pool_batch b = { .w = w, .ctx = ctx, .p = p, .results = results };
    const struct wopt *d = wopt_find(model_thread_pool.opts, "dispatch");
    int style = wopt_choice(d, model_opt(&model_thread_pool, p, "dispatch"));
    const char *qs = model_opt(&model_thread_pool, p, "queue-size");
    struct executor *ex;
    int err;

    if (style < 0)
        return -EINVAL;
    if ((err = executor_create(&ex, p->concurrency, 0)) < 0) {
        snprintf(p->stats->note, sizeof p->stats->note, "could not start %u pool workers: %s",
                 p->concurrency, strerror(-err));
        return err;
    }
    switch (style) {
    case DISPATCH_MAP:
        err = executor_map(ex, pool_task, &b, p->tasks, p->chunk);
        break;
    case DISPATCH_SUBMIT:
        err = pool_run_submit(ex, &b);
        break;
    case DISPATCH_QUEUE:
        b.chunk = p->chunk ? p->chunk : 1;
        err = pool_run_queue(ex, &b, qs ? strtoull(qs, NULL, 10) : 1);
        break;
    }
    executor_shutdown(ex, EXECUTOR_WAIT);
    executor_destroy(ex);
    return err;
}

static const struct wopt pool_opts[] = {
    { "dispatch", WOPT_ENUM, "map", 0, 0,
      "how tasks reach the workers: map (claim index chunks from a counter), submit (a future "
      "a task), queue (the caller puts indices into a bounded queue the workers get from)",
      pool_dispatches },
    { "queue-size", WOPT_UINT, "64", 1, 10000000,
      "--dispatch queue: the queue's capacity (items; each --chunk indices, default 1)", NULL },
    { 0 },
};

const struct model model_thread_pool = {
    .name = "thread-pool",
    .summary = "W worker threads (-j W, default: online CPUs) take tasks in chunks (--chunk), "
               "futures or a queue (--dispatch)",
    .order = 3,
    .color = "#56b4e9",
    .pool = true,
    .conc = MODEL_CONC_POOL,
    .dispatch_s = 3e-6,
    .cost_text = "a claim of a chunk of task indices from an atomic counter by one of W "
                 "long-lived worker threads",
    .opts = pool_opts,
    .run = pool_run,
};
