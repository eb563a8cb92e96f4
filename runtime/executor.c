/* executor.c — worker threads over one FIFO of jobs (submitted futures and maps), one mutex.
 *
 * Locking rules: ex->mu guards the job list, `stopping`, and a map job's `queued` and
 * `participants`; a future's own mu guards its state, value and error. Lock order: ex->mu
 * before f->mu (shutdown cancels futures while holding the list); workers never hold both.
 * A map job lives on the stack of the thread in executor_map, which waits until it has left
 * the list and no worker is inside it; its indices are claimed with atomics, without a lock. */
#include "runtime/executor.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>

#include "runtime/clock.h"

enum job_kind { JOB_FUTURE, JOB_MAP };

struct job {
    struct job *next;       /* in ex's list; under ex->mu */
    enum job_kind kind;
};

enum future_state { FUT_PENDING, FUT_RUNNING, FUT_DONE, FUT_CANCELLED };

struct future {
    struct job job;         /* first: a job in the list is its future or map */
    executor_fn *fn;
    void *arg;
    pthread_mutex_t mu;     /* guards state, value, error */
    pthread_cond_t cv;      /* CLOCK_MONOTONIC; broadcast when the state becomes final */
    enum future_state state;
    int error;              /* fn's return */
    void *value;            /* fn's answer */
    atomic_int refs;        /* the caller's and the executor's */
};

struct map_job {
    struct job job;
    executor_map_fn *fn;
    void *arg;
    size_t n, chunk;        /* chunk 0: guided */
    size_t divisor;         /* guided chunk = ceil(remaining / divisor) */
    atomic_size_t next;     /* first index not yet handed out */
    atomic_size_t ran;      /* indices whose call returned */
    unsigned participants;  /* workers inside map_work; under ex->mu */
    bool queued;            /* still in ex's list; under ex->mu */
    pthread_cond_t done_cv; /* signalled (under ex->mu) when !queued && participants == 0 */
};

struct executor {
    pthread_mutex_t mu;
    pthread_cond_t work_cv; /* workers wait here for jobs or for stopping */
    struct job *head, *tail;
    bool stopping;          /* shutdown has begun: no new jobs */
    bool joined;            /* workers have been joined */
    atomic_bool cancelled;  /* EXECUTOR_CANCEL: maps stop between indices */
    unsigned workers;
    pthread_t *threads;
};

/* ex->mu held. */
static void list_append(struct executor *ex, struct job *j)
{
    j->next = NULL;
    if (ex->tail)
        ex->tail->next = j;
    else
        ex->head = j;
    ex->tail = j;
}

/* ex->mu held; the list is not empty. */
static void list_pop(struct executor *ex)
{
    ex->head = ex->head->next;
    if (!ex->head)
        ex->tail = NULL;
}

/* Make the future's state final and wake its waiters. */
static void future_finish(struct future *f, enum future_state st, int error, void *value)
{
    pthread_mutex_lock(&f->mu);
    f->state = st;
    f->error = error;
    f->value = value;
    pthread_cond_broadcast(&f->cv);
    pthread_mutex_unlock(&f->mu);
}

void future_release(struct future *f)
{
    if (atomic_fetch_sub(&f->refs, 1) == 1) {
        pthread_cond_destroy(&f->cv);
        pthread_mutex_destroy(&f->mu);
        free(f);
    }
}

static void run_future(struct future *f)
{
    void *value = NULL;
    pthread_mutex_lock(&f->mu);
    f->state = FUT_RUNNING;
    pthread_mutex_unlock(&f->mu);
    int err = f->fn(f->arg, &value);
    future_finish(f, FUT_DONE, err, value);
    future_release(f);      /* the executor's reference */
}

/* Claim the next chunk [*lo, *hi). Returns false when every index has been handed out. */
static bool map_claim(struct map_job *m, size_t *lo, size_t *hi)
{
    if (m->chunk) {
        size_t s = atomic_fetch_add_explicit(&m->next, m->chunk, memory_order_relaxed);
        if (s >= m->n)
            return false;
        *lo = s;
        *hi = m->n - s < m->chunk ? m->n : s + m->chunk;
        return true;
    }
    size_t s = atomic_load_explicit(&m->next, memory_order_relaxed);
    for (;;) {
        if (s >= m->n)
            return false;
        size_t size = (m->n - s + m->divisor - 1) / m->divisor;
        if (atomic_compare_exchange_weak_explicit(&m->next, &s, s + size, memory_order_relaxed,
                                                  memory_order_relaxed)) {
            *lo = s;
            *hi = s + size;
            return true;
        }
    }
}

