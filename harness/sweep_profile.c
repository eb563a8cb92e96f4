/* sweep_profile.c — the sweep's plan from a profile file (harness/profile.c reads it): the
 * cells in the sweep's order, and small helpers on cells. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/profile.h"
#include "harness/sweep.h"
#include "harness/text.h"
#include "models/model.h"
#include "workloads/workload.h"

#define PROFILE_DEFAULT_RUNS 5

_Static_assert((int)SWEEP_USER == (int)PROFILE_USER && (int)SWEEP_NPARTS == (int)PROFILE_GATE,
               "the sweep's parts are the profile's first ones");

const char *sweep_part_name(int part)
{
    return part >= 0 && part < SWEEP_NPARTS ? profile_part_name(part) : "?";
}

unsigned sweep_effective_concurrency(const char *model, unsigned tasks, unsigned jobs,
                                     unsigned cores)
{
    const struct model *m = model_find(model);
    return m ? model_concurrency(m, tasks, jobs, cores) : jobs ? jobs : tasks;
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

/* The sweep's order: by part, then workload in the order the profile first names it, then
 * model in chart order (the registry's `order`), then as the profile lists them. */
struct keyed {
    const struct profile_cell *c;
    unsigned wrank;
    size_t seq;
};

static int keyed_cmp(const void *a, const void *b)
{
    const struct keyed *x = a, *y = b;
    if (x->c->part != y->c->part)
        return x->c->part < y->c->part ? -1 : 1;
    if (x->wrank != y->wrank)
        return x->wrank < y->wrank ? -1 : 1;
    if (x->c->m->order != y->c->m->order)
        return x->c->m->order < y->c->m->order ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static int copy_notes(char *const *from, unsigned n, char **to, unsigned *nto)
{
    for (unsigned k = 0; k < n && *nto < SWEEP_MAX_NOTES; k++) {
        if (!(to[*nto] = strdup(from[k])))
            return -ENOMEM;
        (*nto)++;
    }
    return 0;
}

/* The plan of a parsed profile p (freed here). */
static int plan_from_profile(struct profile *pp, const char *name, unsigned runs, unsigned cores,
                             struct sweep_plan *plan, char *err, size_t errlen)
{
    struct profile p = *pp;
    struct keyed *order = NULL;
    int e;
    for (size_t k = 0; k < p.ncells; k++)
        if (p.cells[k].part >= SWEEP_NPARTS) {
            snprintf(err, errlen, "%s:%u: part '%s' is not one the sweep runs (headline, "
                     "tasks, concurrency, overhead, timeline, user)", p.path, p.cells[k].line,
                     profile_part_name(p.cells[k].part));
            profile_free(&p);
            return -EINVAL;
        }
    e = -ENOMEM;
    plan->profile = strdup(name);
    plan->runs = runs ? runs : p.runs ? p.runs : PROFILE_DEFAULT_RUNS;
    plan->cores = cores;
    plan->hyperfine = p.hyperfine;
    plan->cells = calloc(p.ncells ? p.ncells : 1, sizeof *plan->cells);
    order = calloc(p.ncells ? p.ncells : 1, sizeof *order);
    if (!plan->profile || !plan->cells || !order)
        goto fail;
    /* Workloads ranked by their first cell in the file. */
    const struct workload *seen[64];
    unsigned nseen = 0;
    for (size_t k = 0; k < p.ncells; k++) {
        unsigned r = 0;
        while (r < nseen && seen[r] != p.cells[k].w)
            r++;
        if (r == nseen && nseen < 64)
            seen[nseen++] = p.cells[k].w;
        order[k] = (struct keyed){ &p.cells[k], r, k };
    }
    qsort(order, p.ncells, sizeof *order, keyed_cmp);
    size_t n = 0;
    for (size_t k = 0; k < p.ncells; k++) {
        const struct profile_cell *pc = order[k].c;
        /* A model this machine cannot run (io_uring disabled, a launcher missing): its cells
         * are left out and listed with the reason, never run to fail. */
        char why[200];
        if (!model_available(pc->m, why, sizeof why)) {
            char line[320];
            snprintf(line, sizeof line, "%s x %s: model unavailable: %s", pc->w->name,
                     pc->m->name, why);
            bool known = false;
            for (unsigned j = 0; j < plan->nskipped; j++)
                known |= strcmp(plan->skipped[j], line) == 0;
            if (!known && plan->nskipped < SWEEP_MAX_NOTES &&
                !(plan->skipped[plan->nskipped++] = strdup(line)))
                goto fail;
            continue;
        }
        struct sweep_cell *c = &plan->cells[n];
        c->id = (unsigned)n++;
        c->part = pc->part;
        c->workload = pc->w->name;
        c->model = pc->m->name;
        c->io = pc->w->kind->waits;
        c->tasks = pc->tasks;
        c->jobs = pc->jobs;
        c->concurrency = pc->concurrency;
        str_copy(c->args, sizeof c->args, pc->args);
        str_copy(c->params, sizeof c->params, pc->params);
        str_copy(c->name, sizeof c->name, pc->name);
        c->hyperfine = pc->part == SWEEP_HEADLINE && p.hyperfine;
    }
    plan->ncells = n;
    if (copy_notes(p.notes, p.nnotes, plan->notes, &plan->nnotes) < 0 ||
        copy_notes(p.skipped, p.nskipped, plan->skipped, &plan->nskipped) < 0)
        goto fail;
    free(order);
    profile_free(&p);
    return 0;
fail:
    free(order);
    profile_free(&p);
    sweep_plan_free(plan);
    snprintf(err, errlen, "out of memory");
    return e;
}

void sweep_plan_free(struct sweep_plan *plan)
{
    free(plan->cells);
    free((char *)plan->profile);
    for (unsigned k = 0; k < plan->nnotes; k++)
        free(plan->notes[k]);
    for (unsigned k = 0; k < plan->nskipped; k++)
        free(plan->skipped[k]);
    memset(plan, 0, sizeof *plan);
}

int sweep_plan_build(const char *name, unsigned runs, unsigned cores, struct sweep_plan *plan,
                     char *err, size_t errlen)
{
    struct profile p;
    memset(plan, 0, sizeof *plan);
    cores = cores ? cores : 1;
    int e = profile_load(name, cores, &p, err, errlen);
    if (e < 0) {
        profile_free(&p);
        return e;
    }
    return plan_from_profile(&p, name, runs, cores, plan, err, errlen);
}

int sweep_plan_build_text(const char *text, const char *name, unsigned runs, unsigned cores,
                          struct sweep_plan *plan, char *err, size_t errlen)
{
    struct profile p;
    memset(plan, 0, sizeof *plan);
    cores = cores ? cores : 1;
    int e = profile_parse(text, name, cores, &p, err, errlen);
    if (e < 0) {
        profile_free(&p);
        return e;
    }
    return plan_from_profile(&p, name, runs, cores, plan, err, errlen);
}
