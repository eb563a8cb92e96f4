/* process_pool.c — the process-pool model: W forked workers, created once, take task indices
 * from an atomic counter in shared memory.
 *
 * Hand-out: a worker claims a range of indices from the shared counter (fixed --chunk C, or by
 * default guided: a share of what is left, so the tail stays balanced), then claims each task of
 * the range with a compare-and-swap on the task's state word just before running it. Results go
 * straight into the harness's MAP_SHARED results array. The parent never touches a task on the
 * way out: it only watches its workers (pidfds and the cancel event in one epoll set).
 *
 * Death: every worker publishes, in its own shared slot, the task it is about to run (`cur`,
 * written before the claim) and the range it works through (`lo`, `hi`, or `claiming` while it
 * takes a new range). The state word says who runs a task (the worker's incarnation id) and
 * when it is done. When a worker dies, its task in flight (cur whose state is still its id) is
 * failed with the reason, and a replacement takes over the rest of its range (tasks still
 * unclaimed there), then joins the counter; the compare-and-swap keeps each task to one run.
 *
 * --dispatch pipe (what multiprocessing does, minus pickling): the parent hands each worker
 * ranges of indices (--chunk C, or guided) over the worker's own task pipe, at most two ranges
 * ahead, and each worker writes every task's 64-byte result back over its own result pipe; the
 * parent copies it into the results array. The parent knows what every worker holds: when one
 * dies, the first task it has not answered fails with the reason (it was running it, or about
 * to), and a replacement gets the rest. The timeout backstop counts from the worker's last
 * answer (or the hand-out), an upper bound of its task's start. */
#include <errno.h>
#include <fcntl.h>
#include <sys/epoll.h>
#include <unistd.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/child.h"
#include "models/model.h"
#include "runtime/clock.h"
#include "runtime/event.h"
#include "runtime/shm.h"

#define POOL_NONE UINT64_MAX    /* no task / no claim in progress */
#define POOL_DONE UINT32_MAX    /* state word of a finished task; 0: unclaimed */

/* One worker's published position, in shared memory; one cache line each. */
struct pool_slot {
    _Atomic uint64_t cur;       /* the task about to run or running (stale once done); NONE */
    _Atomic uint64_t claiming;  /* the counter as read before taking a range; NONE outside */
    _Atomic uint64_t lo, hi;    /* the range being worked through */
    uint32_t wid;               /* this worker's incarnation id, set before its fork */
} __attribute__((aligned(64)));

struct pool_shared {
    _Atomic uint64_t next __attribute__((aligned(64)));    /* next index to hand out */
    struct pool_slot slots[];
};

/* --dispatch pipe: a range [lo, hi) sent to a worker; lo = hi = POOL_NONE: stop. */
struct pool_msg {
    uint64_t lo, hi;
};

/* --dispatch pipe: the parent's side of a worker's pipes and what the worker holds. */
struct pool_pipes {
    int task[2];                /* parent writes [1]; the worker reads [0] (kept open in the
                                 * parent too, so a write never meets a closed pipe) */
    int res[2];                 /* the worker writes [1]; the parent reads [0] */
    struct pool_msg held[2];    /* ranges sent, not yet answered in full; held[0] first */
    unsigned nheld;
    uint64_t cursor;            /* the next answer expected: in held[0] */
    double since;               /* CLOCK_MONOTONIC of its last answer or hand-out */
    bool stop_sent;
    size_t got;                 /* bytes of a partial answer in buf */
    unsigned char buf[sizeof(struct task_result)];
};

/* The parent's record of a worker. */
struct pool_worker {
    struct child c;
    int killed;                 /* why the parent killed it: TASK_CANCELLED, TASK_TIMEOUT, 0 */
    struct pool_pipes pp;       /* --dispatch pipe */
};

#define POOL_PIPE_TAG 0x40000000u   /* epoll tag of worker k's result pipe: TAG | k */

