/* batch.c — one batch of one cell (batch.h): used by `concbench run` and by the tests. */
#include "harness/batch.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

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
    snapshot(&before);
    p->t0 = clock_now();
    r = event_is_set(p->cancel) && !m->prepare ? 0 : m->run(w, ctx, p, results);
    rec->wall_s = clock_now() - p->t0;
    snapshot(&after);
    if (m->finish)
        m->finish(p);
    usage_delta(&before, &after, rec);
    rec->cpu_user_s += rec->stats.other_cpu_user_s;
    rec->cpu_sys_s += rec->stats.other_cpu_sys_s;
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
