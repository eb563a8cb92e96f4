/* sweep_profile.c — the sweep's profiles (default, quick, test) and the cells they make from
 * the workloads and models this binary has registered. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/sweep.h"
#include "models/model.h"
#include "workloads/workload.h"

#define MAXV 10

/* One workload's parameters in a profile. */
struct wl_params {
    const char *workload;
    const char *args;           /* workload arguments: headline, task sweep, timeline */
    const char *conc_args;      /* for the concurrency sweep; NULL: args */
    unsigned tasks_n[MAXV];     /* the task-count sweep, 0-terminated */
    unsigned single_max_n;      /* single joins the task sweep only up to this N */
    unsigned async_extra_n;     /* one more N for async alone; 0: none */
    unsigned conc_n;            /* N of the concurrency sweep */
    unsigned conc_j[MAXV];      /* -j of the concurrency sweep, 0-terminated */
};

struct profile_def {
    const char *name;
    unsigned runs;              /* default R */
    unsigned headline_n;        /* N of the headline grid */
    unsigned headline_io_j;     /* -j of the I/O-bound headline (CPU-bound: cores) */
    unsigned tasks_io_pool_j;   /* pool size in the I/O task sweep; other models run uncapped */
    unsigned timeline_n, timeline_j;
    const char *overhead_workload, *overhead_args;
    unsigned overhead_n;        /* no-op tasks per run */
    unsigned overhead_fork_n;   /* the same for a model that forks one process a task */
    bool hyperfine;
    const char *workloads[6];   /* the workloads it measures, in order, NULL-terminated */
    struct wl_params params[6]; /* parameters by workload name, NULL-terminated */
    /* Explicit cells instead of the grid (the fault-injection test profile). */
    struct {
        int part;
        const char *workload, *model;
        unsigned tasks, jobs;
        const char *args;
    } cells[8];
};

/* The models every profile names, in chart order. Registered models not listed here follow. */
static const char *const canon_models[] = {
    "single", "threads", "thread-pool", "processes", "process-pool", "async", NULL,
};

/* Sizes: the default profile must finish within 10 minutes on a 2-core machine, the quick one
 * within 60 s; `concbench sweep --dry-run` prints the estimate of each. */
static const struct profile_def profiles[] = {
    {
        .name = "default", .runs = 5, .headline_n = 16, .headline_io_j = 16,
        .tasks_io_pool_j = 64, .timeline_n = 16, .timeline_j = 4,
        .overhead_workload = "count", .overhead_args = "--count 0",
        .overhead_n = 10000, .overhead_fork_n = 1000, .hyperfine = true,
        .workloads = { "sleep", "http", "count", "thumbnail", NULL },
        .params = {
            { "sleep", "--sleep-ms 50", "--sleep-ms 10", { 1, 10, 100, 1000 }, 16, 10000, 64,
              { 1, 2, 4, 8, 16, 32, 64 } },
            { "http", "--sleep-ms 50", "--sleep-ms 10", { 1, 10, 100, 1000 }, 16, 0, 64,
              { 1, 2, 4, 8, 16, 32, 64 } },
            { "count", "--count 100000000", NULL, { 1, 2, 4, 8 }, 8, 0, 8, { 1, 2, 4, 8 } },
            { "thumbnail", "--corpus-size 1280x720", NULL, { 1, 2, 4, 8 }, 8, 0, 8, { 1, 2, 4, 8 } },
            { 0 },
        },
    },
    {
        .name = "quick", .runs = 3, .headline_n = 16, .headline_io_j = 16,
        .tasks_io_pool_j = 64, .timeline_n = 16, .timeline_j = 4,
        .overhead_workload = "count", .overhead_args = "--count 0",
        .overhead_n = 1000, .overhead_fork_n = 200, .hyperfine = true,
        .workloads = { "sleep", "http", "count", "thumbnail", NULL },
        .params = {
            { "sleep", "--sleep-ms 20", "--sleep-ms 5", { 1, 100 }, 1, 10000, 64,
              { 4, 16, 64 } },
            { "http", "--sleep-ms 20", "--sleep-ms 5", { 1, 100 }, 1, 0, 64, { 4, 16, 64 } },
            { "count", "--count 20000000", NULL, { 1, 8 }, 8, 0, 4, { 1, 2, 4 } },
            { "thumbnail", "--corpus-images 4 --corpus-size 480x270", NULL, { 1, 8 }, 8, 0, 4,
              { 1, 2, 4 } },
            { 0 },
        },
    },
    {
        /* For the tests: a few seconds of probe and sleep at 1 ms. */
        .name = "test", .runs = 2, .headline_n = 4, .headline_io_j = 4,
        .tasks_io_pool_j = 4, .timeline_n = 8, .timeline_j = 4,
        .overhead_workload = "count", .overhead_args = "--count 0",
        .overhead_n = 100, .overhead_fork_n = 20, .hyperfine = true,
        .workloads = { "probe", "sleep", NULL },
        .params = {
            { "probe", "--sleep-ms 1", NULL, { 0 }, 0, 0, 0, { 0 } },
            { "sleep", "--sleep-ms 1", NULL, { 1, 8 }, 8, 16, 8, { 1, 4 } },
            { 0 },
        },
    },
    {
        /* For the tests: runs that fail (a task fails; the process crashes; it hangs past
         * --run-timeout) beside one that works. */
        .name = "test-faults", .runs = 1, .hyperfine = false,
        .cells = {
            { SWEEP_HEADLINE, "probe", "single", 4, 0, "--sleep-ms 1" },
            { SWEEP_HEADLINE, "probe", "single", 4, 0, "--sleep-ms 1 --probe-fail 1" },
            { SWEEP_HEADLINE, "probe", "single", 4, 0, "--sleep-ms 1 --probe-crash 2" },
            { SWEEP_HEADLINE, "sleep", "single", 1, 0, "--sleep-ms 60000" },
        },
    },
};
#define NPROFILES (sizeof profiles / sizeof profiles[0])

