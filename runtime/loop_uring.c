/* loop_uring.c — the loop's io_uring backend (liburing for the ring's set-up and its SQE and
 * CQE helpers).
 *
 * An fd is watched with a one-shot IORING_OP_POLL_ADD whose user_data is (gen << 32 | fd).
 * When it completes, the fd's event goes to loop.c's dispatch like an epoll event, and the
 * next turn arms a new poll for every fd delivered that is still watched and not re-armed by
 * its callback: the fd that stays ready is reported again, which is epoll's level-triggered
 * contract (multishot poll is edge-triggered). A change of interest queues a POLL_REMOVE of
 * the old poll and a POLL_ADD under a new gen, so a completion of the old one is told apart
 * and ignored; a removal queues a POLL_REMOVE. Nothing here enters the kernel: each turn
 * submits what is queued and waits for a completion, the earliest timer as the timeout
 * (IORING_ENTER_EXT_ARG), in one io_uring_enter — or none when completions are already
 * waiting, or a timer is due, and nothing is queued. Only a full submission ring enters in
 * between. */
#include <errno.h>
#include <liburing.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>

#include "runtime/loop_int.h"

#define URING_SQ_ENTRIES 2048
#define URING_CQ_ENTRIES 8192   /* completions beyond it wait in the kernel (IORING_FEAT_NODROP) */
#define URING_NO_FD 0           /* user_data of a request whose completion is ignored */

struct uring_state {
    struct io_uring ring;
};

static uint32_t ur_mask(unsigned events)
{
    return (events & LOOP_READ ? EPOLLIN : 0) | (events & LOOP_WRITE ? EPOLLOUT : 0);
}

static uint64_t ur_data(int fd, uint32_t gen)
{
    return (uint64_t)gen << 32 | (uint32_t)fd;
}

/* The test-only switch: CONCBENCH_URING_FAIL=1 (ENOSYS), =EPERM or =ENOMEM; 0 when unset. */
static int ur_forced_failure(void)
{
    const char *f = getenv("CONCBENCH_URING_FAIL");
    if (!f || !*f || strcmp(f, "0") == 0)
        return 0;
    if (strcmp(f, "EPERM") == 0)
        return -EPERM;
    if (strcmp(f, "ENOMEM") == 0)
        return -ENOMEM;
    return -ENOSYS;
}

static int ur_init(struct loop *l)
{
    int err = ur_forced_failure();
    if (err < 0)
        return err;
    struct uring_state *s = calloc(1, sizeof *s);
    if (!s)
        return -ENOMEM;
    /* SUBMIT_ALL: a bad request does not hold back the ones queued after it. COOP_TASKRUN +
     * TASKRUN_FLAG: a single-threaded loop enters the kernel every turn anyway, so the kernel
     * need not interrupt it to complete polls (it flags pending work instead). Kernels before
     * 5.19 refuse these flags: set up without them. */
    struct io_uring_params prm = {
        .flags = IORING_SETUP_CQSIZE | IORING_SETUP_SUBMIT_ALL | IORING_SETUP_COOP_TASKRUN |
                 IORING_SETUP_TASKRUN_FLAG,
        .cq_entries = URING_CQ_ENTRIES,
    };
    err = io_uring_queue_init_params(URING_SQ_ENTRIES, &s->ring, &prm);
    if (err == -EINVAL) {
        prm = (struct io_uring_params){ .flags = IORING_SETUP_CQSIZE,
                                        .cq_entries = URING_CQ_ENTRIES };
        err = io_uring_queue_init_params(URING_SQ_ENTRIES, &s->ring, &prm);
    }
    if (err < 0) {
        free(s);
        return err;
    }
    if (!(prm.features & IORING_FEAT_EXT_ARG)) {    /* the timeout of the one wait a turn */
        io_uring_queue_exit(&s->ring);
        free(s);
        return -EOPNOTSUPP;
    }
    l->be_state = s;
    return 0;
}

static void ur_free(struct loop *l)
{
    struct uring_state *s = l->be_state;
    io_uring_queue_exit(&s->ring);      /* cancels the polls still armed */
    free(s);
}

