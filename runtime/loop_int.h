/* loop_int.h — inside the event loop: the state every backend shares, and the backend
 * interface (the way redis's ae.c keeps ae_epoll.c / ae_kqueue.c behind its aeApi* calls).
 * runtime/loop.c owns the fd table, the timer heap and the run loop; a backend
 * (runtime/loop_epoll.c, runtime/loop_uring.c) only tells the kernel which fds to watch and
 * waits. Only runtime/loop*.c include this file. */
#ifndef CONCBENCH_LOOP_INT_H
#define CONCBENCH_LOOP_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "runtime/loop.h"

#define LOOP_MAX_EVENTS 256     /* events taken per iteration */

/* One watched fd, at fds[fd]. */
struct loop_watch {
    loop_fd_fn *fn;
    void *arg;
    unsigned events;        /* LOOP_READ | LOOP_WRITE | LOOP_NOREF as last added or changed */
    uint32_t gen;           /* new on every add (and, with io_uring, on a re-arm with a new
                             * mask): tells a stale kernel event from the current watch */
    bool used;
    bool armed;             /* io_uring: a one-shot POLL_ADD of this gen is in the kernel */
    uint32_t armed_mask;    /* io_uring: the poll mask it was armed with */
};

/* One fd event of the last wait, for loop.c's dispatch. `ev` holds EPOLL* bits, which on Linux
 * are the POLL* bits an io_uring poll completes with (EPOLLIN == POLLIN, ...). */
struct loop_fired {
    int fd;
    uint32_t gen;
    uint32_t ev;
};

struct loop;

struct loop_backend {
    const char *name;
    /* Set up l->be_state; 0 or a negative errno. */
    int (*init)(struct loop *l);
    void (*free)(struct loop *l);
    /* Start watching fd (w is filled: events, gen); 0 or a negative errno (w stays unused). */
    int (*add)(struct loop *l, int fd, struct loop_watch *w);
    /* Change fd's interest to `events` (w->events still holds the old); 0 or a negative errno. */
    int (*mod)(struct loop *l, int fd, struct loop_watch *w, unsigned events);
    /* Stop watching fd; the watch is dropped whatever the kernel says. */
    void (*del)(struct loop *l, int fd, struct loop_watch *w);
    /* Wait for fd events until `when` (CLOCK_MONOTONIC seconds; < 0: for ever), never waking
     * before it unless an fd is ready; fill l->fired and set l->nfired. 0 (events or not; a
     * signal counts as a wake-up) or a negative errno when the kernel interface failed. */
    int (*wait)(struct loop *l, double when);
    /* One sentence for people on why init failed with err (NULL: "NAME: strerror"). */
    void (*explain)(int err, char *why, size_t len);
};

extern const struct loop_backend loop_backend_epoll;
extern const struct loop_backend loop_backend_uring;

struct loop_heap_entry {
    double when;            /* CLOCK_MONOTONIC seconds */
    struct loop_timer *t;
};

struct loop {
    const struct loop_backend *be;
    void *be_state;

    struct loop_watch *fds; /* indexed by fd */
    size_t fds_cap;         /* entries in fds */
    size_t nwatched;        /* fds watched */
    size_t nref;            /* of which do not carry LOOP_NOREF */
    uint32_t gen;

    struct loop_heap_entry *heap;
    size_t nheap, heap_cap;
    uint64_t seq;
    struct loop_timer *free_timers;
    struct loop_timer **slabs;
    size_t nslabs, slabs_cap;

    bool stop;              /* loop_stop was called */
    bool running;

    struct loop_stats stats;

    struct loop_fired fired[LOOP_MAX_EVENTS];
    unsigned nfired;
};

/* A new generation number (never 0: io_uring's user_data 0 marks a request of no fd). */
static inline uint32_t loop_next_gen(struct loop *l)
{
    if (++l->gen == 0)
        ++l->gen;
    return l->gen;
}

/* The time from now until `when` as a relative timeout, rounded up so that the wake-up comes
 * at or after `when`, never before; false when `when` < 0 (no timeout: wait for ever). */
bool loop_timeout_ts(double when, struct timespec *ts);

#endif
