/* processes.c — the processes model: one forked child a task, at most K alive at once (-j K).
 *
 * The child runs its task with model_exec_task and writes the result straight into the results
 * array, which the harness mapped MAP_SHARED before any fork. The parent only forks, watches
 * (pidfds and the cancel event in one epoll set) and reaps; a child that ends with anything but
 * exit(0) fails its task with the reason. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <signal.h>

#include "models/child.h"
#include "models/model.h"
#include "runtime/clock.h"
#include "runtime/event.h"

struct proc_slot {
    struct child c;
    unsigned task;
    double forked;          /* CLOCK_MONOTONIC at fork */
    int killed;             /* why the parent killed it: TASK_CANCELLED, TASK_TIMEOUT, or 0 */
};

struct proc_run {
    const struct workload *w;
    void *ctx;
    struct run_params child_params;     /* what a child runs with: no cancel event */
    struct task_result *results;
    unsigned task;          /* the task of the child being forked */
};

/* In the child. The parent's cancel event lives in the parent's private memory, where setting
 * it cannot reach the child: the parent SIGKILLs instead, so the child waits on no event. */
static void proc_child(void *arg)
{
    struct proc_run *pr = arg;
    model_exec_task(pr->w, pr->ctx, &pr->child_params, pr->task, &pr->results[pr->task]);
}

/* The task's start as the child recorded it (a shared double another process writes), or -1. */
static double proc_task_start(const struct task_result *r)
{
    double s;
    __atomic_load(&r->start_s, &s, __ATOMIC_RELAXED);
    return s;
}

/* Record what became of a reaped child's task. A task is finished when the child wrote its
 * status; the child still had to end cleanly for it to count. */
static void proc_settle(const struct run_params *p, struct proc_slot *s, int wstatus,
                        struct task_result *r)
{
    double now = clock_now() - p->t0;
    unsigned i = s->task;

    if (s->killed && r->status == TASK_NOT_STARTED) {
        if (r->start_s < 0) {
            if (s->killed == TASK_CANCELLED)
                return;         /* cancelled before the task began: it never started */
            r->start_s = s->forked - p->t0;
        }
        r->end_s = now;
        if (s->killed == TASK_TIMEOUT) {
            r->status = task_fail(r, TASK_TIMEOUT, "timeout",
                                  "task %u: timeout, killed %.0f ms after its start", i,
                                  (now - r->start_s) * 1e3);
        } else {
            r->status = task_fail(r, TASK_CANCELLED, "cancelled", "task %u: cancelled", i);
        }
        return;
    }
    if (s->killed || child_clean_exit(wstatus)) {
        if (r->status == TASK_NOT_STARTED && !s->killed) {
            if (r->start_s < 0)
                r->start_s = s->forked - p->t0;
            r->end_s = now;
            r->status = task_fail(r, TASK_FAILED, "no result",
                                  "task %u: the child exited without a result", i);
        }
        return;
    }
    char why[40];
    child_status_text(wstatus, why, sizeof why);
    if (r->start_s < 0)
        r->start_s = s->forked - p->t0;
    r->end_s = now;
    r->status = task_fail(r, TASK_FAILED, why, "task %u: %s", i, why);
}

/* SIGKILL every running child, marking why. */
static void proc_kill_all(struct proc_slot *slots, unsigned cap, int why)
{
    for (unsigned k = 0; k < cap; k++)
        if (slots[k].c.pid > 0 && !slots[k].killed) {
            slots[k].killed = why;
            child_kill(&slots[k].c);
        }
}

/* The backstop for per-task timeouts: kill children whose task has run timeout + 1 s. Returns
 * the next moment one may be due (0: none running). */
static double proc_check_deadlines(const struct run_params *p, struct proc_slot *slots,
                                   unsigned cap, const struct task_result *results)
{
    double now = clock_now(), next = 0;
    double limit = p->timeout_s + 1.0;

    for (unsigned k = 0; k < cap; k++) {
        struct proc_slot *s = &slots[k];
        if (s->c.pid <= 0 || s->killed)
            continue;
        double st = proc_task_start(&results[s->task]);
        double due = (st >= 0 ? p->t0 + st : s->forked) + limit;
        if (now >= due) {
            s->killed = TASK_TIMEOUT;
            child_kill(&s->c);
        } else if (next == 0 || due < next) {
            next = due;
        }
    }
    return next;
}

static int processes_run(const struct workload *w, void *ctx, const struct run_params *p,
                         struct task_result *results)
{
    unsigned n = p->tasks;
    unsigned cap = p->concurrency ? p->concurrency : n;
    struct child_set cs;
    int err;