/* Make the queued SQEs visible to the kernel (what liburing 2.3's __io_uring_flush_sq does;
 * the SQ index array is the identity, set up once by liburing). Returns how many the kernel
 * has not consumed yet. */
static unsigned ur_flush(struct io_uring *ring)
{
    struct io_uring_sq *sq = &ring->sq;
    unsigned tail = sq->sqe_tail;
    if (sq->sqe_head != tail) {
        sq->sqe_head = tail;
        io_uring_smp_store_release(sq->ktail, tail);
    }
    return tail - io_uring_smp_load_acquire(sq->khead);
}

/* A free SQE; a full submission ring is submitted first (one io_uring_enter). NULL with a
 * negative errno in *err when even that leaves no room. */
static struct io_uring_sqe *ur_sqe(struct loop *l, int *err)
{
    struct uring_state *s = l->be_state;
    struct io_uring_sqe *sqe = io_uring_get_sqe(&s->ring);
    if (sqe)
        return sqe;
    unsigned n = ur_flush(&s->ring);
    l->stats.syscalls++;
    int r = io_uring_enter(s->ring.ring_fd, n, 0, 0, NULL);
    if (r < 0 && r != -EAGAIN && r != -EBUSY && r != -EINTR) {
        *err = r;
        return NULL;
    }
    sqe = io_uring_get_sqe(&s->ring);
    if (!sqe)
        *err = -EAGAIN;
    return sqe;
}

static int ur_arm(struct loop *l, int fd, struct loop_watch *w, unsigned events)
{
    int err = 0;
    struct io_uring_sqe *sqe = ur_sqe(l, &err);
    if (!sqe)
        return err;
    uint32_t mask = ur_mask(events);
    io_uring_prep_poll_add(sqe, fd, mask);
    io_uring_sqe_set_data64(sqe, ur_data(fd, w->gen));
    w->armed = true;
    w->armed_mask = mask;
    return 0;
}

/* Queue the removal of w's armed poll. */
static int ur_disarm(struct loop *l, int fd, struct loop_watch *w)
{
    int err = 0;
    struct io_uring_sqe *sqe = ur_sqe(l, &err);
    if (!sqe)
        return err;
    io_uring_prep_poll_remove(sqe, ur_data(fd, w->gen));
    io_uring_sqe_set_data64(sqe, URING_NO_FD);
    w->armed = false;
    return 0;
}

static int ur_add(struct loop *l, int fd, struct loop_watch *w)
{
    w->armed = false;
    return ur_arm(l, fd, w, w->events);
}

static int ur_mod(struct loop *l, int fd, struct loop_watch *w, unsigned events)
{
    if (w->armed && w->armed_mask == ur_mask(events))
        return 0;
    if (w->armed) {
        int err = ur_disarm(l, fd, w);
        if (err < 0)
            return err;
        w->gen = loop_next_gen(l);      /* the old poll's completion, if any, is stale now */
    }
    /* Not armed: its completion is being delivered this turn (it would be re-armed after
     * with the old mask), or it failed; arm it now with the new one. */
    return ur_arm(l, fd, w, events);
}

static void ur_del(struct loop *l, int fd, struct loop_watch *w)
{
    if (w->armed)
        ur_disarm(l, fd, w);    /* no room even after a submit: its completion is stale */
}