const char *sweep_part_name(int part)
{
    static const char *const names[] = { "headline", "tasks", "concurrency", "overhead",
                                         "timeline" };
    return part >= 0 && part < SWEEP_NPARTS ? names[part] : "?";
}

static bool is_single(const char *model)
{
    return strcmp(model, "single") == 0;
}

unsigned sweep_effective_concurrency(const char *model, unsigned tasks, unsigned jobs,
                                     unsigned cores)
{
    const struct model *m = model_find(model);
    if (is_single(model))
        return 1;
    if (m && m->pool)
        return jobs ? jobs : cores;
    return jobs ? jobs : tasks;
}

static bool forks_per_task(const char *model)
{
    const struct model *m = model_find(model);
    return m && m->forks && !m->pool;
}

const char *sweep_cell_arg(const struct sweep_cell *c, const char *name, char *buf, size_t len)
{
    char copy[sizeof c->args], *save = NULL;
    snprintf(copy, sizeof copy, "%s", c->args);
    for (char *t = strtok_r(copy, " ", &save); t; t = strtok_r(NULL, " ", &save))
        if (t[0] == '-' && t[1] == '-' && strcmp(t + 2, name) == 0) {
            char *v = strtok_r(NULL, " ", &save);
            if (!v)
                return NULL;
            snprintf(buf, len, "%s", v);
            return buf;
        }
    return NULL;
}

