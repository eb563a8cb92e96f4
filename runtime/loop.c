/* loop.c — the event loop's common part: an fd table indexed by fd, a binary heap of one-shot
 * timers whose earliest deadline becomes the wait's timeout, and the run loop that delivers
 * what the backend's wait returned. The kernel side is a backend (runtime/loop_int.h):
 * runtime/loop_epoll.c, runtime/loop_uring.c. */
#include "runtime/loop.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "runtime/clock.h"
#include "runtime/loop_int.h"

#define LOOP_SLAB 1024          /* timer nodes allocated at a time */
#define LOOP_FREE SIZE_MAX      /* heap index of a timer node that is not pending */

/* A timer node; the handle the caller holds. While pending, heap[idx].t points back here. */
struct loop_timer {
    size_t idx;             /* position in the heap; LOOP_FREE when not pending */
    uint64_t seq;           /* insertion order: equal deadlines fire first in, first out */
    loop_timer_fn *fn;
    void *arg;              /* the callback's argument; the free list's link when free */
};

static const struct loop_backend *loop_backend_of(enum loop_backend_kind b)
{
    switch (b) {
    case LOOP_EPOLL:
        return &loop_backend_epoll;
    case LOOP_URING:
        return &loop_backend_uring;
    }
    return NULL;
}

const char *loop_backend_name(enum loop_backend_kind b)
{
    const struct loop_backend *be = loop_backend_of(b);
    return be ? be->name : "?";
}

struct loop *loop_new_backend(enum loop_backend_kind b)
{
    const struct loop_backend *be = loop_backend_of(b);
    if (!be) {
        errno = EINVAL;
        return NULL;
    }
    struct loop *l = calloc(1, sizeof *l);
    if (!l)
        return NULL;
    l->be = be;
    int err = be->init(l);
    if (err < 0) {
        free(l);
        errno = -err;
        return NULL;
    }
    return l;
}

struct loop *loop_new(void)
{
    return loop_new_backend(LOOP_EPOLL);
}

int loop_backend_probe(enum loop_backend_kind b, char *why, size_t len)
{
    const struct loop_backend *be = loop_backend_of(b);
    if (len)
        why[0] = '\0';
    struct loop *l = loop_new_backend(b);
    if (l) {
        loop_free(l);
        return 0;
    }
    int err = errno ? errno : EINVAL;
    if (be && be->explain)
        be->explain(err, why, len);
    else if (len)
        snprintf(why, len, "%s: %s", be ? be->name : "no such backend", strerror(err));
    return -err;
}

void loop_free(struct loop *l)
{
    if (!l)
        return;
    l->be->free(l);
    for (size_t k = 0; k < l->nslabs; k++)
        free(l->slabs[k]);
    free(l->slabs);
    free(l->heap);
    free(l->fds);
    free(l);
}

void loop_get_stats(const struct loop *l, struct loop_stats *out)
{
    *out = l->stats;
}

/* ---- fds ---- */

static int loop_fds_reserve(struct loop *l, int fd)
{
    if ((size_t)fd < l->fds_cap)
        return 0;
    size_t cap = l->fds_cap ? l->fds_cap : 64;
    while (cap <= (size_t)fd)
        cap *= 2;
    struct loop_watch *n = realloc(l->fds, cap * sizeof *n);
    if (!n)
        return -ENOMEM;
    memset(n + l->fds_cap, 0, (cap - l->fds_cap) * sizeof *n);
    l->fds = n;
    l->fds_cap = cap;
    return 0;
}

int loop_fd_add(struct loop *l, int fd, unsigned events, loop_fd_fn *fn, void *arg)
{
    if (fd < 0 || !fn)
        return -EINVAL;
    if ((size_t)fd < l->fds_cap && l->fds[fd].used)
        return -EEXIST;
    int err = loop_fds_reserve(l, fd);
    if (err < 0)
        return err;

    struct loop_watch w = { .fn = fn, .arg = arg, .events = events, .gen = loop_next_gen(l) };
    if ((err = l->be->add(l, fd, &w)) < 0)
        return err;
    w.used = true;
    l->fds[fd] = w;
    l->nwatched++;
    if (!(events & LOOP_NOREF))
        l->nref++;
    return 0;
}

