/* threads.c — the threads model: one pthread per task, all started at once, or at most K in
 * flight with -j K (a counting semaphore). */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/model.h"
#include "runtime/event.h"
#include "runtime/sem.h"

/* Each task thread's stack: small, so that ten thousand threads cost 1.25 GB of address space
 * and only the few pages each one touches. The workloads' blocking forms (a libcurl transfer,
 * libpng) stay far below it. */
#define THREADS_STACK_SIZE (128 * 1024)

#define THREADS_NONE UINT_MAX

/* The threads are joinable, and the starting thread joins them as they end, between starts.
 * Detached threads free their own stacks into glibc's stack cache as they exit, and once the
 * cache holds 40 MiB each exiting thread munmaps one, taking the address space's lock for
 * writing against the page faults and the stack allocations of the threads being started:
 * 10,000 detached sleeping threads took 15 % longer than joined ones (and 25 % longer than
 * detached ones with a cache large enough never to munmap). A joined thread's stack goes back
 * into the cache from the starting thread, which takes it out again for the next start. */
struct threads_run {
    const struct workload *w;
    void *ctx;
    const struct run_params *p;
    struct task_result *results;
    struct csem cap;            /* -j K: permits for tasks in flight */
    bool capped;
    _Atomic unsigned done;      /* tasks whose thread has finished, not yet joined: a stack
                                   of indices linked through threads_task.next */
};

struct threads_task {
    struct threads_run *run;
    unsigned index;
    unsigned next;              /* the done stack's link */
    pthread_t tid;
    bool joined;
};

/* One task's thread: run the task, say it is done, give back its permit. */
static void *threads_main(void *arg)
{
    struct threads_task *t = arg;
    struct threads_run *run = t->run;

    model_exec_task(run->w, run->ctx, run->p, t->index, &run->results[t->index]);
    /* Pushed before the permit goes back: the starter that gets the permit finds it. */
    unsigned head = atomic_load_explicit(&run->done, memory_order_relaxed);
    do
        t->next = head;
    while (!atomic_compare_exchange_weak_explicit(&run->done, &head, t->index,
                                                  memory_order_release, memory_order_relaxed));
    if (run->capped)
        csem_release(&run->cap);
    return NULL;
}

/* Join the threads that said they are done and have exited; the ones still on their way out
 * go back on the stack for the next call. */
static void threads_join_done(struct threads_run *run, struct threads_task *tasks)
{
    if (atomic_load_explicit(&run->done, memory_order_relaxed) == THREADS_NONE)
        return;
    unsigned i = atomic_exchange_explicit(&run->done, THREADS_NONE, memory_order_acquire);
    unsigned busy = THREADS_NONE, busy_tail = THREADS_NONE;
    while (i != THREADS_NONE) {
        struct threads_task *t = &tasks[i];
        unsigned next = t->next;
        if (pthread_tryjoin_np(t->tid, NULL) == 0) {
            t->joined = true;
        } else {
            t->next = busy;
            busy = i;
            if (busy_tail == THREADS_NONE)
                busy_tail = i;
        }
        i = next;
    }
    if (busy == THREADS_NONE)
        return;
    unsigned head = atomic_load_explicit(&run->done, memory_order_relaxed);
    do
        tasks[busy_tail].next = head;
    while (!atomic_compare_exchange_weak_explicit(&run->done, &head, busy,
                                                  memory_order_release, memory_order_relaxed));
}

static int threads_run(const struct workload *w, void *ctx, const struct run_params *p,
                       struct task_result *results)
{
    struct threads_run run = {
        .w = w, .ctx = ctx, .p = p, .results = results,
        .capped = p->capped && p->concurrency < p->tasks,
    };
    struct threads_task *tasks;
    pthread_attr_t attr;
    unsigned started = 0;
    int err;

    atomic_init(&run.done, THREADS_NONE);
    tasks = calloc(p->tasks, sizeof *tasks);
    if (!tasks)
        return -ENOMEM;
    if ((err = pthread_attr_init(&attr)) != 0)
        goto out_tasks;
    if ((err = pthread_attr_setstacksize(&attr, THREADS_STACK_SIZE)) != 0)
        goto out_attr;
    if (run.capped && (err = -csem_init(&run.cap, p->concurrency)) != 0)
        goto out_attr;

    for (unsigned i = 0; i < p->tasks; i++) {
        if (run.capped)
            csem_acquire(&run.cap);     /* running tasks honour cancel, so this ends */
        if (event_is_set(p->cancel)) {
            if (run.capped)
                csem_release(&run.cap);
            break;
        }
        threads_join_done(&run, tasks);
        tasks[i] = (struct threads_task){ .run = &run, .index = i };
        int e = pthread_create(&tasks[i].tid, &attr, threads_main, &tasks[i]);
        if (e != 0) {
            if (run.capped)
                csem_release(&run.cap);
            /* Tasks i.. stay TASK_NOT_STARTED; the harness reports them and exits 1. */
            snprintf(p->stats->note, sizeof p->stats->note,
                     "could not start thread %u of %u: %s", i + 1, p->tasks, strerror(e));
            break;
        }
        started++;
    }

    /* Wait for the last: join every thread not joined yet. */
    for (unsigned i = 0; i < started; i++)
        if (!tasks[i].joined)
            pthread_join(tasks[i].tid, NULL);
    err = 0;

    if (run.capped)
        csem_destroy(&run.cap);
out_attr:
    pthread_attr_destroy(&attr);
out_tasks:
    free(tasks);
    return -err;
}

const struct model model_threads = {
    .name = "threads",
    .summary = "one thread per task (128 KiB stacks); -j K caps tasks in flight (semaphore)",
    .order = 2,
    .color = "#0072b2",
    .conc = MODEL_CONC_CAP,
    .dispatch_s = 30e-6,
    .cost_text = "a pthread_create (128 KiB stack), its exit and a join per task",
    .run = threads_run,
};
