/* batch.c — one batch of one cell (batch.h): used by `concbench run` and by the tests. */
#include "harness/batch.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "harness/machine.h"

#include "runtime/clock.h"
#include "runtime/event.h"
#include "runtime/shm.h"

struct usage_snapshot {
    struct rusage self, children;
};

static void snapshot(struct usage_snapshot *s)
{
    getrusage(RUSAGE_SELF, &s->self);
    getrusage(RUSAGE_CHILDREN, &s->children);
}

static double tv(const struct timeval *t)
{
    return (double)t->tv_sec + (double)t->tv_usec * 1e-6;
}

/* CPU time, context switches and peak memory of the batch: self plus children, after − before. */
static void usage_delta(const struct usage_snapshot *a, const struct usage_snapshot *b,
                        struct record *rec)
{
    rec->cpu_user_s = tv(&b->self.ru_utime) - tv(&a->self.ru_utime) +
                      tv(&b->children.ru_utime) - tv(&a->children.ru_utime);
    rec->cpu_sys_s = tv(&b->self.ru_stime) - tv(&a->self.ru_stime) +
                     tv(&b->children.ru_stime) - tv(&a->children.ru_stime);
    rec->ctx_voluntary = (b->self.ru_nvcsw - a->self.ru_nvcsw) +
                         (b->children.ru_nvcsw - a->children.ru_nvcsw);
    rec->ctx_involuntary = (b->self.ru_nivcsw - a->self.ru_nivcsw) +
                           (b->children.ru_nivcsw - a->children.ru_nivcsw);
    rec->max_rss_kb = b->self.ru_maxrss;
    if (rec->stats.children_max_rss_kb == 0)
        rec->stats.children_max_rss_kb = b->children.ru_maxrss;
}

/* ---- memory per task in flight ---- */

/* The "Key:  N kB" figure of /proc/self/status, or -1. Read with a stack buffer: no heap page
 * is touched by the measurement itself. */