int loop_fd_mod(struct loop *l, int fd, unsigned events)
{
    if (fd < 0 || (size_t)fd >= l->fds_cap || !l->fds[fd].used)
        return -ENOENT;
    struct loop_watch *w = &l->fds[fd];
    int err = l->be->mod(l, fd, w, events);
    if (err < 0)
        return err;
    if ((w->events & LOOP_NOREF) && !(events & LOOP_NOREF))
        l->nref++;
    else if (!(w->events & LOOP_NOREF) && (events & LOOP_NOREF))
        l->nref--;
    w->events = events;
    return 0;
}

int loop_fd_del(struct loop *l, int fd)
{
    if (fd < 0 || (size_t)fd >= l->fds_cap || !l->fds[fd].used)
        return -ENOENT;
    struct loop_watch *w = &l->fds[fd];
    l->be->del(l, fd, w);
    if (!(w->events & LOOP_NOREF))
        l->nref--;
    l->nwatched--;
    w->used = false;
    w->fn = NULL;
    return 0;
}

size_t loop_fd_count(const struct loop *l)
{
    return l->nwatched;
}

/* ---- timers: a binary min-heap on (when, seq) ---- */

static bool loop_before(const struct loop_heap_entry *a, const struct loop_heap_entry *b)
{
    return a->when < b->when || (a->when == b->when && a->t->seq < b->t->seq);
}

static void loop_heap_put(struct loop *l, size_t k, struct loop_heap_entry e)
{
    l->heap[k] = e;
    e.t->idx = k;
}

static void loop_sift_up(struct loop *l, size_t k)
{
    struct loop_heap_entry e = l->heap[k];
    while (k > 0) {
        size_t parent = (k - 1) / 2;
        if (!loop_before(&e, &l->heap[parent]))
            break;
        loop_heap_put(l, k, l->heap[parent]);
        k = parent;
    }
    loop_heap_put(l, k, e);
}

/* Take slot k out of the heap and free its node. The hole walks down to a leaf along the
 * smaller children (one comparison a level), then the last entry fills it and sifts up: the
 * last entry is nearly always among the latest deadlines, so it rarely climbs, and this halves
 * the comparisons of the usual sift-down. */
static void loop_heap_remove(struct loop *l, size_t k)
{
    struct loop_timer *t = l->heap[k].t;
    size_t n = --l->nheap;
    if (k != n) {
        struct loop_heap_entry moved = l->heap[n];
        for (;;) {
            size_t child = 2 * k + 1;
            if (child >= n)
                break;
            if (child + 1 < n && loop_before(&l->heap[child + 1], &l->heap[child]))
                child++;
            loop_heap_put(l, k, l->heap[child]);
            k = child;
        }
        loop_heap_put(l, k, moved);
        loop_sift_up(l, k);
    }
    t->idx = LOOP_FREE;
    t->fn = NULL;
    t->arg = l->free_timers;
    l->free_timers = t;
}

static struct loop_timer *loop_timer_node(struct loop *l)
{
    if (!l->free_timers) {
        if (l->nslabs == l->slabs_cap) {
            size_t cap = l->slabs_cap ? 2 * l->slabs_cap : 16;
            struct loop_timer **s = realloc(l->slabs, cap * sizeof *s);
            if (!s)
                return NULL;
            l->slabs = s;
            l->slabs_cap = cap;
        }
        struct loop_timer *slab = malloc(LOOP_SLAB * sizeof *slab);
        if (!slab)
            return NULL;
        l->slabs[l->nslabs++] = slab;
        for (size_t k = LOOP_SLAB; k-- > 0;) {
            slab[k].idx = LOOP_FREE;
            slab[k].arg = l->free_timers;
            l->free_timers = &slab[k];
        }
    }
    struct loop_timer *t = l->free_timers;
    l->free_timers = t->arg;
    return t;
}

struct loop_timer *loop_timer_at(struct loop *l, double when, loop_timer_fn *fn, void *arg)
{
    if (l->nheap == l->heap_cap) {
        size_t cap = l->heap_cap ? 2 * l->heap_cap : 64;
        struct loop_heap_entry *h = realloc(l->heap, cap * sizeof *h);
        if (!h) {
            errno = ENOMEM;
            return NULL;
        }
        l->heap = h;
        l->heap_cap = cap;
    }
    struct loop_timer *t = loop_timer_node(l);
    if (!t) {
        errno = ENOMEM;
        return NULL;
    }
    if (isnan(when))
        when = 0;
    t->fn = fn;
    t->arg = arg;
    t->seq = l->seq++;
    size_t k = l->nheap++;
    l->heap[k] = (struct loop_heap_entry){ .when = when, .t = t };
    loop_sift_up(l, k);
    return t;
}