struct pool {
    const struct workload *w;
    void *ctx;
    const struct run_params *p;
    struct run_params child_params;     /* what workers run with: no cancel event */
    struct task_result *results;
    struct pool_shared *sh;
    size_t sh_size;
    _Atomic uint32_t *state;    /* per task: 0 unclaimed, a worker id while running, DONE */
    size_t state_size;
    struct pool_worker *workers;
    unsigned n, nw;             /* tasks, workers */
    unsigned chunk;             /* fixed hand-out size; 0: guided */
    unsigned spawning;          /* the slot of the worker being forked (read by the child) */
    uint32_t last_wid;
    struct child_set cs;
    bool pipe;                  /* --dispatch pipe */
    uint64_t next;              /* pipe: the next index to hand out (parent only) */
};

/* ---- in the worker ---- */

/* Run the tasks of [lo, hi) that nobody has claimed yet. */
static void pool_run_range(struct pool *pl, struct pool_slot *s, uint32_t wid, uint64_t lo,
                           uint64_t hi)
{
    for (uint64_t j = lo; j < hi; j++) {
        uint32_t unclaimed = 0;
        atomic_store_explicit(&s->cur, j, memory_order_relaxed);
        /* A full barrier: `cur` is in memory before the task is ours. */
        if (!atomic_compare_exchange_strong(&pl->state[j], &unclaimed, wid))
            continue;
        model_exec_task(pl->w, pl->ctx, &pl->child_params, (unsigned)j, &pl->results[j]);
        atomic_store_explicit(&pl->state[j], POOL_DONE, memory_order_release);
    }
}

/* Take the next range from the counter into the slot. Returns false when none is left. */
static bool pool_claim(struct pool *pl, struct pool_slot *s, uint64_t *lo, uint64_t *hi)
{
    uint64_t n = pl->n;
    uint64_t at = atomic_load_explicit(&pl->sh->next, memory_order_relaxed);
    uint64_t c = 1;

    if (at >= n)
        return false;
    /* Published before the read-modify-write below, which is a full barrier. */
    atomic_store_explicit(&s->claiming, at, memory_order_relaxed);
    if (pl->chunk) {
        c = pl->chunk;
        at = atomic_fetch_add(&pl->sh->next, c);
    } else {
        do {
            if (at >= n)
                break;
            c = (n - at) / (2 * (uint64_t)pl->nw);
            if (c == 0)
                c = 1;
        } while (!atomic_compare_exchange_weak(&pl->sh->next, &at, at + c));
    }
    if (at >= n) {
        atomic_store_explicit(&s->claiming, POOL_NONE, memory_order_release);
        return false;
    }
    *lo = at;
    *hi = at + c < n ? at + c : n;
    atomic_store_explicit(&s->lo, *lo, memory_order_relaxed);
    atomic_store_explicit(&s->hi, *hi, memory_order_relaxed);
    atomic_store_explicit(&s->claiming, POOL_NONE, memory_order_release);
    return true;
}

static void pool_worker_main(void *arg)
{
    struct pool *pl = arg;
    struct pool_slot *s = &pl->sh->slots[pl->spawning];
    uint32_t wid = s->wid;
    uint64_t lo = atomic_load(&s->lo), hi = atomic_load(&s->hi);

    pool_run_range(pl, s, wid, lo, hi);     /* a dead predecessor's leftovers, if any */
    while (pool_claim(pl, s, &lo, &hi))
        pool_run_range(pl, s, wid, lo, hi);
}

/* Read or write exactly len bytes (EINTR retried). Returns false on EOF or an error. */
static bool pipe_io(int fd, void *buf, size_t len, bool writing)
{
    unsigned char *b = buf;
    while (len > 0) {
        ssize_t r = writing ? write(fd, b, len) : read(fd, b, len);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return false;
        b += r;
        len -= (size_t)r;
    }
    return true;
}

/* --dispatch pipe, in worker k: read ranges, run each task on a copy of its result slot, and
 * write the result back; stop at the stop message or when the parent is gone. */