static long status_kb(const char *key)
{
    char buf[8192];
    int fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t n, got = 0;
    while (got < (ssize_t)sizeof buf - 1 && (n = read(fd, buf + got, sizeof buf - 1 - got)) > 0)
        got += n;
    close(fd);
    buf[got > 0 ? got : 0] = '\0';
    size_t kl = strlen(key);
    for (char *l = buf; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
        if (strncmp(l, key, kl) == 0 && l[kl] == ':')
            return strtol(l + kl + 1, NULL, 10);
    return -1;
}

/* Reset the process's peak RSS (VmHWM) to its current RSS (Linux 4.0+); false when refused. */
static bool reset_peak_rss(void)
{
    int fd = open("/proc/self/clear_refs", O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    bool ok = write(fd, "5", 1) == 1;
    close(fd);
    return ok;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* The most tasks that were in flight at once, from the tasks' own start and end offsets (a
 * model that starts every task at once may still not have them all in flight together: a
 * thread a task can take longer to create than a short task lasts; and a model may hold a
 * task's memory, a thread and its stack, before and after the task's own interval). 0 when
 * unknown. */
static unsigned peak_in_flight(const struct task_result *rs, unsigned n)
{
    double *st = malloc(2 * (size_t)n * sizeof *st + 1), *en = st + n;
    size_t m = 0;
    if (!st)
        return 0;
    for (unsigned i = 0; i < n; i++)
        if (rs[i].start_s >= 0 && rs[i].end_s >= rs[i].start_s) {
            st[m] = rs[i].start_s;
            en[m++] = rs[i].end_s;
        }
    qsort(st, m, sizeof *st, cmp_double);
    qsort(en, m, sizeof *en, cmp_double);
    /* Merge: a task ending at the instant another starts still counts as in flight with it
     * (never below the truth). Only ends strictly before st[a] are taken, all of tasks that
     * started before it, so `now` never goes below 0. */
    unsigned now = 0, peak = 0;
    for (size_t a = 0, b = 0; a < m;) {
        if (b < m && en[b] < st[a]) {
            now--;
            b++;
        } else if (++now > peak) {
            peak = now;
            a++;
        } else {
            a++;
        }
    }
    free(st);
    return peak;
}

/* The record's memory per task in flight, once the batch has ended: the growth of the peak
 * over the RSS before the first dispatch, divided by the most tasks in flight; for a model
 * whose tasks run in child processes, the children's summed peak RSS per child (one child a
 * task started, or the pool's workers and their replacements). */
static void rss_per_task(struct record *rec, const struct run_params *p,
                         const struct task_result *rs)
{
    const struct model *m = rec->model;
    unsigned in_flight = p->concurrency < p->tasks ? p->concurrency : p->tasks;
    if (rec->stats.conc_reached && rec->stats.conc_reached < in_flight)
        in_flight = rec->stats.conc_reached;
    rec->tasks_seen = peak_in_flight(rs, p->tasks);
    rec->tasks_in_flight = in_flight ? in_flight : 1;
    rec->rss_growth_kb = rec->rss_peak_kb >= 0 && rec->rss_before_kb >= 0
                             ? (rec->rss_peak_kb > rec->rss_before_kb
                                    ? rec->rss_peak_kb - rec->rss_before_kb : 0)
                             : -1;
    rec->children = 0;
    rec->rss_per_task_kb = NAN;
    if (m->forks) {
        rec->rss_basis = "children";
        if (m->pool) {
            unsigned w = rec->stats.conc_reached ? rec->stats.conc_reached : p->concurrency;
            rec->children = w + rec->stats.workers_replaced;
        } else {
            for (unsigned i = 0; i < p->tasks; i++)
                rec->children += rs[i].start_s >= 0 || rs[i].status != TASK_NOT_STARTED;
        }
        if (rec->children && rec->stats.children_sum_rss_kb > 0)
            rec->rss_per_task_kb = (double)rec->stats.children_sum_rss_kb / rec->children;
    } else {
        rec->rss_basis = "process";
        if (rec->rss_growth_kb >= 0)
            rec->rss_per_task_kb = (double)rec->rss_growth_kb / rec->tasks_in_flight;
    }
}

static size_t results_size(const struct run_params *p)
{
    return (size_t)p->tasks * sizeof(struct task_result);
}

static size_t errors_size(const struct run_params *p)
{
    return (size_t)p->tasks * sizeof(struct task_error);
}

int batch_run(struct record *rec, struct run_params *p, char *err, size_t errlen)
{
    const struct workload *w = rec->workload;
    const struct model *m = rec->model;

    memset(&rec->stats, 0, sizeof rec->stats);
    rec->params = p;
    rec->ctx = NULL;
    rec->model_error = 0;
    p->stats = &rec->stats;
    p->workload_opts = rec->opts;
    err[0] = '\0';

    struct task_result *results = shm_alloc(results_size(p));
    struct task_error *errors = shm_alloc(errors_size(p));
    if (!results || !errors) {
        int e = errno;
        snprintf(err, errlen, "cannot allocate results for %u tasks: %s", p->tasks, strerror(e));
        if (results)
            shm_free(results, results_size(p));
        if (errors)
            shm_free(errors, errors_size(p));
        return -e;
    }
    for (unsigned i = 0; i < p->tasks; i++) {
        results[i].start_s = results[i].end_s = -1;
        results[i].index = i;
        results[i].err = &errors[i];
    }

    void *ctx = NULL;
    char why[sizeof rec->verify_buf] = "";
    int r = w->setup(rec->opts, p, &ctx, why, sizeof why);
    if (r < 0) {
        snprintf(err, errlen, "%s: %s", w->name, why[0] ? why : strerror(-r));
        shm_free(results, results_size(p));
        shm_free(errors, errors_size(p));
        return r;
    }

    /* What the model starts before the clock (mpi: its ranks); run and finish follow a 0. */
    if (m->prepare && (r = m->prepare(w, ctx, rec->opts, p, results, why, sizeof why)) < 0) {
        snprintf(err, errlen, "model %s: %s", m->name, why[0] ? why : strerror(-r));
        w->teardown(ctx);
        shm_free(results, results_size(p));
        shm_free(errors, errors_size(p));
        return r;
    }

    struct usage_snapshot before, after;
    if (p->inject_pct > 0)
        model_calibrate_inject();
    rec->cores = machine_cpus_allowed(rec->cpus, sizeof rec->cpus);
    if (!rec->cores)
        rec->cores = machine_cores_allowed();
    bool reset = reset_peak_rss();
    rec->rss_before_kb = status_kb("VmRSS");
    snapshot(&before);
    p->t0 = clock_now();
    r = event_is_set(p->cancel) && !m->prepare ? 0 : m->run(w, ctx, p, results);
    rec->wall_s = clock_now() - p->t0;
    if (rec->stats.wall_s > 0)          /* an external program's own clock (models/ext.h) */
        rec->wall_s = rec->stats.wall_s;
    snapshot(&after);
    rec->rss_peak_kb = reset ? status_kb("VmHWM") : -1;
    if (m->finish)
        m->finish(p);
    usage_delta(&before, &after, rec);
    rec->cpu_user_s += rec->stats.other_cpu_user_s;
    rec->cpu_sys_s += rec->stats.other_cpu_sys_s;
    rss_per_task(rec, p, results);
    if (r < 0) {
        rec->model_error = r;
        if (!rec->stats.note[0])
            snprintf(rec->stats.note, sizeof rec->stats.note, "model %s failed: %s", m->name,
                     strerror(-r));
    }

    rec->results = results;
    rec->ctx = ctx;
    rec->verify_buf[0] = '\0';
    rec->verified = w->verify(ctx, results, p->tasks, rec->verify_buf, sizeof rec->verify_buf);
    rec->verify_error = rec->verified ? NULL : rec->verify_buf;
    return 0;
}

void batch_end(struct record *rec)
{
    const struct run_params *p = rec->params;
    if (rec->results) {         /* set when the set-up succeeded (its ctx may be NULL) */
        rec->workload->teardown(rec->ctx);
        shm_free(rec->results[0].err, errors_size(p));
        shm_free((void *)rec->results, results_size(p));
    }
    rec->results = NULL;
    rec->ctx = NULL;
}
