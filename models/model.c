/* model.c — the model registry and the task wrapper every model shares. */
#include "models/model.h"

#include <stdatomic.h>
#include <string.h>
#include <unistd.h>

#include "models/ext.h"
#include "runtime/clock.h"
#include "runtime/event.h"

extern const struct model model_single;
extern const struct model model_async;
extern const struct model model_async_uring;
extern const struct model model_threads;
extern const struct model model_thread_pool;
extern const struct model model_processes;
extern const struct model model_process_pool;
extern const struct model model_mpi;
extern const struct model model_inline;         /* tests/model_inline.c, the proof build only */

const struct model *const models[] = {
    &model_single,
    &model_threads,
    &model_thread_pool,
    &model_processes,
    &model_process_pool,
    &model_async,
    &model_async_uring,
    &model_mpi,
#ifdef CONCBENCH_TEST_ENTRIES
    &model_inline,
#endif
    NULL,
};

const struct model *model_find(const char *name)
{
    for (const struct model *const *m = models; *m; m++)
        if (strcmp((*m)->name, name) == 0)
            return *m;
    return ext_find(name);      /* external models (models/ext.h): by name only */
}

const struct model *model_serial(void)
{
    for (const struct model *const *m = models; *m; m++)
        if ((*m)->serial)
            return *m;
    return NULL;
}

bool model_available(const struct model *m, char *why, size_t len)
{
    if (len)
        why[0] = '\0';
    return !m->available || m->available(why, len);
}

const char *model_opt(const struct model *m, const struct run_params *p, const char *name)
{
    return wopt_value(m->opts, p ? p->model_opts : NULL, name);
}

unsigned model_concurrency(const struct model *m, unsigned tasks, unsigned jobs, unsigned cores)
{
    switch (m->conc) {
    case MODEL_CONC_ONE:
        return 1;
    case MODEL_CONC_POOL:
        return jobs ? jobs : (cores ? cores : 1);
    case MODEL_CONC_CAP:
        break;
    }
    return jobs ? jobs : tasks;
}

unsigned model_parallelism(const struct model *m, const struct workload *w, unsigned concurrency)
{
    if (m->conc == MODEL_CONC_ONE || (m->cpu_inline && w && !w->start))
        return 1;
    return concurrency ? concurrency : 1;
}

struct task_env model_task_env(const struct run_params *p, double now)
{
    struct task_env env = {
        .cancel = p->cancel,
        .deadline = p->timeout_s > 0 ? now + p->timeout_s : 0,
    };
    return env;
}

/* Calibration (--inject-overhead-pct): busy work equal to pct % of each task's own duration.
 * Above INJECT_CLOCK_S it spins on the clock (exact in time); below, where a clock read would
 * cost more than the work asked for (a no-op task lasts nanoseconds), it runs a counted loop
 * at the rate model_calibrate_inject measured before the batch. */
#define INJECT_CLOCK_S 10e-6
static double inject_rate;      /* loop iterations a second; 0: not calibrated */

static void inject_spin(uint64_t n)
{
    uint64_t x = 0;
    for (uint64_t k = 0; k < n; k++) {
        x++;
        __asm__ volatile("" : "+r"(x));
    }
}

void model_calibrate_inject(void)
{
    double best = 0;
    for (int t = 0; t < 5; t++) {
        const uint64_t n = 1u << 18;
        double a = clock_now();
        inject_spin(n);
        double b = clock_now();
        if (b > a && (double)n / (b - a) > best)
            best = (double)n / (b - a);
    }
    inject_rate = best;
}

/* The injections this thread made lately, [s, e] in CLOCK_MONOTONIC seconds, oldest first. An
 * event loop finishes many tasks on one thread: the busy work added for one task must not
 * count as part of the next task's own duration, or the overhead would feed on itself
 * (25 % of a duration that grows by 25 % a task). */
#define INJECT_HISTORY 64
static __thread struct {
    double s[INJECT_HISTORY], e[INJECT_HISTORY];
    unsigned n;
} inject_hist;

/* Busy work this thread injected after `start`. */
static double injected_since(double start)
{
    double sum = 0;
    unsigned n = inject_hist.n < INJECT_HISTORY ? inject_hist.n : INJECT_HISTORY;
    for (unsigned k = 0; k < n; k++) {
        unsigned i = (inject_hist.n - 1 - k) % INJECT_HISTORY;
        if (inject_hist.e[i] <= start)
            break;
        sum += inject_hist.e[i] - (inject_hist.s[i] > start ? inject_hist.s[i] : start);
    }
    return sum;
}

/* Adds the overhead; returns the time it took (or should have taken, for the counted loop). */
static double inject_overhead(const struct run_params *p, double start, double end)
{
    double own = end - start - injected_since(start);
    double extra = own * p->inject_pct / 100.0, took;
    if (extra <= 0)
        return 0;
    if (extra < INJECT_CLOCK_S && inject_rate > 0) {
        inject_spin((uint64_t)(extra * inject_rate));
        took = extra;
    } else {
        double now, until = end + extra;
        while ((now = clock_now()) < until)
            inject_spin(64);
        took = now - end;
    }
    unsigned i = inject_hist.n++ % INJECT_HISTORY;
    inject_hist.s[i] = end;
    inject_hist.e[i] = end + took;
    return took;
}

void model_finish_task(const struct run_params *p, struct task_result *r, int status)
{
    double end = clock_now();
    if (p->inject_pct > 0)
        end += inject_overhead(p, p->t0 + r->start_s, end);
    r->end_s = end - p->t0;
    r->status = status;
}

/* run --ready-fd (tests only): one byte once the first task of the batch has started, so a test
 * signals a run that is really running instead of guessing with a delay. The flag is per
 * process: a forked child that starts a task before the parent has written may write too, so
 * the contract is "at least one byte", never "exactly one". */
static int ready_fd = -1;
static atomic_bool ready_sent;

void model_set_ready_fd(int fd)
{
    ready_fd = fd;
    atomic_store(&ready_sent, false);
}

void model_task_started(void)
{
    if (ready_fd >= 0 && !atomic_load_explicit(&ready_sent, memory_order_relaxed) &&
        !atomic_exchange(&ready_sent, true)) {
        char b = 'r';
        ssize_t n = write(ready_fd, &b, 1);     /* a reader gone (EPIPE) is no error of ours */
        (void)n;
    }
}

int model_exec_task(const struct workload *w, void *ctx, const struct run_params *p, unsigned i,
                    struct task_result *r)
{
    if (event_is_set(p->cancel))
        return TASK_NOT_STARTED;        /* cancelled before it started: stays not_started */

    double start = clock_now();
    struct task_env env = model_task_env(p, start);

    r->start_s = start - p->t0;
    model_task_started();
    int status = w->run(ctx, i, &env, r);
    model_finish_task(p, r, status);
    return status;
}