/* A worker's share of a map: claim chunks until none is left or the executor is cancelled. */
static void map_work(struct executor *ex, struct map_job *m)
{
    size_t lo, hi, ran = 0;

    while (map_claim(m, &lo, &hi)) {
        for (size_t i = lo; i < hi; i++) {
            if (atomic_load_explicit(&ex->cancelled, memory_order_relaxed))
                goto out;
            m->fn(m->arg, i);
            ran++;
        }
    }
out:
    atomic_fetch_add_explicit(&m->ran, ran, memory_order_relaxed);
}

static void *worker_main(void *arg)
{
    struct executor *ex = arg;

    pthread_mutex_lock(&ex->mu);
    for (;;) {
        while (!ex->head && !ex->stopping)
            pthread_cond_wait(&ex->work_cv, &ex->mu);
        struct job *j = ex->head;
        if (!j)
            break;          /* stopping, and nothing left to run */
        if (j->kind == JOB_MAP) {
            struct map_job *m = (struct map_job *)j;
            m->participants++;
            pthread_mutex_unlock(&ex->mu);
            map_work(ex, m);
            pthread_mutex_lock(&ex->mu);
            /* Nothing left to hand out: the first worker back takes the map off the list
             * (while queued it is the head: only the head is ever taken). */
            if (m->queued) {
                list_pop(ex);
                m->queued = false;
            }
            if (--m->participants == 0)
                pthread_cond_signal(&m->done_cv);
        } else {
            list_pop(ex);
            pthread_mutex_unlock(&ex->mu);
            run_future((struct future *)j);
            pthread_mutex_lock(&ex->mu);
        }
    }
    pthread_mutex_unlock(&ex->mu);
    return NULL;
}

/* Stop accepting work, optionally cancel what is queued, and join the first `started`
 * workers. */
static void stop_and_join(struct executor *ex, enum executor_shutdown_mode mode,
                          unsigned started)
{
    pthread_mutex_lock(&ex->mu);
    ex->stopping = true;
    if (mode == EXECUTOR_CANCEL) {
        atomic_store(&ex->cancelled, true);
        struct job *j = ex->head;
        ex->head = ex->tail = NULL;
        while (j) {
            struct job *next = j->next;
            if (j->kind == JOB_FUTURE) {
                struct future *f = (struct future *)j;
                future_finish(f, FUT_CANCELLED, -ECANCELED, NULL);
                future_release(f);
            } else {
                struct map_job *m = (struct map_job *)j;
                m->queued = false;
                if (m->participants == 0)
                    pthread_cond_signal(&m->done_cv);
            }
            j = next;
        }
    }
    pthread_cond_broadcast(&ex->work_cv);
    pthread_mutex_unlock(&ex->mu);
    for (unsigned k = 0; k < started; k++)
        pthread_join(ex->threads[k], NULL);
    ex->joined = true;
}

static void executor_free(struct executor *ex)
{
    pthread_cond_destroy(&ex->work_cv);
    pthread_mutex_destroy(&ex->mu);
    free(ex->threads);
    free(ex);
}

int executor_create(struct executor **out, unsigned workers, size_t stack_size)
{
    struct executor *ex;
    pthread_attr_t attr;
    int err;

    if (workers == 0)
        return -EINVAL;
    ex = calloc(1, sizeof *ex);
    if (!ex)
        return -ENOMEM;
    ex->threads = calloc(workers, sizeof *ex->threads);
    if (!ex->threads) {
        free(ex);
        return -ENOMEM;
    }
    ex->workers = workers;
    atomic_init(&ex->cancelled, false);
    if ((err = pthread_mutex_init(&ex->mu, NULL)) != 0)
        goto out_free;
    if ((err = pthread_cond_init(&ex->work_cv, NULL)) != 0)
        goto out_mu;
    if ((err = pthread_attr_init(&attr)) != 0)
        goto out_cv;
    if (stack_size > 0) {
        if (stack_size < (size_t)PTHREAD_STACK_MIN)
            stack_size = (size_t)PTHREAD_STACK_MIN;
        if ((err = pthread_attr_setstacksize(&attr, stack_size)) != 0)
            goto out_attr;
    }
    for (unsigned k = 0; k < workers; k++) {
        if ((err = pthread_create(&ex->threads[k], &attr, worker_main, ex)) != 0) {
            stop_and_join(ex, EXECUTOR_WAIT, k);
            goto out_attr;
        }
    }
    pthread_attr_destroy(&attr);
    *out = ex;
    return 0;
out_attr:
    pthread_attr_destroy(&attr);
out_cv:
    pthread_cond_destroy(&ex->work_cv);
out_mu:
    pthread_mutex_destroy(&ex->mu);
out_free:
    free(ex->threads);
    free(ex);
    return -err;
}