static void pool_pipe_worker_main(void *arg)
{
    struct pool *pl = arg;
    unsigned me = pl->spawning;
    struct pool_pipes *pp = &pl->workers[me].pp;

    /* Only its own ends: the other workers' pipes and the parent's ends are not its business. */
    for (unsigned k = 0; k < pl->nw; k++) {
        struct pool_pipes *o = &pl->workers[k].pp;
        int fds[4] = { o->task[0], o->task[1], o->res[0], o->res[1] };
        for (int f = 0; f < 4; f++)
            if (fds[f] >= 0 && !(k == me && (f == 0 || f == 3)))
                close(fds[f]);
    }
    struct pool_msg m;
    while (pipe_io(pp->task[0], &m, sizeof m, false) && m.lo != POOL_NONE) {
        for (uint64_t j = m.lo; j < m.hi && j < pl->n; j++) {
            struct task_result r = pl->results[j];
            model_exec_task(pl->w, pl->ctx, &pl->child_params, (unsigned)j, &r);
            if (!pipe_io(pp->res[1], &r, sizeof r, true))
                return;
        }
    }
}

/* ---- in the parent ---- */

static void pipes_close(struct pool *pl, unsigned k)
{
    struct pool_pipes *pp = &pl->workers[k].pp;
    if (pp->res[0] >= 0)
        epoll_ctl(pl->cs.epfd, EPOLL_CTL_DEL, pp->res[0], NULL);
    int *fds[4] = { &pp->task[0], &pp->task[1], &pp->res[0], &pp->res[1] };
    for (int f = 0; f < 4; f++)
        if (*fds[f] >= 0) {
            close(*fds[f]);
            *fds[f] = -1;
        }
}

/* --dispatch pipe: fresh pipes for worker k, its result pipe watched under POOL_PIPE_TAG | k. */
static int pipes_open(struct pool *pl, unsigned k)
{
    struct pool_pipes *pp = &pl->workers[k].pp;
    pipes_close(pl, k);
    if (pipe2(pp->task, O_CLOEXEC) < 0)
        return -errno;
    if (pipe2(pp->res, O_CLOEXEC) < 0) {
        int e = -errno;
        pipes_close(pl, k);
        return e;
    }
    fcntl(pp->res[0], F_SETFL, O_NONBLOCK);
    struct epoll_event ev = { .events = EPOLLIN, .data.u64 = POOL_PIPE_TAG | k };
    if (epoll_ctl(pl->cs.epfd, EPOLL_CTL_ADD, pp->res[0], &ev) < 0) {
        int e = -errno;
        pipes_close(pl, k);
        return e;
    }
    pp->got = 0;
    pp->stop_sent = false;
    return 0;
}

static int pool_spawn(struct pool *pl, unsigned k, uint64_t lo, uint64_t hi)
{
    struct pool_slot *s = &pl->sh->slots[k];
    if (pl->pipe) {
        int err = pipes_open(pl, k);
        if (err < 0)
            return err;
        pl->workers[k].killed = 0;
        pl->spawning = k;
        err = child_spawn(&pl->cs, &pl->workers[k].c, k, pool_pipe_worker_main, pl);
        if (err < 0) {
            pipes_close(pl, k);
            return err;
        }
        close(pl->workers[k].pp.res[1]);    /* the worker's end */
        pl->workers[k].pp.res[1] = -1;
        return 0;
    }
    atomic_store(&s->cur, POOL_NONE);
    atomic_store(&s->claiming, POOL_NONE);
    atomic_store(&s->lo, lo);
    atomic_store(&s->hi, hi);
    s->wid = ++pl->last_wid;
    pl->workers[k].killed = 0;
    pl->spawning = k;
    return child_spawn(&pl->cs, &pl->workers[k].c, k, pool_worker_main, pl);
}

/* ---- --dispatch pipe, in the parent ---- */

/* The next range to hand out (--chunk C, or guided), or false when none is left. */
static bool pipe_next_range(struct pool *pl, struct pool_msg *m)
{
    uint64_t c = pl->chunk;
    if (pl->next >= pl->n)
        return false;
    if (!c) {
        c = (pl->n - pl->next) / (2 * (uint64_t)pl->nw);
        if (c == 0)
            c = 1;
    }
    m->lo = pl->next;
    m->hi = m->lo + c < pl->n ? m->lo + c : pl->n;
    pl->next = m->hi;
    return true;
}

