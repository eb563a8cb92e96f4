/* report_contended.c — the report's view of work of the kind "contended" (tasks fighting over
 * shared state) and of the pools' dispatch styles: contended.csv for the charts, and the
 * findings on what a lock costs an update, how many updates went missing without one, and
 * what a future or a queue hand-off costs against claiming indices.
 *
 * The figures come from the records in runs.jsonl: a contended workload writes "updates",
 * "lost_updates" and "contended" into its record (workloads/workload.h), and tells its
 * synchronisation by its option `sync` (from the cell's params, else the registry's default).
 * The dispatch style is the model option `dispatch` the same way. Nothing here names a model or
 * a workload. */
#include "harness/report_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/atomic_file.h"
#include "harness/catalog.h"
#include "harness/text.h"
#include "models/model.h"

#define CONTENDED_KIND "contended"
#define MAX_RUNS 64

struct agg {
    char workload[32], model[32], part[16], params[160];
    unsigned tasks, concurrency, n;
    double inc[MAX_RUNS], lost[MAX_RUNS], cont[MAX_RUNS];
};

static double jnum_nan(const struct json_value *o, const char *key)
{
    const struct json_value *v = json_get(o, key);
    return v && v->type == JSON_NUMBER ? v->number : NAN;
}

static const char *jstr_or(const struct json_value *o, const char *key)
{
    const struct json_value *v = json_get(o, key);
    return v && v->type == JSON_STRING ? v->string : "";
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Median of the finite values; NaN when none. Sorts a copy. */
static double median_of(const double *v, unsigned n, double *lo, double *hi)
{
    double s[MAX_RUNS];
    unsigned k = 0;
    for (unsigned i = 0; i < n; i++)
        if (isfinite(v[i]))
            s[k++] = v[i];
    if (lo)
        *lo = NAN;
    if (hi)
        *hi = NAN;
    if (!k)
        return NAN;
    qsort(s, k, sizeof s[0], cmp_double);
    if (lo)
        *lo = s[0];
    if (hi)
        *hi = s[k - 1];
    return k % 2 ? s[k / 2] : (s[k / 2 - 1] + s[k / 2]) / 2;
}

/* A cell of the kind "contended": by this binary's registry when it knows the workload (a
 * sweep may write only "io"/"cpu" in the kind column), else by the column. */
bool cell_contended(const struct report_cell *c)
{
    const struct workload *w = workload_find(c->workload);
    return is(w && w->kind ? w->kind->name : c->kind, CONTENDED_KIND);
}

/* The records of contended cells in runs.jsonl, grouped by cell key. */
static size_t load_aggs(const struct report_data *d, struct agg **out)
{
    char path[4200], *text, *save = NULL, perr[128];
    struct agg *a = NULL;
    size_t n = 0, cap = 0;
    *out = NULL;
    snprintf(path, sizeof path, "%s/runs.jsonl", d->dir);
    if (text_slurp(path, 0, &text, NULL))
        return 0;
    for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        if (!strstr(line, "\"kind\":\"" CONTENDED_KIND "\""))
            continue;       /* the record's kind: the registry's, written by `run` */
        struct json_value *v = json_parse(line, strlen(line), perr, sizeof perr);
        const struct json_value *rec = v ? json_get(v, "record") : NULL;
        const struct json_value *ver = rec ? json_get(rec, "verified") : NULL;
        const struct json_value *argv = json_get(v, "argv");
        if (!rec || rec->type != JSON_OBJECT || !ver || ver->type != JSON_BOOL ||
            !ver->boolean || strcmp(jstr_or(v, "status"), "ok") != 0 ||
            json_get(v, "warmup") == NULL || json_get(v, "warmup")->boolean || !argv ||
            argv->type != JSON_ARRAY) {
            json_free(v);
            continue;
        }
        char args[1024] = "", params[160];
        for (size_t i = 0; i < argv->n; i++)
            if (argv->items[i].type == JSON_STRING)
                str_append(args, sizeof args, "%s ", argv->items[i].string);
        const char *w = jstr_or(v, "workload"), *m = jstr_or(v, "model"), *part = jstr_or(v, "part");
        catalog_params(workload_find(w), model_find(m), args, params, sizeof params);
        unsigned tasks = (unsigned)jnum_nan(v, "tasks"), conc = (unsigned)jnum_nan(v, "concurrency");
        size_t k;
        for (k = 0; k < n; k++)
            if (is(a[k].workload, w) && is(a[k].model, m) && is(a[k].part, part) &&
                is(a[k].params, params) && a[k].tasks == tasks && a[k].concurrency == conc)
                break;
        if (k == n) {
            if (n == cap) {
                size_t nc = cap ? cap * 2 : 64;
                struct agg *b = realloc(a, nc * sizeof *a);
                if (!b) {
                    json_free(v);
                    break;
                }
                a = b;
                cap = nc;
            }
            memset(&a[n], 0, sizeof a[n]);
            str_copy(a[n].workload, sizeof a[n].workload, w);
            str_copy(a[n].model, sizeof a[n].model, m);
            str_copy(a[n].part, sizeof a[n].part, part);
            str_copy(a[n].params, sizeof a[n].params, params);
            a[n].tasks = tasks;
            a[n].concurrency = conc;
            n++;
        }
        if (a[k].n < MAX_RUNS) {
            a[k].inc[a[k].n] = jnum_nan(rec, "updates");
            a[k].lost[a[k].n] = jnum_nan(rec, "lost_updates");
            a[k].cont[a[k].n] = jnum_nan(rec, "contended");
            a[k].n++;
        }
        json_free(v);
    }
    free(text);
    *out = a;
    return n;
}