unsigned executor_workers(const struct executor *ex)
{
    return ex->workers;
}

int executor_submit(struct executor *ex, executor_fn *fn, void *arg, struct future **out)
{
    struct future *f = calloc(1, sizeof *f);
    int err;

    if (!f)
        return -ENOMEM;
    f->job.kind = JOB_FUTURE;
    f->fn = fn;
    f->arg = arg;
    f->state = FUT_PENDING;
    atomic_init(&f->refs, 2);
    if ((err = pthread_mutex_init(&f->mu, NULL)) != 0) {
        free(f);
        return -err;
    }
    if ((err = clock_cond_init(&f->cv)) != 0) {
        pthread_mutex_destroy(&f->mu);
        free(f);
        return -err;
    }
    pthread_mutex_lock(&ex->mu);
    if (ex->stopping) {
        pthread_mutex_unlock(&ex->mu);
        pthread_cond_destroy(&f->cv);
        pthread_mutex_destroy(&f->mu);
        free(f);
        return -ESHUTDOWN;
    }
    list_append(ex, &f->job);
    pthread_cond_signal(&ex->work_cv);
    pthread_mutex_unlock(&ex->mu);
    *out = f;
    return 0;
}

int executor_map(struct executor *ex, executor_map_fn *fn, void *arg, size_t n, size_t chunk)
{
    struct map_job m = {
        .job.kind = JOB_MAP,
        .fn = fn,
        .arg = arg,
        .n = n,
        .chunk = chunk,
        .divisor = 2 * (size_t)ex->workers,
    };
    int err;

    if (n == 0)
        return 0;
    atomic_init(&m.next, 0);
    atomic_init(&m.ran, 0);
    if ((err = pthread_cond_init(&m.done_cv, NULL)) != 0)
        return -err;
    pthread_mutex_lock(&ex->mu);
    if (ex->stopping) {
        pthread_mutex_unlock(&ex->mu);
        pthread_cond_destroy(&m.done_cv);
        return -ESHUTDOWN;
    }
    list_append(ex, &m.job);
    m.queued = true;
    pthread_cond_broadcast(&ex->work_cv);   /* every worker may take a share */
    while (m.queued || m.participants > 0)
        pthread_cond_wait(&m.done_cv, &ex->mu);
    pthread_mutex_unlock(&ex->mu);
    pthread_cond_destroy(&m.done_cv);
    return atomic_load(&m.ran) == n ? 0 : -ECANCELED;
}

void executor_shutdown(struct executor *ex, enum executor_shutdown_mode mode)
{
    stop_and_join(ex, mode, ex->workers);
}

void executor_destroy(struct executor *ex)
{
    if (!ex->joined)
        stop_and_join(ex, EXECUTOR_WAIT, ex->workers);
    executor_free(ex);
}

static int result_locked(struct future *f, void **value)
{
    if (value)
        *value = f->state == FUT_DONE ? f->value : NULL;
    return f->state == FUT_DONE ? f->error : -ECANCELED;
}

int future_result(struct future *f, void **value)
{
    pthread_mutex_lock(&f->mu);
    while (f->state == FUT_PENDING || f->state == FUT_RUNNING)
        pthread_cond_wait(&f->cv, &f->mu);
    int ret = result_locked(f, value);
    pthread_mutex_unlock(&f->mu);
    return ret;
}

int future_result_timeout(struct future *f, double seconds, void **value)
{
    struct timespec ts = clock_timespec(clock_now() + (seconds > 0 ? seconds : 0));
    int ret = -ETIMEDOUT;

    pthread_mutex_lock(&f->mu);
    while (f->state == FUT_PENDING || f->state == FUT_RUNNING) {
        if (pthread_cond_timedwait(&f->cv, &f->mu, &ts) == ETIMEDOUT)
            break;
    }
    if (f->state == FUT_DONE || f->state == FUT_CANCELLED)
        ret = result_locked(f, value);
    pthread_mutex_unlock(&f->mu);
    return ret;
}

bool future_done(struct future *f)
{
    pthread_mutex_lock(&f->mu);
    bool done = f->state == FUT_DONE || f->state == FUT_CANCELLED;
    pthread_mutex_unlock(&f->mu);
    return done;
}

bool future_cancelled(struct future *f)
{
    pthread_mutex_lock(&f->mu);
    bool c = f->state == FUT_CANCELLED;
    pthread_mutex_unlock(&f->mu);
    return c;
}