/* Never blocks: a task pipe holds at most three messages. */
static void pipe_send(struct pool *pl, unsigned k, const struct pool_msg *m)
{
    struct pool_msg copy = *m;
    pipe_io(pl->workers[k].pp.task[1], &copy, sizeof copy, true);
}

static void pipe_hold(struct pool *pl, unsigned k, const struct pool_msg *m)
{
    struct pool_pipes *pp = &pl->workers[k].pp;
    if (pp->nheld == 0) {
        pp->cursor = m->lo;
        pp->since = clock_now();
    }
    pp->held[pp->nheld++] = *m;
    pipe_send(pl, k, m);
}

/* Keep worker k two ranges ahead; when nothing is left for it, send the stop message. */
static void pipe_feed(struct pool *pl, unsigned k, bool stopping)
{
    struct pool_pipes *pp = &pl->workers[k].pp;
    struct pool_msg m;
    if (pl->workers[k].c.pid <= 0 || pp->stop_sent || stopping)
        return;
    while (pp->nheld < 2 && pipe_next_range(pl, &m))
        pipe_hold(pl, k, &m);
    if (pp->nheld == 0) {
        m = (struct pool_msg){ POOL_NONE, POOL_NONE };
        pipe_send(pl, k, &m);
        pp->stop_sent = true;
    }
}

/* One answer from worker k: the result of its cursor task. */
static void pipe_answer(struct pool *pl, unsigned k, const unsigned char *msg)
{
    struct pool_pipes *pp = &pl->workers[k].pp;
    struct task_result r;
    memcpy(&r, msg, sizeof r);
    if (pp->nheld == 0 || r.index != pp->cursor) {
        snprintf(pl->p->stats->note, sizeof pl->p->stats->note,
                 "worker %u answered task %u out of turn; answer dropped", k, r.index);
        return;
    }
    pl->results[r.index] = r;
    pp->since = clock_now();
    if (++pp->cursor >= pp->held[0].hi) {
        pp->held[0] = pp->held[1];
        if (--pp->nheld)
            pp->cursor = pp->held[0].lo;
    }
}

/* Read every whole answer waiting in worker k's result pipe. */
static void pipe_drain(struct pool *pl, unsigned k)
{
    struct pool_pipes *pp = &pl->workers[k].pp;
    unsigned char big[64 * sizeof(struct task_result)];
    const size_t one = sizeof(struct task_result);
    while (pp->res[0] >= 0) {
        ssize_t r = read(pp->res[0], big, sizeof big);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return;
        size_t at = 0, len = (size_t)r;
        if (pp->got) {
            size_t take = one - pp->got < len ? one - pp->got : len;
            memcpy(pp->buf + pp->got, big, take);
            pp->got += take;
            at = take;
            if (pp->got < one)
                continue;
            pipe_answer(pl, k, pp->buf);
            pp->got = 0;
        }
        for (; len - at >= one; at += one)
            pipe_answer(pl, k, big + at);
        memcpy(pp->buf, big + at, len - at);
        pp->got = len - at;
    }
}

/* Worker k is gone: read what it answered, settle the task it held first, hand the rest of
 * what it held to a replacement while work is left. */
