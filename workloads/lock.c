/* lock.c — the lock workload: every task adds 1 to ONE shared counter C times (the tutorial's
 * Lock section), guarded by --sync:
 *   none    a relaxed atomic load, then a relaxed atomic store: no lock, so updates are lost
 *           when two tasks run at once; yet no data race in the C sense (nothing for TSan)
 *   mutex   a pthread mutex, always process-shared and robust; trylock first, so a run counts
 *           how often the lock was taken when a task wanted it (`contended`)
 *   spin    a test-and-test-and-set spinlock with a pause in the wait (`contended` counts the
 *           acquisitions whose first exchange failed)
 *   atomic  one atomic add per increment
 *   local   each task counts privately and adds its total once at the end
 * The counter and the locks live in MAP_SHARED memory allocated at set-up, before any fork, so
 * the workload works the same in threads and in forked processes and knows nothing of the
 * model. Verification: the final counter is N x C exactly, except for none, whose shortfall
 * is recorded as `lost_updates` (a finding, not a failure); `updates` is how many the tasks
 * made, `counter` what the counter holds. */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/clock.h"
#include "runtime/json.h"
#include "runtime/shm.h"
#include "workloads/workload.h"

/* Increments between two looks at the cancel flag and the deadline. */
#define LOCK_CHECK_EVERY (1u << 16)

enum lock_sync { SYNC_NONE, SYNC_MUTEX, SYNC_SPIN, SYNC_ATOMIC, SYNC_LOCAL };
static const char *const lock_syncs[] = { "none", "mutex", "spin", "atomic", "local", NULL };

/* Shared by every task, threads or processes: each on its own cache line. */
struct lock_shared {
    uint64_t counter __attribute__((aligned(64)));  /* __atomic_* only */
    pthread_mutex_t mu __attribute__((aligned(64)));
    int spin __attribute__((aligned(64)));          /* 0 free, 1 held; __atomic_* only */
    uint64_t contended __attribute__((aligned(64)));/* __atomic_* only */
};

struct lock_ctx {
    enum lock_sync sync;
    uint64_t count;         /* C */
    struct lock_shared *sh;
    bool mutex_ready;
};

static int lock_setup(const struct options *o, const struct run_params *p, void **ctx,
                      char *err, size_t errlen)
{
    extern const struct workload workload_lock;
    const struct wopt *d = wopt_find(workload_lock.opts, "sync");
    int s = wopt_choice(d, workload_opt(&workload_lock, o, "sync"));
    struct lock_ctx *c = calloc(1, sizeof *c);
    pthread_mutexattr_t a;
    int e;
    (void)p;

    if (s < 0) {
        snprintf(err, errlen, "unknown --sync '%s'", workload_opt(&workload_lock, o, "sync"));
        free(c);
        return -EINVAL;
    }
    if (!c || !(c->sh = shm_alloc(sizeof *c->sh))) {
        snprintf(err, errlen, "out of memory");
        free(c);
        return -ENOMEM;
    }
    c->sync = (enum lock_sync)s;
    c->count = workload_opt_u64(&workload_lock, o, "increments");
    if ((e = pthread_mutexattr_init(&a)) == 0) {
        if (!(e = pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED)) &&
            !(e = pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST)))
            e = pthread_mutex_init(&c->sh->mu, &a);
        pthread_mutexattr_destroy(&a);
    }
    if (e) {
        snprintf(err, errlen, "cannot make a process-shared robust mutex: %s", strerror(e));
        shm_free(c->sh, sizeof *c->sh);
        free(c);
        return -e;
    }
    c->mutex_ready = true;
    *ctx = c;
    return 0;
}

static inline void cpu_pause(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ volatile("yield");
#endif
}

/* Take the mutex; true when it was held by someone else first. A holder that died (robust
 * mutex) leaves it consistent again: its increment is one store, done or not. */