/* The value of option `name` in a params key, else the registry's default for that workload
 * or model, else "". */
static void param_value(const char *params, const char *name, const struct wopt *table,
                        char *buf, size_t len)
{
    char pat[64];
    snprintf(pat, sizeof pat, "%s=", name);
    for (const char *p = params; p && *p;) {
        if (strncmp(p, pat, strlen(pat)) == 0) {
            p += strlen(pat);
            snprintf(buf, len, "%.*s", (int)strcspn(p, ";"), p);
            return;
        }
        p = strchr(p, ';');
        p = p ? p + 1 : NULL;
    }
    const char *def = wopt_value(table, NULL, name);
    snprintf(buf, len, "%s", def ? def : "");
}

size_t contended_rows(const struct report_data *d, struct contended_row **out)
{
    struct agg *a;
    size_t na = load_aggs(d, &a), n = 0;
    struct contended_row *r = calloc(d->ncells ? d->ncells : 1, sizeof *r);
    *out = r;
    if (!r) {
        free(a);
        return 0;
    }
    for (size_t i = 0; i < d->ncells; i++) {
        const struct report_cell *c = &d->cells[i];
        if (!cell_contended(c) || !isfinite(c->median_s))
            continue;
        struct contended_row *x = &r[n++];
        const struct workload *w = workload_find(c->workload);
        x->cell = c;
        param_value(c->params, "sync", w ? w->opts : NULL, x->sync, sizeof x->sync);
        x->increments = x->lost = x->lost_min = x->lost_max = x->contended = NAN;
        for (size_t k = 0; k < na; k++) {
            const struct agg *g = &a[k];
            if (!is(g->workload, c->workload) || !is(g->model, c->model) ||
                !is(g->part, c->part) || !is(g->params, c->params) || g->tasks != c->tasks ||
                g->concurrency != c->concurrency)
                continue;
            x->runs = g->n;
            x->increments = median_of(g->inc, g->n, NULL, NULL);
            x->lost = median_of(g->lost, g->n, &x->lost_min, &x->lost_max);
            x->contended = median_of(g->cont, g->n, NULL, NULL);
        }
        x->ns_per_increment = x->increments > 0 ? c->median_s / x->increments * 1e9 : NAN;
    }
    free(a);
    return n;
}

static void csv_num_field(FILE *f, double v)
{
    if (isfinite(v))
        fprintf(f, ",%.6g", v);
    else
        fprintf(f, ",");
}

