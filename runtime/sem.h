/* sem.h — a counting semaphore (Python's threading.Semaphore): caps how many threads may be
 * inside a region at once. The `sem_` prefix belongs to POSIX, so ours is `csem_`. */
#ifndef CONCBENCH_SEM_H
#define CONCBENCH_SEM_H

#include <pthread.h>

struct csem {
    pthread_mutex_t mu;     /* guards value and waiters */
    pthread_cond_t cv;      /* on CLOCK_MONOTONIC; signalled once per permit released */
    unsigned value;         /* permits available now */
    unsigned waiters;       /* threads blocked in an acquire */
};

/* Initialise s with `value` permits. Returns 0 or a negative errno. */
int csem_init(struct csem *s, unsigned value);
/* Release it. No thread may be waiting on it or use it afterwards. */
void csem_destroy(struct csem *s);

/* Take one permit, blocking for as long as none is available. Any thread. */
void csem_acquire(struct csem *s);
/* Take one permit without blocking. Returns 0, or -EAGAIN when none is available. */
int csem_try_acquire(struct csem *s);
/* Take one permit, blocking at most `seconds` (<= 0: do not block). Returns 0, or -ETIMEDOUT
 * when none became available in time (nothing was taken). */
int csem_acquire_timeout(struct csem *s, double seconds);
/* The same with an absolute CLOCK_MONOTONIC deadline in seconds (as clock_now()). */
int csem_acquire_until(struct csem *s, double deadline);

/* Give back one permit and wake one waiter. Any thread, not only the one that acquired (the
 * threads model releases from the task thread what the starting thread acquired). Never
 * blocks for longer than the internal lock is held. */
void csem_release(struct csem *s);

/* The permits available now: a snapshot, stale as soon as it returns (tests, reports). */
unsigned csem_value(struct csem *s);

#endif