static bool mutex_take(pthread_mutex_t *mu)
{
    int e = pthread_mutex_trylock(mu);
    bool waited = false;
    if (e == EBUSY) {
        waited = true;
        e = pthread_mutex_lock(mu);
    }
    if (e == EOWNERDEAD)
        pthread_mutex_consistent(mu);
    return waited;
}

static bool spin_take(int *l)
{
    if (!__atomic_exchange_n(l, 1, __ATOMIC_ACQUIRE))
        return false;
    do {
        while (__atomic_load_n(l, __ATOMIC_RELAXED))
            cpu_pause();
    } while (__atomic_exchange_n(l, 1, __ATOMIC_ACQUIRE));
    return true;
}

/* n private additions the compiler can neither fold nor vectorize (as count.c does). */
__attribute__((noinline)) static uint64_t local_adds(uint64_t c, uint64_t n)
{
    uint64_t one = 1;
    __asm__("" : "+r"(one));
    for (uint64_t k = 0; k < n; k++) {
        c += one;
        __asm__ volatile("" : "+r"(c));
    }
    return c;
}

/* n increments of the shared counter under the run's strategy; returns the lock waits seen. */
static uint64_t lock_steps(struct lock_ctx *c, uint64_t n)
{
    struct lock_shared *sh = c->sh;
    uint64_t waits = 0;
    switch (c->sync) {
    case SYNC_NONE:
        for (uint64_t k = 0; k < n; k++) {
            uint64_t v = __atomic_load_n(&sh->counter, __ATOMIC_RELAXED);
            __atomic_store_n(&sh->counter, v + 1, __ATOMIC_RELAXED);
        }
        break;
    case SYNC_MUTEX:
        for (uint64_t k = 0; k < n; k++) {
            waits += mutex_take(&sh->mu);
            uint64_t v = __atomic_load_n(&sh->counter, __ATOMIC_RELAXED);
            __atomic_store_n(&sh->counter, v + 1, __ATOMIC_RELAXED);
            pthread_mutex_unlock(&sh->mu);
        }
        break;
    case SYNC_SPIN:
        for (uint64_t k = 0; k < n; k++) {
            waits += spin_take(&sh->spin);
            uint64_t v = __atomic_load_n(&sh->counter, __ATOMIC_RELAXED);
            __atomic_store_n(&sh->counter, v + 1, __ATOMIC_RELAXED);
            __atomic_store_n(&sh->spin, 0, __ATOMIC_RELEASE);
        }
        break;
    case SYNC_ATOMIC:
        for (uint64_t k = 0; k < n; k++)
            __atomic_fetch_add(&sh->counter, 1, __ATOMIC_RELAXED);
        break;
    case SYNC_LOCAL:
        __atomic_fetch_add(&sh->counter, local_adds(0, n), __ATOMIC_RELAXED);
        break;
    }
    return waits;
}

static int lock_run(void *ctx, unsigned i, const struct task_env *env, struct task_result *r)
{
    struct lock_ctx *c = ctx;
    uint64_t done = 0, waits = 0;

    while (done < c->count) {
        uint64_t step = c->count - done;
        if (step > LOCK_CHECK_EVERY)
            step = LOCK_CHECK_EVERY;
        waits += lock_steps(c, step);
        done += step;
        if (done < c->count) {
            int st = task_interrupted(env, clock_now());
            if (st != TASK_OK) {
                r->value = done;
                r->extra[0] = (int64_t)waits;
                __atomic_fetch_add(&c->sh->contended, waits, __ATOMIC_RELAXED);
                return task_fail(r, st, st == TASK_TIMEOUT ? "timeout" : "cancelled",
                                 "task %u: %s after %llu of %llu increments", i,
                                 st == TASK_TIMEOUT ? "timeout" : "cancelled",
                                 (unsigned long long)done, (unsigned long long)c->count);
            }
        }
    }
    r->value = done;
    r->extra[0] = (int64_t)waits;
    __atomic_fetch_add(&c->sh->contended, waits, __ATOMIC_RELAXED);
    return TASK_OK;
}