static int ur_wait(struct loop *l, double when)
{
    struct uring_state *s = l->be_state;
    struct io_uring *ring = &s->ring;

    /* Re-arm what was delivered last turn (or not delivered: loop_stop) and is still
     * watched: level-triggered. */
    for (unsigned k = 0; k < l->nfired; k++) {
        int fd = l->fired[k].fd;
        struct loop_watch *w = &l->fds[fd];
        if (w->used && !w->armed) {
            int err = ur_arm(l, fd, w, w->events);
            if (err < 0)
                return err;
        }
    }
    l->nfired = 0;

    unsigned to_submit = ur_flush(ring);
    unsigned ready = io_uring_cq_ready(ring);
    unsigned kflags = IO_URING_READ_ONCE(*ring->sq.kflags);
    struct timespec ts;
    bool timed = loop_timeout_ts(when, &ts);
    /* Wait only when nothing is waiting in the completion ring and nothing is due now: a
     * zero timeout would still arm a timer and sleep in the kernel (tens of µs), where
     * epoll_pwait2 returns at once. Readiness is in the completion ring, in shared memory:
     * with nothing to submit and no pending kernel work, a turn that must not wait enters
     * no system call at all. */
    bool wait = !ready && !(timed && ts.tv_sec == 0 && ts.tv_nsec == 0);
    if (to_submit || wait || (kflags & (IORING_SQ_CQ_OVERFLOW | IORING_SQ_TASKRUN))) {
        struct io_uring_getevents_arg arg = { 0 };
        struct __kernel_timespec kts;
        if (wait && timed) {
            kts.tv_sec = ts.tv_sec;
            kts.tv_nsec = ts.tv_nsec;
            arg.ts = (uint64_t)(uintptr_t)&kts;
        }
        l->stats.syscalls++;
        int r = io_uring_enter2(ring->ring_fd, to_submit, wait ? 1 : 0,
                                IORING_ENTER_GETEVENTS | IORING_ENTER_EXT_ARG,
                                (sigset_t *)&arg, sizeof arg);
        if (r < 0 && r != -ETIME && r != -EINTR && r != -EAGAIN && r != -EBUSY)
            return r;
    }

    unsigned head, seen = 0, n = 0;
    struct io_uring_cqe *cqe;
    io_uring_for_each_cqe(ring, head, cqe) {
        if (n == LOOP_MAX_EVENTS)
            break;
        seen++;
        uint64_t data = cqe->user_data;
        if (data == URING_NO_FD)
            continue;                   /* a removal's own completion */
        int fd = (int)(uint32_t)data;
        uint32_t gen = (uint32_t)(data >> 32);
        if ((size_t)fd >= l->fds_cap || !l->fds[fd].used || l->fds[fd].gen != gen)
            continue;                   /* removed, or re-armed under a new gen since */
        l->fds[fd].armed = false;
        if (cqe->res < 0)
            continue;       /* the poll failed (an fd closed while watched): not re-armed */
        l->fired[n++] = (struct loop_fired){ .fd = fd, .gen = gen, .ev = (uint32_t)cqe->res };
    }
    io_uring_cq_advance(ring, seen);
    l->nfired = n;
    return 0;
}

static void ur_explain(int err, char *why, size_t len)
{
    const char *forced = ur_forced_failure() < 0 ? " [forced by CONCBENCH_URING_FAIL]" : "";
    switch (err) {
    case ENOSYS:
        snprintf(why, len, "io_uring is not available: this kernel has no io_uring_setup "
                 "(ENOSYS)%s", forced);
        break;
    case EPERM: {
        char v[16] = "";
        FILE *f = fopen("/proc/sys/kernel/io_uring_disabled", "re");
        if (f) {
            if (!fgets(v, sizeof v, f))
                v[0] = '\0';
            fclose(f);
            v[strcspn(v, "\n")] = '\0';
        }
        if (v[0] && strcmp(v, "0") != 0)
            snprintf(why, len, "io_uring is disabled: kernel.io_uring_disabled = %s (EPERM)%s",
                     v, forced);
        else
            snprintf(why, len, "io_uring is refused (EPERM): a seccomp filter (a container's "
                     "default profile?)%s", forced);
        break;
    }
    case ENOMEM:
        snprintf(why, len, "io_uring: cannot allocate the ring (ENOMEM): locked memory limit "
                 "too low on a kernel before 5.12 (ulimit -l)?%s", forced);
        break;
    case EOPNOTSUPP:
        snprintf(why, len, "io_uring is too old here: it lacks IORING_FEAT_EXT_ARG (Linux "
                 "5.11)%s", forced);
        break;
    default:
        snprintf(why, len, "io_uring: cannot set up a ring: %s%s", strerror(err), forced);
    }
}

const struct loop_backend loop_backend_uring = {
    .name = "io_uring",
    .init = ur_init,
    .free = ur_free,
    .add = ur_add,
    .mod = ur_mod,
    .del = ur_del,
    .wait = ur_wait,
    .explain = ur_explain,
};