struct loop_timer *loop_timer_add(struct loop *l, double delay, loop_timer_fn *fn, void *arg)
{
    if (!(delay > 0))
        delay = 0;      /* negative and NaN too */
    return loop_timer_at(l, clock_now() + delay, fn, arg);
}

void loop_timer_cancel(struct loop *l, struct loop_timer *t)
{
    if (!t || t->idx == LOOP_FREE || t->idx >= l->nheap || l->heap[t->idx].t != t)
        return;         /* not pending: already fired or cancelled */
    loop_heap_remove(l, t->idx);
}

size_t loop_timer_count(const struct loop *l)
{
    return l->nheap;
}

/* ---- the run loop ---- */

bool loop_timeout_ts(double when, struct timespec *ts)
{
    if (when < 0)
        return false;
    double dt = when - clock_now();
    if (dt > 1e8)
        dt = 1e8;       /* years: a far (or infinite) deadline just waits again */
    if (dt <= 0) {
        *ts = (struct timespec){ 0, 0 };
        return true;
    }
    double ns = ceil(dt * 1e9) + 1;     /* +1 ns against the double's rounding */
    ts->tv_sec = (time_t)(ns / 1e9);
    ts->tv_nsec = (long)(ns - (double)ts->tv_sec * 1e9);
    if (ts->tv_nsec >= 1000000000L) {
        ts->tv_sec++;
        ts->tv_nsec -= 1000000000L;
    } else if (ts->tv_nsec < 0) {
        ts->tv_nsec = 0;
    }
    return true;
}

/* Deliver the events of the last wait, skipping fds removed (or removed and added again)
 * since, and bits no longer in an fd's interest. */
static void loop_dispatch_fds(struct loop *l)
{
    for (unsigned k = 0; k < l->nfired && !l->stop; k++) {
        int fd = l->fired[k].fd;
        uint32_t gen = l->fired[k].gen;
        uint32_t ev = l->fired[k].ev;
        if ((size_t)fd >= l->fds_cap || !l->fds[fd].used || l->fds[fd].gen != gen)
            continue;
        struct loop_watch *w = &l->fds[fd];
        unsigned want = w->events & (LOOP_READ | LOOP_WRITE), got = 0;
        if (ev & (EPOLLIN | EPOLLRDHUP))
            got |= LOOP_READ;
        if (ev & EPOLLOUT)
            got |= LOOP_WRITE;
        got &= want;
        if (ev & (EPOLLERR | EPOLLHUP))
            got |= LOOP_ERROR | want;   /* so that the read or write shows what happened */
        if (got)
            w->fn(l, fd, got, w->arg);
    }
}

/* Fire every timer due at the time this pass began. Timers added by the callbacks, even with
 * delay 0, get a later deadline and wait for the next iteration, so fds are not starved. */
static void loop_fire_timers(struct loop *l)
{
    double now = clock_now();
    while (l->nheap > 0 && !l->stop && l->heap[0].when <= now) {
        struct loop_timer *t = l->heap[0].t;
        loop_timer_fn *fn = t->fn;
        void *arg = t->arg;
        loop_heap_remove(l, 0);
        fn(l, arg);
    }
}

int loop_run(struct loop *l)
{
    if (l->running)
        return -EBUSY;
    l->running = true;
    l->stop = false;
    int err = 0;
    struct timespec c0, c1;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c0);
    while (!l->stop && (l->nref > 0 || l->nheap > 0)) {
        l->stats.turns++;
        err = l->be->wait(l, l->nheap > 0 ? l->heap[0].when : -1);
        if (err < 0)
            break;
        loop_dispatch_fds(l);
        loop_fire_timers(l);
    }
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c1);
    l->stats.cpu_s += (double)(c1.tv_sec - c0.tv_sec) + (double)(c1.tv_nsec - c0.tv_nsec) * 1e-9;
    l->running = false;
    l->stop = false;
    return err;
}

void loop_stop(struct loop *l)
{
    l->stop = true;
}