static void pipe_worker_ended(struct pool *pl, unsigned k, int wstatus, bool stopping)
{
    const struct run_params *p = pl->p;
    struct pool_worker *wk = &pl->workers[k];
    struct pool_pipes *pp = &wk->pp;
    struct pool_msg rest[2];
    unsigned nrest = 0;

    pipe_drain(pl, k);
    if (pp->nheld > 0) {
        uint64_t i = pp->cursor;
        struct task_result *r = &pl->results[i];
        double now = clock_now() - p->t0;
        /* When it started is not known here: no earlier than its worker's last answer. */
        if (r->start_s < 0)
            r->start_s = pp->since - p->t0;
        r->end_s = now;
        if (wk->killed == TASK_CANCELLED) {
            r->status = task_fail(r, TASK_CANCELLED, "cancelled", "task %u: cancelled",
                                  (unsigned)i);
        } else if (wk->killed == TASK_TIMEOUT) {
            r->status = task_fail(r, TASK_TIMEOUT, "timeout",
                                  "task %u: timeout, killed %.0f ms after its start at the "
                                  "latest", (unsigned)i, (now - r->start_s) * 1e3);
        } else {
            char why[40];
            if (child_clean_exit(wstatus))
                snprintf(why, sizeof why, "worker exited mid-task");
            else
                child_status_text(wstatus, why, sizeof why);
            r->status = task_fail(r, TASK_FAILED, why, "task %u: %s", (unsigned)i, why);
        }
        if (i + 1 < pp->held[0].hi)
            rest[nrest++] = (struct pool_msg){ i + 1, pp->held[0].hi };
        if (pp->nheld == 2)
            rest[nrest++] = pp->held[1];
        pp->nheld = 0;
    }
    if (stopping || (nrest == 0 && pl->next >= pl->n)) {
        pipes_close(pl, k);
        return;
    }
    int err = pool_spawn(pl, k, 0, 0);
    if (err < 0) {
        pipes_close(pl, k);
        snprintf(p->stats->note, sizeof p->stats->note,
                 "could not replace a dead worker: %s; its unanswered tasks were not started",
                 strerror(-err));
        return;
    }
    p->stats->workers_replaced++;
    for (unsigned r = 0; r < nrest; r++)
        pipe_hold(pl, k, &rest[r]);
    pipe_feed(pl, k, false);
}

/* The task worker k was running, if it was still running one. */
static bool pool_task_in_flight(const struct pool *pl, unsigned k, uint64_t *task)
{
    const struct pool_slot *s = &pl->sh->slots[k];
    uint64_t cur = atomic_load(&s->cur);
    if (cur >= pl->n || atomic_load(&pl->state[cur]) != s->wid)
        return false;
    *task = cur;
    return true;
}

/* A worker is gone: settle its task in flight, then replace it while work may be left. */
static void pool_worker_ended(struct pool *pl, unsigned k, int wstatus, bool stopping)
{
    const struct run_params *p = pl->p;
    struct pool_slot *s = &pl->sh->slots[k];
    struct pool_worker *wk = &pl->workers[k];
    uint64_t i;
    bool died = !child_clean_exit(wstatus);

    if (pool_task_in_flight(pl, k, &i)) {
        struct task_result *r = &pl->results[i];
        double now = clock_now() - p->t0;
        died = true;
        if (wk->killed == TASK_CANCELLED) {
            if (r->start_s >= 0) {
                r->end_s = now;
                r->status = task_fail(r, TASK_CANCELLED, "cancelled", "task %u: cancelled",
                                      (unsigned)i);
            }
        } else {
            if (r->start_s < 0)
                r->start_s = now;
            r->end_s = now;
            if (wk->killed == TASK_TIMEOUT) {
                r->status = task_fail(r, TASK_TIMEOUT, "timeout",
                                      "task %u: timeout, killed %.0f ms after its start",
                                      (unsigned)i, (now - r->start_s) * 1e3);
            } else {
                char why[40];
                if (child_clean_exit(wstatus))
                    snprintf(why, sizeof why, "worker exited mid-task");
                else
                    child_status_text(wstatus, why, sizeof why);
                r->status = task_fail(r, TASK_FAILED, why, "task %u: %s", (unsigned)i, why);
            }
        }
        atomic_store(&pl->state[i], POOL_DONE);
    }
    if (!died || stopping)
        return;

    /* What it may have left unclaimed: a range it was taking, or the rest of its range. */
    uint64_t a, b, next = atomic_load(&pl->sh->next);
    uint64_t claiming = atomic_load(&s->claiming);
    if (claiming != POOL_NONE) {
        a = claiming;
        b = next;
    } else {
        uint64_t cur = atomic_load(&s->cur);
        a = atomic_load(&s->lo);
        b = atomic_load(&s->hi);
        if (cur != POOL_NONE && cur > a && cur < b)
            a = cur;
    }
    if (b > pl->n)
        b = pl->n;
    bool left = next < pl->n;
    for (uint64_t j = a; j < b && !left; j++)
        left = atomic_load(&pl->state[j]) == 0;
    if (!left)
        return;
    int err = pool_spawn(pl, k, a, b < a ? a : b);
    if (err < 0) {
        snprintf(p->stats->note, sizeof p->stats->note,
                 "could not replace a dead worker: %s; its unclaimed tasks were not started",
                 strerror(-err));
        return;
    }
    p->stats->workers_replaced++;
}