int contended_write_csv(const struct report_data *d, size_t *rows, char *err, size_t errlen)
{
    struct contended_row *r;
    size_t n = contended_rows(d, &r);
    char path[4200];
    struct afile a;
    int rc;
    *rows = n;
    if (!n) {
        free(r);
        return 0;
    }
    snprintf(path, sizeof path, "%s/contended.csv", d->dir);
    if ((rc = afile_open(&a, path)) < 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(-rc));
        free(r);
        return rc;
    }
    fprintf(a.f, "workload,model,part,tasks,concurrency,params,sync,model_order,model_rgb,"
                 "parallel,median_s,min_s,max_s,runs,updates,ns_per_increment,lost_updates,"
                 "lost_min,lost_max,contended,serial,kind_order,kind_label,workload_order,"
                 "workload_label\n");
    for (size_t i = 0; i < n; i++) {
        const struct report_cell *c = r[i].cell;
        fprintf(a.f, "%s,%s,%s,%u,%u,%s,%s,%u,%lu,%u", c->workload, c->model, c->part,
                c->tasks, c->concurrency, c->params, r[i].sync, c->model_order, c->model_rgb,
                c->parallel);
        csv_num_field(a.f, c->median_s);
        csv_num_field(a.f, c->min_s);
        csv_num_field(a.f, c->max_s);
        fprintf(a.f, ",%u", r[i].runs);
        csv_num_field(a.f, r[i].increments);
        csv_num_field(a.f, r[i].ns_per_increment);
        csv_num_field(a.f, r[i].lost);
        csv_num_field(a.f, r[i].lost_min);
        csv_num_field(a.f, r[i].lost_max);
        csv_num_field(a.f, r[i].contended);
        fprintf(a.f, ",%d,%u,%s,%u,%s\n", c->serial, c->kind_order, c->kind_label,
                c->workload_order, c->workload_label);
    }
    free(r);
    if ((rc = afile_commit(&a)) < 0)
        snprintf(err, errlen, "%s: %s", path, strerror(-rc));
    return rc;
}

static const char *fmt_ns(double ns, char *buf, size_t len)
{
    if (ns >= 1000)
        snprintf(buf, len, "%.2f µs", ns / 1000);
    else if (ns >= 10)
        snprintf(buf, len, "%.0f ns", ns);
    else
        snprintf(buf, len, "%.2f ns", ns);
    return buf;
}

/* The row of strategy s for the model and concurrency of `like` (same workload and part). */
static const struct contended_row *row_for(const struct contended_row *r, size_t n,
                                           const struct contended_row *like, const char *sync,
                                           unsigned conc)
{
    for (size_t i = 0; i < n; i++)
        if (is(r[i].sync, sync) && is(r[i].cell->workload, like->cell->workload) &&
            is(r[i].cell->model, like->cell->model) && is(r[i].cell->part, like->cell->part) &&
            r[i].cell->tasks == like->cell->tasks && r[i].cell->concurrency == conc &&
            isfinite(r[i].ns_per_increment))
            return &r[i];
    return NULL;
}

/* What a lock costs an update: at the highest concurrency of the first model (chart order)
 * that runs tasks at once, the time an increment under each strategy measured, the mutex
 * against atomic and local, and the mutex alone (-j 1). The concurrency part first, else the
 * headline. */
bool finding_lock_cost(const struct report_data *d, char *out, size_t len)
{
    struct contended_row *r;
    size_t n = contended_rows(d, &r);
    const struct contended_row *best = NULL;
    char a[32], b[32], cnt[32];
    out[0] = '\0';
    for (int pass = 0; pass < 2 && !best; pass++)
        for (size_t i = 0; i < n; i++) {
            const struct report_cell *c = r[i].cell;
            if (!is(c->part, pass ? "headline" : "concurrency") || c->parallel < 2 ||
                !is(r[i].sync, "mutex") || !isfinite(r[i].ns_per_increment))
                continue;
            if (!best || c->model_order < best->cell->model_order ||
                (c->model_order == best->cell->model_order &&
                 c->concurrency > best->cell->concurrency))
                best = &r[i];
        }
    if (!best) {
        free(r);
        return false;
    }
    const struct report_cell *c = best->cell;
    str_append(out, len, "One shared counter (%s, %s tasks, %s at -j %u): a contended mutex cost "
               "%s an increment", c->workload, fmt_count(c->tasks, cnt, sizeof cnt), c->model,
               c->concurrency, fmt_ns(best->ns_per_increment, a, sizeof a));
    const struct contended_row *alone = row_for(r, n, best, "mutex", 1);
    if (alone && alone != best)
        str_append(out, len, " (%s at -j 1, one task at a time)",
                   fmt_ns(alone->ns_per_increment, a, sizeof a));
    const char *others[] = { "spin", "atomic", "local", "none" };
    for (size_t k = 0; k < 4; k++) {
        const struct contended_row *o = row_for(r, n, best, others[k], c->concurrency);
        if (!o)
            continue;
        str_append(out, len, "; %s %s", others[k], fmt_ns(o->ns_per_increment, a, sizeof a));
        if (strcmp(others[k], "atomic") == 0 || strcmp(others[k], "local") == 0)
            str_append(out, len, " (the mutex is %s as dear)",
                       (snprintf(b, sizeof b, "%.1fx", best->ns_per_increment /
                                 o->ns_per_increment), b));
    }
    str_append(out, len, ".");
    free(r);
    return true;
}