/* The increments the tasks made (their values: C each when all ran to the end). */
static uint64_t lock_made(const struct task_result *rs, unsigned n)
{
    uint64_t made = 0;
    for (unsigned i = 0; i < n; i++)
        made += rs[i].value;
    return made;
}

static bool lock_verify(void *ctx, const struct task_result *rs, unsigned n, char *why,
                        size_t len)
{
    struct lock_ctx *c = ctx;
    for (unsigned i = 0; i < n; i++) {
        if (rs[i].status != TASK_OK) {
            snprintf(why, len, "task %u: %s", i, task_status_name(rs[i].status));
            return false;
        }
        if (rs[i].value != c->count) {
            snprintf(why, len, "task %u made %llu increments, expected %llu", i,
                     (unsigned long long)rs[i].value, (unsigned long long)c->count);
            return false;
        }
    }
    uint64_t want = (uint64_t)n * c->count;
    uint64_t got = __atomic_load_n(&c->sh->counter, __ATOMIC_ACQUIRE);
    /* none loses updates by design: fewer is the finding; more would be a bug. */
    if (got == want || (c->sync == SYNC_NONE && got < want))
        return true;
    snprintf(why, len, "the shared counter is %llu after %u x %llu increments (--sync %s)",
             (unsigned long long)got, n, (unsigned long long)c->count, lock_syncs[c->sync]);
    return false;
}

static void lock_report(void *ctx, const struct task_result *rs, unsigned n, struct json_out *j)
{
    struct lock_ctx *c = ctx;
    uint64_t made = lock_made(rs, n);
    uint64_t got = __atomic_load_n(&c->sh->counter, __ATOMIC_ACQUIRE);
    json_key_str(j, "sync", lock_syncs[c->sync]);
    json_key_uint(j, "updates", made);
    json_key_uint(j, "counter", got);
    json_key_uint(j, "lost_updates", got < made ? made - got : 0);
    if (c->sync == SYNC_MUTEX || c->sync == SYNC_SPIN)
        json_key_uint(j, "contended", __atomic_load_n(&c->sh->contended, __ATOMIC_RELAXED));
}

static void lock_teardown(void *ctx)
{
    struct lock_ctx *c = ctx;
    if (c->mutex_ready)
        pthread_mutex_destroy(&c->sh->mu);
    shm_free(c->sh, sizeof *c->sh);
    free(c);
}

static const struct wopt lock_opts[] = {
    { "increments", WOPT_UINT, "1000000", 0, UINT64_MAX / 2,
      "increments of the shared counter per task", NULL },
    { "sync", WOPT_ENUM, "mutex", 0, 0,
      "how the counter is guarded: none|mutex|spin|atomic|local", lock_syncs },
    { 0 },
};

/* local: the tasks share nothing until their one add at the end, so the CPU rule holds
 * (t1 x ceil(N / min(parallel, cores))). The others: none known. Every increment of one
 * counter passes through one cache line, so parallel tasks cannot beat one task at a time; the
 * measurement is what they pay on top, and no formula stands in for it. */
static double lock_ideal(const struct workload *w, const struct options *o,
                         const struct ideal_in *in)
{
    const char *s = workload_opt(w, o, "sync");
    return s && strcmp(s, "local") == 0 ? workload_ideal_cpu(in) : NAN;
}

const struct workload workload_lock = {
    .name = "lock",
    .summary = "each task adds 1 to one shared counter C times (--increments, default 10^6) "
               "under --sync none|mutex|spin|atomic|local",
    .kind = &workload_kind_contended,
    .shared_state = true,
    .label = "one shared counter",
    .order = 1,
    .opts = lock_opts,
    .sweep = {
        [WL_SCALE_QUICK] = { "--sync mutex --increments 100000", "--increments 20000" },
        [WL_SCALE_DEFAULT] = { "--sync mutex --increments 250000", "--increments 100000" },
    },
    .ideal_s = lock_ideal,
    .setup = lock_setup,
    .run = lock_run,
    .verify = lock_verify,
    .report = lock_report,
    .teardown = lock_teardown,
};
