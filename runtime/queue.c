/* queue.c — bounded blocking queue: a ring buffer under one mutex and three condition
 * variables (on CLOCK_MONOTONIC, so timeouts ignore wall-clock jumps). */
#include "runtime/queue.h"

#include <errno.h>
#include <stdlib.h>
#include <time.h>

#include "runtime/clock.h"

int queue_init(struct queue *q, size_t capacity)
{
    int err;

    if (capacity == 0)
        return -EINVAL;
    q->items = calloc(capacity, sizeof *q->items);
    if (!q->items)
        return -ENOMEM;
    q->capacity = capacity;
    q->head = q->count = q->unfinished = 0;
    q->closed = false;
    if ((err = pthread_mutex_init(&q->mu, NULL)) != 0)
        goto out_items;
    if ((err = clock_cond_init(&q->not_empty)) != 0)
        goto out_mu;
    if ((err = clock_cond_init(&q->not_full)) != 0)
        goto out_ne;
    if ((err = clock_cond_init(&q->all_done)) != 0)
        goto out_nf;
    return 0;
out_nf:
    pthread_cond_destroy(&q->not_full);
out_ne:
    pthread_cond_destroy(&q->not_empty);
out_mu:
    pthread_mutex_destroy(&q->mu);
out_items:
    free(q->items);
    q->items = NULL;
    return -err;
}

void queue_destroy(struct queue *q)
{
    pthread_cond_destroy(&q->all_done);
    pthread_cond_destroy(&q->not_full);
    pthread_cond_destroy(&q->not_empty);
    pthread_mutex_destroy(&q->mu);
    free(q->items);
    q->items = NULL;
}

/* Wait on cv (q->mu held) until woken or the deadline passes. Returns false on timeout.
 * deadline < 0: no limit. */
static bool wait_on(struct queue *q, pthread_cond_t *cv, double deadline,
                    const struct timespec *ts)
{
    if (deadline < 0) {
        pthread_cond_wait(cv, &q->mu);
        return true;
    }
    return pthread_cond_timedwait(cv, &q->mu, ts) != ETIMEDOUT;
}

int queue_put(struct queue *q, void *item, double timeout_s)
{
    double deadline = timeout_s < 0 ? -1 : clock_now() + timeout_s;
    struct timespec ts = clock_timespec(deadline);
    int ret = 0;

    pthread_mutex_lock(&q->mu);
    while (!q->closed && q->count == q->capacity) {
        /* After a timeout the loop condition is checked once more: a slot freed just as the
         * wait timed out is still taken, so no wake-up is lost. */
        if (timeout_s == 0 || (!wait_on(q, &q->not_full, deadline, &ts) &&
                               !q->closed && q->count == q->capacity)) {
            ret = -ETIMEDOUT;
            break;
        }
    }
    if (ret == 0 && q->closed)
        ret = -EPIPE;
    if (ret == 0) {
        q->items[(q->head + q->count) % q->capacity] = item;
        q->count++;
        q->unfinished++;
        pthread_cond_signal(&q->not_empty);
    }
    pthread_mutex_unlock(&q->mu);
    return ret;
}

int queue_get(struct queue *q, void **item, double timeout_s)
{
    double deadline = timeout_s < 0 ? -1 : clock_now() + timeout_s;
    struct timespec ts = clock_timespec(deadline);
    int ret = 0;

    pthread_mutex_lock(&q->mu);
    while (!q->closed && q->count == 0) {
        if (timeout_s == 0 || (!wait_on(q, &q->not_empty, deadline, &ts) &&
                               !q->closed && q->count == 0)) {
            ret = -ETIMEDOUT;
            break;
        }
    }
    if (ret == 0 && q->count == 0)
        ret = -EPIPE;       /* closed and drained */
    if (ret == 0) {
        *item = q->items[q->head];
        q->head = (q->head + 1) % q->capacity;
        q->count--;
        pthread_cond_signal(&q->not_full);
    }
    pthread_mutex_unlock(&q->mu);
    return ret;
}

void queue_close(struct queue *q)
{
    pthread_mutex_lock(&q->mu);
    q->closed = true;
    pthread_cond_broadcast(&q->not_empty);
    pthread_cond_broadcast(&q->not_full);
    pthread_mutex_unlock(&q->mu);
}

int queue_task_done(struct queue *q)
{
    int ret = 0;
    pthread_mutex_lock(&q->mu);
    if (q->unfinished == 0) {
        ret = -EINVAL;
    } else if (--q->unfinished == 0) {
        pthread_cond_broadcast(&q->all_done);
    }
    pthread_mutex_unlock(&q->mu);
    return ret;
}

void queue_join(struct queue *q)
{
    pthread_mutex_lock(&q->mu);
    while (q->unfinished > 0)
        pthread_cond_wait(&q->all_done, &q->mu);
    pthread_mutex_unlock(&q->mu);
}

size_t queue_size(struct queue *q)
{
    pthread_mutex_lock(&q->mu);
    size_t n = q->count;
    pthread_mutex_unlock(&q->mu);
    return n;
}
