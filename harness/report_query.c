/* report_query.c — questions the findings, tables and charts ask of the loaded cells: which
 * workloads, models and kinds, in the registry's order as the data gives it; the serial
 * reference; memory as counted; whether the machine was busy. */
#include "harness/report_int.h"

#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "harness/text.h"
#include "models/model.h"
#include "workloads/workload.h"

bool is(const char *a, const char *b)
{
    return strcmp(a, b) == 0;
}

const struct report_cell *find_cell(const struct report_data *d, const char *w,
                                    const char *params, const char *m, const char *part)
{
    for (size_t i = 0; i < d->ncells; i++) {
        const struct report_cell *c = &d->cells[i];
        if (is(c->workload, w) && is(c->model, m) && is(c->part, part) &&
            (!params || is(c->params, params)) && isfinite(c->median_s))
            return c;
    }
    return NULL;
}

/* The first cell of workload w / model m: its order columns stand for all of them. */
static const struct report_cell *first_of_workload(const struct report_data *d, const char *w)
{
    for (size_t i = 0; i < d->ncells; i++)
        if (is(d->cells[i].workload, w))
            return &d->cells[i];
    return NULL;
}

unsigned report_model_rank(const struct report_data *d, const char *m)
{
    for (size_t i = 0; i < d->ncells; i++)
        if (is(d->cells[i].model, m))
            return d->cells[i].model_order;
    return UINT_MAX;
}

static const struct report_data *sort_data;     /* qsort has no context argument */

static int cmp_workloads(const void *a, const void *b)
{
    const struct report_cell *x = first_of_workload(sort_data, *(const char *const *)a);
    const struct report_cell *y = first_of_workload(sort_data, *(const char *const *)b);
    if (x->kind_order != y->kind_order)
        return x->kind_order < y->kind_order ? -1 : 1;
    if (x->workload_order != y->workload_order)
        return x->workload_order < y->workload_order ? -1 : 1;
    return strcmp(x->workload, y->workload);
}

static int cmp_models(const void *a, const void *b)
{
    const char *x = *(const char *const *)a, *y = *(const char *const *)b;
    unsigned ox = report_model_rank(sort_data, x), oy = report_model_rank(sort_data, y);
    return ox != oy ? (ox < oy ? -1 : 1) : strcmp(x, y);
}

/* Add s to out[] unless there. */
static size_t add_distinct(const char *out[], size_t n, size_t max, const char *s)
{
    for (size_t k = 0; k < n; k++)
        if (is(out[k], s))
            return n;
    if (n < max)
        out[n++] = s;
    return n;
}

size_t report_workloads(const struct report_data *d, unsigned kind_order, const char *out[],
                        size_t max)
{
    size_t n = 0;
    for (size_t i = 0; i < d->ncells; i++)
        if (!kind_order || d->cells[i].kind_order == kind_order)
            n = add_distinct(out, n, max, d->cells[i].workload);
    sort_data = d;
    qsort(out, n, sizeof *out, cmp_workloads);
    return n;
}

size_t report_params_of(const struct report_data *d, const char *w, const char *part,
                        const char *out[], size_t max)
{
    size_t n = 0;
    for (size_t i = 0; i < d->ncells; i++)
        if (is(d->cells[i].workload, w) && (!part || is(d->cells[i].part, part)))
            n = add_distinct(out, n, max, d->cells[i].params);
    return n;
}

size_t report_models(const struct report_data *d, const char *out[], size_t max)
{
    size_t n = 0;
    for (size_t i = 0; i < d->ncells; i++)
        n = add_distinct(out, n, max, d->cells[i].model);
    sort_data = d;
    qsort(out, n, sizeof *out, cmp_models);
    return n;
}

size_t report_kinds(const struct report_data *d, const struct report_cell *out[], size_t max)
{
    size_t n = 0;
    for (size_t i = 0; i < d->ncells; i++) {
        const struct report_cell *c = &d->cells[i];
        size_t k;
        for (k = 0; k < n && !is(out[k]->kind, c->kind); k++)
            ;
        if (k < n || n == max)
            continue;
        for (k = n++; k > 0 && out[k - 1]->kind_order > c->kind_order; k--)
            out[k] = out[k - 1];
        out[k] = c;
    }
    return n;
}

const char *report_serial(const struct report_data *d)
{
    for (size_t i = 0; i < d->ncells; i++)
        if (d->cells[i].serial)
            return d->cells[i].model;
    return "the serial reference";
}

bool kind_waits(const struct report_data *d, const char *kind)
{
    for (const struct workload *const *w = workloads; *w; w++)
        if (is((*w)->kind->name, kind))
            return (*w)->kind->waits;
    for (size_t i = 0; i < d->ncells; i++) {
        const struct report_cell *c = &d->cells[i];
        if (c->serial && is(c->kind, kind) && is(c->part, "headline") && c->median_s > 0 &&
            isfinite(c->cpu_s))
            return c->cpu_s / c->median_s < 0.5;
    }
    return false;
}

const char *kind_short(const struct report_cell *c, char *buf, size_t len)
{
    const char *label = c->kind_label[0] ? c->kind_label : c->kind;
    const char *dash = strchr(label, '-');
    snprintf(buf, len, "%.*s", dash && dash > label ? (int)(dash - label) : (int)strlen(label),
             label);
    return buf;
}

bool cell_forks(const struct report_cell *c)
{
    return isfinite(c->children_sum_rss_kb) && c->children_sum_rss_kb > 0;
}

double cell_memory_kb(const struct report_cell *c)
{
    return cell_forks(c) ? c->children_sum_rss_kb : c->max_rss_kb;
}

bool has_part(const struct report_data *d, const char *w, const char *part)
{
    /* Only cells with a measured run count: a sweep interrupted before any run of a part has
     * nothing to draw, and gnuplot fails on a chart without a point. */
    for (size_t i = 0; i < d->ncells; i++)
        if ((!w || is(d->cells[i].workload, w)) && is(d->cells[i].part, part) &&
            isfinite(d->cells[i].median_s))
            return true;
    return false;
}

double serial_busy(const struct report_data *d, const char **w)
{
    double least = NAN;
    for (size_t i = 0; i < d->ncells; i++) {
        const struct report_cell *x = &d->cells[i];
        if (x->serial && is(x->part, "headline") && !kind_waits(d, x->kind) &&
            isfinite(x->cpu_s) && x->median_s > 0 && !(x->cpu_s / x->median_s >= least)) {
            *w = x->workload;
            least = x->cpu_s / x->median_s;
        }
    }
    return least;
}

const char *model_cost(const char *m)
{
    const struct model *r = model_find(m);
    return r && r->cost_text && *r->cost_text ? r->cost_text : NULL;
}
