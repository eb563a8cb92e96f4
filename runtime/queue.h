/* queue.h — a bounded blocking FIFO of pointers (Python's queue.Queue): the producer/consumer
 * pattern. put blocks while full, get blocks while empty, close wakes every waiter, and
 * task_done/join tell a producer when every item it put has been dealt with. */
#ifndef CONCBENCH_QUEUE_H
#define CONCBENCH_QUEUE_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

/* A timeout meaning "wait for as long as it takes". */
#define QUEUE_FOREVER (-1.0)

struct queue {
    pthread_mutex_t mu;     /* guards everything below */
    pthread_cond_t not_empty;   /* getters wait here */
    pthread_cond_t not_full;    /* putters wait here */
    pthread_cond_t all_done;    /* joiners wait here */
    void **items;           /* ring of `capacity` slots */
    size_t capacity, head, count;
    size_t unfinished;      /* items put and not yet marked task_done */
    bool closed;
};

/* Initialise q to hold at most `capacity` (>= 1) items. Returns 0, -EINVAL for capacity 0,
 * or another negative errno. */
int queue_init(struct queue *q, size_t capacity);
/* Release it. No thread may be waiting on it or use it afterwards; items still inside are
 * the caller's (they are not freed). */
void queue_destroy(struct queue *q);

/* Append `item` (any pointer, NULL included), blocking while the queue is full. timeout_s:
 * QUEUE_FOREVER (< 0) waits without limit, 0 does not block, > 0 waits at most that long.
 * Returns 0, -ETIMEDOUT when still full at the timeout (0: at once), or -EPIPE when the queue
 * is closed (before or during the wait; the item was not added). Any thread. */
int queue_put(struct queue *q, void *item, double timeout_s);

/* Take the oldest item into *item, blocking while the queue is empty. timeout_s as for put.
 * Returns 0, -ETIMEDOUT when still empty at the timeout, or -EPIPE when the queue is closed
 * and empty (items put before close are still handed out first). Any thread. */
int queue_get(struct queue *q, void **item, double timeout_s);

/* Close the queue: later puts fail with -EPIPE, gets drain what is left and then fail with
 * -EPIPE, and every thread blocked in put or get wakes up. Idempotent. Any thread; never
 * blocks beyond the internal lock. */
void queue_close(struct queue *q);

/* Mark one item taken by get as dealt with. Returns 0, or -EINVAL when called more times than
 * items were put. Any thread. */
int queue_task_done(struct queue *q);

/* Block until every item ever put has been marked task_done (at once when none is pending).
 * Closing the queue does not end the wait: only task_done does. Any thread. */
void queue_join(struct queue *q);

/* Items in the queue now: a snapshot, stale as soon as it returns. */
size_t queue_size(struct queue *q);

#endif