static void pool_kill_all(struct pool *pl, int why)
{
    for (unsigned k = 0; k < pl->nw; k++)
        if (pl->workers[k].c.pid > 0 && !pl->workers[k].killed) {
            pl->workers[k].killed = why;
            child_kill(&pl->workers[k].c);
        }
}

/* The timeout backstop: kill a worker whose task has run timeout + 1 s. Returns when to look
 * next. */
static double pool_check_deadlines(struct pool *pl)
{
    const struct run_params *p = pl->p;
    double now = clock_now(), limit = p->timeout_s + 1.0, next = now + limit;

    for (unsigned k = 0; k < pl->nw; k++) {
        struct pool_worker *wk = &pl->workers[k];
        uint64_t i;
        double due;
        if (wk->c.pid <= 0 || wk->killed)
            continue;
        if (pl->pipe) {
            if (wk->pp.nheld == 0)
                continue;
            due = wk->pp.since + limit;
        } else {
            if (!pool_task_in_flight(pl, k, &i))
                continue;
            double st;
            __atomic_load(&pl->results[i].start_s, &st, __ATOMIC_RELAXED);
            if (st < 0)
                continue;
            due = p->t0 + st + limit;
        }
        if (now >= due) {
            wk->killed = TASK_TIMEOUT;
            child_kill(&wk->c);
        } else if (due < next) {
            next = due;
        }
    }
    return next;
}

static void pool_free(struct pool *pl)
{
    for (unsigned k = 0; pl->pipe && pl->workers && k < pl->nw; k++)
        pipes_close(pl, k);
    child_set_destroy(&pl->cs);
    shm_free(pl->sh, pl->sh_size);
    shm_free((void *)pl->state, pl->state_size);
    free(pl->workers);
}

static int process_pool_run(const struct workload *w, void *ctx, const struct run_params *p,
                            struct task_result *results)
{
    extern const struct model model_process_pool;
    struct pool pl = {
        .w = w, .ctx = ctx, .p = p, .child_params = *p, .results = results, .n = p->tasks,
        .chunk = p->chunk,
    };
    const struct wopt *d = wopt_find(model_process_pool.opts, "dispatch");
    int style = wopt_choice(d, model_opt(&model_process_pool, p, "dispatch"));
    int err;

    if (style < 0)
        return -EINVAL;
    pl.pipe = style == 1;

    pl.child_params.cancel = NULL;
    pl.nw = p->concurrency ? p->concurrency : 1;
    if (pl.nw > pl.n)
        pl.nw = pl.n;
    unsigned budget = child_fd_budget() / (pl.pipe ? 4 : 1);   /* pipe: 3 more fds a worker */
    if (pl.nw > budget) {
        snprintf(p->stats->note, sizeof p->stats->note,
                 "%u workers, not %u: RLIMIT_NOFILE leaves %u descriptors", budget, pl.nw,
                 budget);
        pl.nw = budget;
    }
    pl.sh_size = sizeof *pl.sh + pl.nw * sizeof pl.sh->slots[0];
    pl.state_size = (size_t)pl.n * sizeof pl.state[0];
    pl.sh = shm_alloc(pl.sh_size);
    pl.state = shm_alloc(pl.state_size);
    pl.workers = calloc(pl.nw, sizeof *pl.workers);
    pl.cs.epfd = -1;
    if (!pl.sh || !pl.state || !pl.workers) {
        pool_free(&pl);
        return -ENOMEM;
    }
    for (unsigned k = 0; k < pl.nw; k++) {
        struct pool_pipes *pp = &pl.workers[k].pp;
        pp->task[0] = pp->task[1] = pp->res[0] = pp->res[1] = -1;
    }
    if ((err = child_set_init(&pl.cs, p->cancel)) < 0) {
        pool_free(&pl);
        return err;
    }

