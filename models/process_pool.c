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
 * unclaimed there), then joins the counter; the compare-and-swap keeps each task to one run. */
#include <errno.h>
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

/* The parent's record of a worker. */
struct pool_worker {
    struct child c;
    int killed;                 /* why the parent killed it: TASK_CANCELLED, TASK_TIMEOUT, 0 */
};

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

/* ---- in the parent ---- */

static int pool_spawn(struct pool *pl, unsigned k, uint64_t lo, uint64_t hi)
{
    struct pool_slot *s = &pl->sh->slots[k];
    atomic_store(&s->cur, POOL_NONE);
    atomic_store(&s->claiming, POOL_NONE);
    atomic_store(&s->lo, lo);
    atomic_store(&s->hi, hi);
    s->wid = ++pl->last_wid;
    pl->workers[k].killed = 0;
    pl->spawning = k;
    return child_spawn(&pl->cs, &pl->workers[k].c, k, pool_worker_main, pl);
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
        if (wk->c.pid <= 0 || wk->killed || !pool_task_in_flight(pl, k, &i))
            continue;
        double st;
        __atomic_load(&pl->results[i].start_s, &st, __ATOMIC_RELAXED);
        if (st < 0)
            continue;
        double due = p->t0 + st + limit;
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
    child_set_destroy(&pl->cs);
    shm_free(pl->sh, pl->sh_size);
    shm_free((void *)pl->state, pl->state_size);
    free(pl->workers);
}

static int process_pool_run(const struct workload *w, void *ctx, const struct run_params *p,
                            struct task_result *results)
{
    struct pool pl = {
        .w = w, .ctx = ctx, .p = p, .child_params = *p, .results = results, .n = p->tasks,
        .chunk = p->chunk,
    };
    int err;

    pl.child_params.cancel = NULL;
    pl.nw = p->concurrency ? p->concurrency : 1;
    if (pl.nw > pl.n)
        pl.nw = pl.n;
    unsigned budget = child_fd_budget();
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
            if (pl.workers[k].c.pid <= 0)
                continue;
            memset(&ru, 0, sizeof ru);
            child_reap(&pl.cs, &pl.workers[k].c, &wstatus, &ru);
            child_note_rusage(p->stats, &ru);
            alive--;
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

const struct model model_process_pool = {
    .name = "process-pool",
    .summary = "W forked workers created once take tasks from a shared counter (-j W)",
    .order = 5,
    .color = "#e69f00",
    .pool = true,
    .forks = true,
    .conc = MODEL_CONC_POOL,
    .dispatch_s = 3e-6,
    .cost_text = "a claim of a chunk of task indices from a counter in shared memory by one of "
                 "W long-lived forked workers",
    .run = process_pool_run,
};