/* How many updates went missing without a lock: per model, at its highest concurrency. */
bool finding_lost_updates(const struct report_data *d, char *out, size_t len)
{
    struct contended_row *r;
    size_t n = contended_rows(d, &r);
    const char *ms[32];
    size_t nm = report_models(d, ms, 32);
    char a[32], b[32], none_lost[256] = "";
    bool any = false;
    out[0] = '\0';
    for (size_t k = 0; k < nm; k++) {
        const struct contended_row *top = NULL;
        for (size_t i = 0; i < n; i++)
            if (is(r[i].cell->model, ms[k]) && is(r[i].sync, "none") && isfinite(r[i].lost) &&
                r[i].increments > 0 && (!top || r[i].cell->concurrency > top->cell->concurrency))
                top = &r[i];
        if (!top)
            continue;
        if (top->lost == 0) {
            str_append(none_lost, sizeof none_lost, "%s%s", none_lost[0] ? ", " : "", ms[k]);
            continue;
        }
        str_append(out, len, "%s%s lost %s of %s updates (%.0f %%, runs from %s to %s) at -j %u",
                   any ? "; " : "Without a lock (--sync none: a load and a store): ", ms[k],
                   fmt_count((unsigned long long)top->lost, a, sizeof a),
                   fmt_count((unsigned long long)top->increments, b, sizeof b),
                   100 * top->lost / top->increments,
                   fmt_count((unsigned long long)top->lost_min, (char[32]){ 0 }, 32),
                   fmt_count((unsigned long long)top->lost_max, (char[32]){ 0 }, 32),
                   top->cell->concurrency);
        any = true;
    }
    if (any && none_lost[0])
        str_append(out, len, "; %s lost none (one task at a time, or too short to overlap)",
                   none_lost);
    if (any)
        str_append(out, len, ".");
    free(r);
    return any;
}

/* What a future and a queue hand-off cost against claiming indices: the overhead cells of each
 * model that has more than one dispatch style, per task. */
bool finding_dispatch(const struct report_data *d, char *out, size_t len)
{
    const char *ms[32];
    size_t nm = report_models(d, ms, 32);
    char a[32], cnt[32];
    bool any = false;
    out[0] = '\0';
    for (size_t k = 0; k < nm; k++) {
        const struct model *m = model_find(ms[k]);
        const struct wopt *dw = m ? wopt_find(m->opts, "dispatch") : NULL;
        const struct report_cell *base = NULL, *cs[16];
        char styles[16][32];
        size_t nc = 0;
        if (!dw)
            continue;
        for (size_t i = 0; i < d->ncells && nc < 16; i++) {
            const struct report_cell *c = &d->cells[i];
            if (!is(c->model, ms[k]) || !is(c->part, "overhead") || !isfinite(c->median_s) ||
                !c->tasks)
                continue;
            param_value(c->params, "dispatch", m->opts, styles[nc], sizeof styles[nc]);
            if (dw->def && is(styles[nc], dw->def) && (!base || c->tasks > base->tasks))
                base = c;
            cs[nc++] = c;
        }
        if (nc < 2 || !base)
            continue;
        double b = base->median_s / base->tasks;
        str_append(out, len, "%s%s (%s no-op tasks): %s %s a task", any ? "; " :
                   "Dispatch styles: ", ms[k], fmt_count(base->tasks, cnt, sizeof cnt), dw->def,
                   fmt_time(b, a, sizeof a));
        for (size_t i = 0; i < nc; i++) {
            if (cs[i] == base || cs[i]->tasks != base->tasks)
                continue;
            double p = cs[i]->median_s / cs[i]->tasks;
            str_append(out, len, ", %s %s (%.1fx; runs %s", styles[i], fmt_time(p, a, sizeof a),
                       p / b, fmt_time(cs[i]->min_s / cs[i]->tasks, a, sizeof a));
            str_append(out, len, " to %s)", fmt_time(cs[i]->max_s / cs[i]->tasks, a, sizeof a));
        }
        any = true;
    }
    if (any)
        str_append(out, len, ".");
    return any;
}