    unsigned alive = 0;
    p->stats->parent_rss_kb = child_self_rss_kb();
    for (unsigned k = 0; k < pl.nw; k++) {
        pl.workers[k].c.pidfd = -1;
        if (event_is_set(p->cancel))
            break;
        err = pool_spawn(&pl, k, 0, 0);
        if (err < 0) {
            snprintf(p->stats->note, sizeof p->stats->note,
                     "could start only %u of %u workers: %s", k, pl.nw, strerror(-err));
            break;
        }
        alive++;
    }
    for (unsigned k = 0; pl.pipe && k < pl.nw; k++)
        pipe_feed(&pl, k, false);

    bool cancelled = false, stopping = false;
    double next_due = p->timeout_s > 0 ? clock_now() + p->timeout_s + 1.0 : 0;
    while (alive > 0) {
        uint32_t tags[64];
        int got = child_set_wait(&pl.cs, next_due, tags, 64, &cancelled);
        bool reap_all = false;
        if (got < 0) {
            /* epoll itself failed: end the workers and reap them without it. */
            snprintf(p->stats->note, sizeof p->stats->note, "epoll_wait: %s", strerror(-got));
            got = 0;
            reap_all = true;
        }
        if ((cancelled || reap_all) && !stopping) {
            stopping = reap_all = true;
            pool_kill_all(&pl, TASK_CANCELLED);
        }
        if (reap_all)       /* reaping blocks only moments: each has been SIGKILLed */
            for (unsigned k = 0; k < pl.nw && got < 64; k++)
                if (pl.workers[k].c.pid > 0)
                    tags[got++] = k;
        for (int t = 0; t < got; t++) {
            unsigned k = tags[t];
            int wstatus = 0;
            struct rusage ru;
            if (k & POOL_PIPE_TAG) {
                k &= ~POOL_PIPE_TAG;
                pipe_drain(&pl, k);
                pipe_feed(&pl, k, stopping);
                continue;
            }
            if (pl.workers[k].c.pid <= 0)
                continue;
            memset(&ru, 0, sizeof ru);
            child_reap(&pl.cs, &pl.workers[k].c, &wstatus, &ru);
            child_note_rusage(p->stats, &ru);
            alive--;
            if (pl.pipe)
                pipe_worker_ended(&pl, k, wstatus, stopping);
            else
                pool_worker_ended(&pl, k, wstatus, stopping);
            if (pl.workers[k].c.pid > 0)
                alive++;        /* replaced */
        }
        if (p->timeout_s > 0 && !stopping && clock_now() >= next_due)
            next_due = pool_check_deadlines(&pl);
    }

    pool_free(&pl);
    return 0;
}

static const char *const pool_dispatches[] = { "map", "pipe", NULL };
static const struct wopt pool_opts[] = {
    { "dispatch", WOPT_ENUM, "map", 0, 0,
      "how tasks reach the workers: map (claim index chunks from a counter in shared memory), "
      "pipe (indices to each worker and results back over pipes)", pool_dispatches },
    { 0 },
};

const struct model model_process_pool = {
    .name = "process-pool",
    .summary = "W forked workers created once take tasks from a shared counter or pipes "
               "(-j W, --dispatch)",
    .order = 5,
    .color = "#e69f00",
    .pool = true,
    .forks = true,
    .conc = MODEL_CONC_POOL,
    .dispatch_s = 3e-6,
    .cost_text = "a claim of a chunk of task indices from a counter in shared memory by one of "
                 "W long-lived forked workers",
    .opts = pool_opts,
    .run = process_pool_run,
};