    if (cap > n)
        cap = n;
    unsigned budget = child_fd_budget();
    bool capped = false;
    unsigned reached = 0;
    if (cap > budget) {
        /* Each live child costs descriptors (its pidfd, its pipe): the record says what was
         * reached and why (run_stats.conc_reached, conc_cap), not what was asked. */
        snprintf(p->stats->note, sizeof p->stats->note,
                 "at most %u children at once: RLIMIT_NOFILE leaves %u descriptors", budget,
                 budget);
        snprintf(p->stats->conc_cap, sizeof p->stats->conc_cap,
                 "RLIMIT_NOFILE leaves descriptors for %u children at once", budget);
        cap = budget;
        capped = true;
    }
    /* The parent's bookkeeping, written after every fork: kept out of the children
     * (MADV_DONTFORK), so that the fork neither copies it nor write-protects it, and the
     * parent's next write is not a copy-on-write fault on a page 1,000 children share. */
    size_t book_len = cap * (sizeof(struct proc_slot) + 2 * sizeof(unsigned));
    void *book = mmap(NULL, book_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (book == MAP_FAILED)
        return -ENOMEM;
    madvise(book, book_len, MADV_DONTFORK);
    struct proc_slot *slots = book;
    unsigned *free_slots = (unsigned *)(slots + cap);
    unsigned *forked = free_slots + cap;        /* forked in this round, not yet watched */
    if ((err = child_set_init(&cs, p->cancel)) < 0) {
        munmap(book, book_len);
        return err;
    }
    for (unsigned k = 0; k < cap; k++) {
        slots[k].c.pidfd = -1;
        free_slots[k] = cap - 1 - k;
    }

    struct proc_run pr = { .w = w, .ctx = ctx, .child_params = *p, .results = results };
    pr.child_params.cancel = NULL;
    unsigned n_free = cap, running = 0, next = 0;
    bool stop = false, cancelled = false, killed_all = false;
    double next_due = 0;

    for (;;) {
        /* Fork as many children as may run, then watch them: opened after the forks, their
         * pidfds are copied into none of them (child.h). */
        unsigned n_forked = 0;
        while (!stop && running < cap && next < n) {
            if (event_is_set(p->cancel)) {
                stop = true;
                break;
            }
            unsigned k = free_slots[--n_free];
            struct proc_slot *s = &slots[k];
            if (next == 0)
                p->stats->parent_rss_kb = child_self_rss_kb();
            s->task = pr.task = next;
            s->killed = 0;
            s->forked = clock_now();
            err = child_fork(&cs, &s->c, proc_child, &pr);
            if (err < 0) {
                n_free++;
                results[next].start_s = results[next].end_s = -1;
                results[next].status = TASK_NOT_STARTED;
                snprintf(p->stats->note, sizeof p->stats->note,
                         "could not fork the child for task %u of %u: %s; tasks from %u on "
                         "not started", next, n, strerror(-err), next);
                stop = true;
                break;
            }
            forked[n_forked++] = k;
            running++;
            if (running > reached)
                reached = running;
            next++;
            if (p->timeout_s > 0 && (next_due == 0 || s->forked + p->timeout_s + 1 < next_due))
                next_due = s->forked + p->timeout_s + 1;
        }
        for (unsigned f = 0; f < n_forked; f++) {
            struct proc_slot *s = &slots[forked[f]];
            if ((err = child_watch(&cs, &s->c, forked[f])) == 0)
                continue;
            /* pidfd_open or epoll failed: that child was killed, its task may have begun; it
             * and the children forked after it (killed here too) are not started as far as the
             * record goes, and the starting stops. */
            unsigned first = s->task;
            for (unsigned g = f; g < n_forked; g++) {
                struct proc_slot *t = &slots[forked[g]];
                if (g > f) {
                    kill(t->c.pid, SIGKILL);
                    while (waitpid(t->c.pid, NULL, 0) < 0 && errno == EINTR)
                        ;
                    t->c.pid = 0;
                }
                results[t->task].start_s = results[t->task].end_s = -1;
                results[t->task].status = TASK_NOT_STARTED;
                free_slots[n_free++] = forked[g];
                running--;
            }
            snprintf(p->stats->note, sizeof p->stats->note,
                     "could not watch the child for task %u of %u: %s; tasks from %u on "
                     "not started", first, n, strerror(-err), first);
            stop = true;
            break;
        }
        if (running == 0)
            break;

        uint32_t tags[64];
        int got = child_set_wait(&cs, next_due, tags, 64, &cancelled);
        if (got < 0) {
            /* epoll itself failed: end what runs, reap it, report. */
            snprintf(p->stats->note, sizeof p->stats->note, "epoll_wait: %s", strerror(-got));
            proc_kill_all(slots, cap, TASK_CANCELLED);
            stop = killed_all = true;
            got = 0;
            for (unsigned k = 0; k < cap; k++)
                if (slots[k].c.pid > 0)
                    tags[got++] = k;        /* reaping blocks until each has died */
            if (got > 64)
                got = 64;
        }
        if (cancelled && !killed_all) {
            stop = killed_all = true;
            proc_kill_all(slots, cap, TASK_CANCELLED);
        }
        for (int t = 0; t < got; t++) {
            struct proc_slot *s = &slots[tags[t]];
            int wstatus = 0;
            struct rusage ru;
            memset(&ru, 0, sizeof ru);
            if (s->c.pid <= 0)
                continue;
            child_reap(&cs, &s->c, &wstatus, &ru);
            child_note_rusage(p->stats, &ru);
            proc_settle(p, s, wstatus, &results[s->task]);
            free_slots[n_free++] = tags[t];
            running--;
        }
        if (p->timeout_s > 0 && running > 0 && clock_now() >= next_due)
            next_due = proc_check_deadlines(p, slots, cap, results);
        else if (running == 0)
            next_due = 0;
    }

    if (capped)
        p->stats->conc_reached = reached ? reached : 1;
    child_set_destroy(&cs);
    munmap(book, book_len);
    return 0;
}

const struct model model_processes = {
    .name = "processes",
    .summary = "one forked child a task (-j K: at most K alive at once)",
    .order = 4,
    .color = "#d55e00",
    .forks = true,
    .conc = MODEL_CONC_CAP,
    .dispatch_s = 250e-6,
    .cost_text = "a fork, an exit and a wait (pidfd in epoll) per task",
    .run = processes_run,
};
