/* workload.c — the workload registry, task error helpers and option look-up. */
#include "workloads/workload.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/event.h"

extern const struct workload workload_sleep, workload_count, workload_probe, workload_http;
extern const struct workload workload_thumbnail;

const struct workload *const workloads[] = {
    &workload_sleep,
    &workload_count,
    &workload_http,
    &workload_thumbnail,
    &workload_probe,
    NULL,
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

const char *workload_opt(const struct workload *w, const struct options *o, const char *name)
{
    for (unsigned k = 0; o && k < o->n; k++)
        if (strcmp(o->kv[k].name, name) == 0)
            return o->kv[k].value;
    for (const struct wopt *d = w->opts; d && d->name; d++)
        if (strcmp(d->name, name) == 0)
            return d->def;
    return NULL;
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
