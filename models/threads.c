/* threads.c — the threads model: one pthread per task, all started at once, or at most K in
 * flight with -j K (a counting semaphore). */
#include <errno.h>
#include <pthread.h>
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

struct threads_run {
    const struct workload *w;
    void *ctx;
    const struct run_params *p;
    struct task_result *results;
    struct csem cap;            /* -j K: permits for tasks in flight */
    bool capped;
    pthread_mutex_t mu;         /* guards running */
    pthread_cond_t all_done;    /* signalled when running drops to 0 */
    unsigned running;           /* threads started and not finished */
};

struct threads_task {
    struct threads_run *run;
    unsigned index;
};

/* One task's thread: run the task, give back its permit, count itself out. */
static void *threads_main(void *arg)
{
    struct threads_task *t = arg;
    struct threads_run *run = t->run;

    model_exec_task(run->w, run->ctx, run->p, t->index, &run->results[t->index]);
    if (run->capped)
        csem_release(&run->cap);
    pthread_mutex_lock(&run->mu);
    if (--run->running == 0)
        pthread_cond_signal(&run->all_done);
    pthread_mutex_unlock(&run->mu);
    return NULL;
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
    int err;

    tasks = calloc(p->tasks, sizeof *tasks);
    if (!tasks)
        return -ENOMEM;
    if ((err = pthread_attr_init(&attr)) != 0)
        goto out_tasks;
    if ((err = pthread_attr_setstacksize(&attr, THREADS_STACK_SIZE)) != 0 ||
        (err = pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED)) != 0)
        goto out_attr;
    if ((err = pthread_mutex_init(&run.mu, NULL)) != 0)
        goto out_attr;
    if ((err = pthread_cond_init(&run.all_done, NULL)) != 0)
        goto out_mu;
    if (run.capped && (err = -csem_init(&run.cap, p->concurrency)) != 0)
        goto out_cv;

    for (unsigned i = 0; i < p->tasks; i++) {
        if (run.capped)
            csem_acquire(&run.cap);     /* running tasks honour cancel, so this ends */
        if (event_is_set(p->cancel)) {
            if (run.capped)
                csem_release(&run.cap);
            break;
        }
        tasks[i] = (struct threads_task){ .run = &run, .index = i };
        pthread_mutex_lock(&run.mu);
        run.running++;
        pthread_mutex_unlock(&run.mu);
        pthread_t tid;
        int e = pthread_create(&tid, &attr, threads_main, &tasks[i]);
        if (e != 0) {
            pthread_mutex_lock(&run.mu);
            run.running--;
            pthread_mutex_unlock(&run.mu);
            if (run.capped)
                csem_release(&run.cap);
            /* Tasks i.. stay TASK_NOT_STARTED; the harness reports them and exits 1. */
            snprintf(p->stats->note, sizeof p->stats->note,
                     "could not start thread %u of %u: %s", i + 1, p->tasks, strerror(e));
            break;
        }
    }

    /* Detached threads count themselves out; wait for the last. */
    pthread_mutex_lock(&run.mu);
    while (run.running > 0)
        pthread_cond_wait(&run.all_done, &run.mu);
    pthread_mutex_unlock(&run.mu);
    err = 0;

    if (run.capped)
        csem_destroy(&run.cap);
out_cv:
    pthread_cond_destroy(&run.all_done);
out_mu:
    pthread_mutex_destroy(&run.mu);
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
    .cost_text = "a pthread_create of a detached thread (128 KiB stack) and its exit per task",
    .run = threads_run,
};
