/* loop_epoll.c — the loop's epoll backend: epoll_ctl for every change of interest, one
 * epoll_pwait2 a turn (epoll_wait with whole milliseconds on kernels without it). */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "runtime/clock.h"
#include "runtime/loop_int.h"

struct epoll_state {
    int epfd;
    bool no_pwait2;         /* the kernel said ENOSYS: use epoll_wait and whole milliseconds */
    struct epoll_event events[LOOP_MAX_EVENTS];
};

static uint32_t epoll_mask(unsigned events)
{
    return (events & LOOP_READ ? EPOLLIN : 0) | (events & LOOP_WRITE ? EPOLLOUT : 0);
}

static int ep_init(struct loop *l)
{
    struct epoll_state *s = calloc(1, sizeof *s);
    if (!s)
        return -ENOMEM;
    s->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (s->epfd < 0) {
        int e = errno;
        free(s);
        return -e;
    }
    l->be_state = s;
    return 0;
}

static void ep_free(struct loop *l)
{
    struct epoll_state *s = l->be_state;
    close(s->epfd);
    free(s);
}

static int ep_ctl(struct loop *l, int op, int fd, unsigned events, uint32_t gen)
{
    struct epoll_state *s = l->be_state;
    struct epoll_event ev = {
        .events = epoll_mask(events),
        .data.u64 = (uint64_t)gen << 32 | (uint32_t)fd,
    };
    l->stats.syscalls++;
    return epoll_ctl(s->epfd, op, fd, &ev) < 0 ? -errno : 0;
}

static int ep_add(struct loop *l, int fd, struct loop_watch *w)
{
    return ep_ctl(l, EPOLL_CTL_ADD, fd, w->events, w->gen);
}

static int ep_mod(struct loop *l, int fd, struct loop_watch *w, unsigned events)
{
    return ep_ctl(l, EPOLL_CTL_MOD, fd, events, w->gen);
}

static void ep_del(struct loop *l, int fd, struct loop_watch *w)
{
    struct epoll_state *s = l->be_state;
    (void)w;
    /* An fd closed before its removal has already left the epoll set (EBADF, ENOENT): the
     * watch is dropped all the same. */
    l->stats.syscalls++;
    epoll_ctl(s->epfd, EPOLL_CTL_DEL, fd, NULL);
}

/* Returns the number of events, 0 on timeout or EINTR, or a negative errno. */
static int ep_poll(struct loop *l, double when)
{
    struct epoll_state *s = l->be_state;
    int n;

    if (!s->no_pwait2) {
        struct timespec ts;
        bool timed = loop_timeout_ts(when, &ts);
        l->stats.syscalls++;
        n = (int)syscall(SYS_epoll_pwait2, s->epfd, s->events, LOOP_MAX_EVENTS,
                         timed ? &ts : NULL, NULL, 0);
        if (n >= 0)
            return n;
        if (errno == EINTR)
            return 0;
        if (errno != ENOSYS)
            return -errno;
        s->no_pwait2 = true;
    }

    int ms = -1;
    if (when >= 0) {
        double dt = when - clock_now();
        ms = dt <= 0 ? 0 : dt > 86400.0 ? 86400000 : (int)ceil(dt * 1e3);
    }
    l->stats.syscalls++;
    n = epoll_wait(s->epfd, s->events, LOOP_MAX_EVENTS, ms);
    if (n >= 0)
        return n;
    return errno == EINTR ? 0 : -errno;
}

static int ep_wait(struct loop *l, double when)
{
    struct epoll_state *s = l->be_state;
    l->nfired = 0;
    int n = ep_poll(l, when);
    if (n < 0)
        return n;
    for (int k = 0; k < n; k++)
        l->fired[k] = (struct loop_fired){
            .fd = (int)(uint32_t)s->events[k].data.u64,
            .gen = (uint32_t)(s->events[k].data.u64 >> 32),
            .ev = s->events[k].events,
        };
    l->nfired = (unsigned)n;
    return 0;
}

const struct loop_backend loop_backend_epoll = {
    .name = "epoll",
    .init = ep_init,
    .free = ep_free,
    .add = ep_add,
    .mod = ep_mod,
    .del = ep_del,
    .wait = ep_wait,
};
