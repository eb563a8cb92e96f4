/* workload.c — the workload registry, task error helpers and option look-up. */
#include "workloads/workload.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/event.h"

extern const struct workload workload_sleep, workload_count, workload_probe, workload_http;
extern const struct workload workload_thumbnail, workload_spin, workload_lock;

const struct workload *const workloads[] = {
    &workload_sleep,
    &workload_count,
    &workload_http,
    &workload_thumbnail,
    &workload_lock,
    &workload_probe,
#ifdef CONCBENCH_TEST_ENTRIES
    &workload_spin,     /* tests/workload_spin.c, the proof build only */
#endif
    NULL,
};

const struct workload_kind workload_kind_io = {
    .name = "io", .label = "I/O-bound", .order = 1, .waits = true,
};
const struct workload_kind workload_kind_cpu = {
    .name = "cpu", .label = "CPU-bound", .order = 2, .waits = false,
};

const struct workload_kind workload_kind_contended = {
    .name = "contended", .label = "contended", .order = 3, .waits = false,
};

const struct workload *workload_find(const char *name)
{
    for (const struct workload *const *w = workloads; *w; w++)
        if (strcmp((*w)->name, name) == 0)
            return *w;
    return NULL;
}

const char *task_status_name(int status)
{
    switch (status) {
    case TASK_NOT_STARTED: return "not_started";
    case TASK_OK:          return "ok";
    case TASK_FAILED:      return "failed";
    case TASK_TIMEOUT:     return "timeout";
    case TASK_CANCELLED:   return "cancelled";
    }
    return "unknown";
}

int task_fail(struct task_result *r, int status, const char *kind, const char *fmt, ...)
{
    if (r->err) {
        va_list ap;
        snprintf(r->err->kind, sizeof r->err->kind, "%s", kind);
        va_start(ap, fmt);
        vsnprintf(r->err->msg, sizeof r->err->msg, fmt, ap);
        va_end(ap);
    }
    return status;
}

int task_interrupted(const struct task_env *env, double now)
{
    if (event_is_set(env->cancel))
        return TASK_CANCELLED;
    if (env->deadline > 0 && now >= env->deadline)
        return TASK_TIMEOUT;
    return TASK_OK;
}

int wopt_choice(const struct wopt *d, const char *v)
{
    for (int k = 0; d && d->choices && v && d->choices[k]; k++)
        if (strcmp(d->choices[k], v) == 0)
            return k;
    return -1;
}

const struct wopt *wopt_find(const struct wopt *table, const char *name)
{
    for (const struct wopt *d = table; d && d->name; d++)
        if (strcmp(d->name, name) == 0)
            return d;
    return NULL;
}

const char *wopt_value(const struct wopt *table, const struct options *o, const char *name)
{
    for (unsigned k = 0; o && k < o->n; k++)
        if (strcmp(o->kv[k].name, name) == 0)
            return o->kv[k].value;
    const struct wopt *d = wopt_find(table, name);
    return d ? d->def : NULL;
}

const char *workload_opt(const struct workload *w, const struct options *o, const char *name)
{
    return wopt_value(w->opts, o, name);
}

uint64_t workload_opt_u64(const struct workload *w, const struct options *o, const char *name)
{
    const char *v = workload_opt(w, o, name);
    return v ? strtoull(v, NULL, 10) : 0;
}

bool workload_opt_flag(const struct options *o, const char *name)
{
    for (unsigned k = 0; o && k < o->n; k++)
        if (strcmp(o->kv[k].name, name) == 0)
            return true;
    return false;
}

double workload_ideal_wait(double wait_s, const struct ideal_in *in)
{
    unsigned par = in->parallel ? in->parallel : 1;
    if (!(wait_s >= 0) || in->tasks == 0)
        return NAN;
    return ceil((double)in->tasks / par) * wait_s;
}

double workload_ideal_cpu(const struct ideal_in *in)
{
    unsigned par = in->parallel ? in->parallel : 1;
    if (in->cores && par > in->cores)
        par = in->cores;
    if (!(in->t1 > 0) || in->tasks == 0)
        return NAN;
    return in->t1 * ceil((double)in->tasks / par);
}

double workload_ideal(const struct workload *w, const struct options *o, const struct ideal_in *in)
{
    return w && w->ideal_s ? w->ideal_s(w, o, in) : NAN;
}