static int add_note(char **list, unsigned *n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int add_note(char **list, unsigned *n, const char *fmt, ...)
{
    va_list ap;
    char buf[256];
    if (*n == SWEEP_MAX_NOTES)
        return 0;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    for (unsigned k = 0; k < *n; k++)
        if (strcmp(list[k], buf) == 0)
            return 0;
    if (!(list[*n] = strdup(buf)))
        return -ENOMEM;
    (*n)++;
    return 0;
}

/* Keep only the options workload w declares: a profile may name an option of a workload that
 * has not landed in its final form. Dropped options are noted. */
static int filter_args(const struct workload *w, const char *args, char *out, size_t len,
                       struct sweep_plan *plan)
{
    char copy[160], *save = NULL;
    size_t used = 0;
    snprintf(copy, sizeof copy, "%s", args ? args : "");
    out[0] = '\0';
    for (char *t = strtok_r(copy, " ", &save); t; t = strtok_r(NULL, " ", &save)) {
        const struct wopt *o = NULL;
        if (t[0] == '-' && t[1] == '-')
            for (o = w->opts; o && o->name && strcmp(o->name, t + 2) != 0; o++)
                ;
        if (!o || !o->name) {
            /* Undeclared: drop it and its value. */
            char *v = save && *save && save[0] != '-' ? strtok_r(NULL, " ", &save) : NULL;
            int err = add_note(plan->notes, &plan->nnotes,
                               "workload %s has no option %s: left out of its cells", w->name, t);
            if (err < 0)
                return err;
            (void)v;
            continue;
        }
        int n = snprintf(out + used, len - used, "%s%s", used ? " " : "", t);
        used += (size_t)n;
        if (o->type != WOPT_FLAG) {
            char *v = strtok_r(NULL, " ", &save);
            if (v) {
                n = snprintf(out + used, len - used, " %s", v);
                used += (size_t)n;
            }
        }
    }
    return 0;
}

struct builder {
    struct sweep_plan *plan;
    size_t cap;
};

static int add_cell(struct builder *b, int part, const struct workload *w, const char *model,
                    unsigned tasks, unsigned jobs, const char *args)
{
    struct sweep_plan *p = b->plan;
    if (p->ncells == b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 128;
        struct sweep_cell *c = realloc(p->cells, cap * sizeof *c);
        if (!c)
            return -ENOMEM;
        p->cells = c;
        b->cap = cap;
    }
    struct sweep_cell *c = &p->cells[p->ncells];
    memset(c, 0, sizeof *c);
    c->id = (unsigned)p->ncells;
    c->part = part;
    c->workload = w->name;
    c->model = model;
    c->io = w->kind->waits;
    c->tasks = tasks;
    c->jobs = is_single(model) ? 0 : jobs;
    c->concurrency = sweep_effective_concurrency(model, tasks, c->jobs, p->cores);
    int err = filter_args(w, args, c->args, sizeof c->args, p);
    if (err < 0)
        return err;
    c->hyperfine = part == SWEEP_HEADLINE && p->hyperfine;
    p->ncells++;
    return 0;
}

static const struct wl_params *params_of(const struct profile_def *d, const char *workload)
{
    for (const struct wl_params *q = d->params; q->workload; q++)
        if (strcmp(q->workload, workload) == 0)
            return q;
    return NULL;
}

/* The models of the plan: the canonical ones that are registered, then any other. */
static unsigned plan_models(const char *out[64])
{
    unsigned n = 0;
    for (const char *const *c = canon_models; *c; c++)
        if (model_find(*c) && n < 64)
            out[n++] = model_find(*c)->name;
    for (const struct model *const *m = models; *m; m++) {
        bool known = false;
        for (unsigned k = 0; k < n; k++)
            known |= strcmp(out[k], (*m)->name) == 0;
        if (!known && n < 64)
            out[n++] = (*m)->name;
    }
    return n;
}

int sweep_plan_build(const char *name, unsigned runs, unsigned cores, struct sweep_plan *plan,
                     char *err, size_t errlen)
{
    const struct profile_def *d = NULL;
    const char *ms[64];
    struct builder b = { plan, 0 };
    int e = 0;

    memset(plan, 0, sizeof *plan);
    for (size_t k = 0; k < NPROFILES; k++)
        if (strcmp(profiles[k].name, name) == 0)
            d = &profiles[k];
    if (!d) {
        snprintf(err, errlen, "unknown profile '%s'; profiles: default, quick, test, "
                 "test-faults", name);
        return -EINVAL;
    }
    plan->profile = d->name;
    plan->runs = runs ? runs : d->runs;
    plan->cores = cores ? cores : 1;
    plan->hyperfine = d->hyperfine;
    unsigned nm = plan_models(ms);

    if (d->cells[0].workload) {
        for (size_t k = 0; k < sizeof d->cells / sizeof d->cells[0] && d->cells[k].workload;
             k++) {
            const struct workload *w = workload_find(d->cells[k].workload);
            if (!w || !model_find(d->cells[k].model)) {
                e = add_note(plan->skipped, &plan->nskipped, "%s x %s: not registered",
                             d->cells[k].workload, d->cells[k].model);
            } else {
                e = add_cell(&b, d->cells[k].part, w, d->cells[k].model, d->cells[k].tasks,
                             d->cells[k].jobs, d->cells[k].args);
            }
            if (e < 0)
                goto fail;
        }
        return 0;
    }

    /* What the profile names but this binary lacks. */
    for (const char *const *wn = d->workloads; *wn; wn++) {
        bool have_w = workload_find(*wn) != NULL;
        for (const char *const *mn = canon_models; *mn; mn++) {
            bool have_m = model_find(*mn) != NULL;
            if (!have_w || !have_m)
                e = add_note(plan->skipped, &plan->nskipped, "%s x %s: %s %s not registered",
                             *wn, *mn, have_w ? "model" : "workload", have_w ? *mn : *wn);
            if (e < 0)
                goto fail;
        }
    }

    for (int part = 0; part < SWEEP_NPARTS; part++) {
        if (part == SWEEP_OVERHEAD) {
            const struct workload *w = workload_find(d->overhead_workload);
            if (!w)
                continue;
            for (unsigned k = 0; k < nm && !e; k++)
                e = add_cell(&b, part, w, ms[k],
                             forks_per_task(ms[k]) ? d->overhead_fork_n : d->overhead_n, 0,
                             d->overhead_args);
            if (e < 0)
                goto fail;
            continue;
        }
        for (const char *const *wn = d->workloads; *wn; wn++) {
            const struct workload *w = workload_find(*wn);
            const struct wl_params *q = params_of(d, *wn);
            if (!w || !q)
                continue;
            bool io = w->kind->waits;
            for (unsigned k = 0; k < nm && !e; k++) {
                const char *m = ms[k];
                const struct model *mm = model_find(m);
                bool single = is_single(m);
                switch (part) {
                case SWEEP_HEADLINE:
                    e = add_cell(&b, part, w, m, d->headline_n, io ? d->headline_io_j : plan->cores,
                                 q->args);
                    break;
                case SWEEP_TASKS: {
                    bool cut = false;
                    for (unsigned t = 0; t < MAXV && q->tasks_n[t] && !e; t++) {
                        unsigned n = q->tasks_n[t], j;
                        if (single && n > q->single_max_n) {
                            cut = true;
                            continue;
                        }
                        if (!io)
                            j = plan->cores;
                        else
                            j = mm && mm->pool ? d->tasks_io_pool_j : 0;
                        e = add_cell(&b, part, w, m, n, j, q->args);
                    }
                    if (!e && q->async_extra_n && strcmp(m, "async") == 0)
                        e = add_cell(&b, part, w, m, q->async_extra_n, 0, q->args);
                    if (!e && cut)
                        e = add_note(plan->notes, &plan->nnotes,
                                     "task-count sweep of %s: single only up to N = %u (it "
                                     "runs the tasks one after another)", *wn,
                                     q->single_max_n);
                    break;
                }
                case SWEEP_CONCURRENCY:
                    if (single || !q->conc_n)
                        break;
                    for (unsigned t = 0; t < MAXV && q->conc_j[t] && !e; t++)
                        e = add_cell(&b, part, w, m, q->conc_n, q->conc_j[t],
                                     q->conc_args ? q->conc_args : q->args);
                    break;
                case SWEEP_TIMELINE:
                    /* single at the headline size is the headline cell itself. */
                    if (single && d->timeline_n == d->headline_n)
                        break;
                    e = add_cell(&b, part, w, m, d->timeline_n, d->timeline_j, q->args);
                    break;
                }
            }
            if (e < 0)
                goto fail;
        }
    }
    return 0;
fail:
    sweep_plan_free(plan);
    snprintf(err, errlen, "out of memory");
    return e;
}

void sweep_plan_free(struct sweep_plan *plan)
{
    free(plan->cells);
    for (unsigned k = 0; k < plan->nnotes; k++)
        free(plan->notes[k]);
    for (unsigned k = 0; k < plan->nskipped; k++)
        free(plan->skipped[k]);
    memset(plan, 0, sizeof *plan);
}
