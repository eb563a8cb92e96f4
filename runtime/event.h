/* event.h — a one-bit event (Python's threading.Event): the tool for cooperative stopping and
 * cancellable waits. */
#ifndef CONCBENCH_EVENT_H
#define CONCBENCH_EVENT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

struct event {
    pthread_mutex_t mu;     /* serialises set and clear (the flag and the eventfd together) */
    atomic_uint flag;       /* the state, 0 or 1; readable without the lock; waiters sleep on
                               it (a futex word) */
    int fd;                 /* eventfd, readable while set: lets an epoll loop watch the event */
};

/* Initialise a cleared event. Returns 0 or a negative errno. */
int event_init(struct event *e);
/* Release it. No thread may be waiting. */
void event_destroy(struct event *e);

/* Set the flag and wake every waiter; later waits return at once. Any thread. Not
 * async-signal-safe: from a signal, use a thread that sigwait()s (see harness/signals.c). */
void event_set(struct event *e);
/* Clear the flag. Any thread. */
void event_clear(struct event *e);
/* The flag, without blocking or locking. Any thread; NULL counts as never set. */
bool event_is_set(const struct event *e);

/* Block until the event is set. */
void event_wait(struct event *e);
/* Block until the event is set or `seconds` have passed. Returns true when the event is set. */
bool event_wait_timeout(struct event *e, double seconds);
/* Block until the event is set or CLOCK_MONOTONIC reaches `deadline` (seconds, as clock_now()).
 * Returns true when the event is set. A NULL event just sleeps until the deadline. */
bool event_wait_until(struct event *e, double deadline);

/* The eventfd that is readable while the event is set (for epoll loops). Do not read it. */
static inline int event_fd(const struct event *e) { return e->fd; }

#endif
