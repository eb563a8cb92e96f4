/* compare_out.c — `concbench compare`'s output: the machines side by side, the rows' order, the
 * Markdown table, compare.csv and the chart. */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness/atomic_file.h"
#include "harness/catalog.h"
#include "harness/cli.h"
#include "harness/compare_int.h"
#include "harness/report_int.h"
#include "harness/sweep.h"
#include "harness/text.h"
#include "models/model.h"
#include "workloads/workload.h"

/* ---- the machines and builds side by side ---- */

static const char *meta_text(const struct json_value *meta, const char *key, char *buf,
                             size_t len)
{
    const struct json_value *v = meta_find(meta, key, 0);
    buf[0] = '\0';
    if (!v)
        return buf;
    if (v->type == JSON_STRING)
        str_copy(buf, len, v->string);
    else if (v->type == JSON_NUMBER)
        snprintf(buf, len, "%.15g", v->number);
    else if (v->type == JSON_BOOL)
        str_copy(buf, len, v->boolean ? "true" : "false");
    return buf;
}

struct metakey {
    const char *key, *label;
    bool counts;                /* a difference here is worth the note */
};
static const struct metakey meta_keys[] = {
    { "cpu_model", "CPU", true },
    { "cores_online", "cores", true },
    { "kernel", "kernel", true },
    { "cc", "compiler", true },
    { "compiler_version", "compiler version", true },
    { "cflags", "compiler flags", true },
    { "libcurl", "libcurl", true },
    { "libpng", "libpng", true },
    { "hostname", "host", false },
    { "revision", "revision", false },
    { "date", "date", false },
};
#define NMETA (sizeof meta_keys / sizeof meta_keys[0])

/* The note on differing machines or builds, or nothing when they agree on every key that
 * counts. */
void compare_write_meta_note(FILE *f, const struct side *a, const struct side *b)
{
    char va[512], vb[512];
    bool differ = false;
    if (!a->meta || !b->meta) {
        fprintf(f, "\n> Note: %s has no metadata.json: the machines and builds cannot be "
                   "compared.\n", !a->meta ? a->dir : b->dir);
        return;
    }
    for (size_t k = 0; k < NMETA; k++)
        if (meta_keys[k].counts &&
            strcmp(meta_text(a->meta, meta_keys[k].key, va, sizeof va),
                   meta_text(b->meta, meta_keys[k].key, vb, sizeof vb)) != 0)
            differ = true;
    if (!differ)
        return;
    fprintf(f, "\n> **Note: the two sweeps ran on different machines or builds** (CPU, cores, "
               "kernel, compiler or library versions differ): a ratio measures those "
               "differences too.\n\n");
    fprintf(f, "| | A | B |\n|---|---|---|\n");
    for (size_t k = 0; k < NMETA; k++) {
        meta_text(a->meta, meta_keys[k].key, va, sizeof va);
        meta_text(b->meta, meta_keys[k].key, vb, sizeof vb);
        bool d = strcmp(va, vb) != 0;
        if (!va[0] && !vb[0])
            continue;
        fprintf(f, "| %s%s%s | %s | %s |\n", d && meta_keys[k].counts ? "**" : "",
                meta_keys[k].label, d && meta_keys[k].counts ? "**" : "",
                va[0] ? va : "(unknown)", vb[0] ? vb : "(unknown)");
    }
}

/* ---- order and output ---- */

void compare_fill_order(struct crow *r)
{
    const struct workload *w = workload_find(r->a->workload);
    const struct model *m = model_find(r->a->model);
    r->kind_order = w ? w->kind->order : 99;
    r->workload_order = w ? w->order : 99;
    r->model_order = m ? m->order : 99;
    r->rgb = m ? catalog_rgb(m->color) : 0x808080;
}

static int part_rank(const char *part)
{
    static const char *const parts[] = { "headline", "tasks", "concurrency", "overhead",
                                         "timeline", "user", "gate" };
    for (int k = 0; k < 7; k++)
        if (is(part, parts[k]))
            return k;
    return 7;
}

int compare_row_cmp(const void *x, const void *y)
{
    const struct crow *a = x, *b = y;
#define CMP(u, v) do { if ((u) != (v)) return (u) < (v) ? -1 : 1; } while (0)
    CMP(a->kind_order, b->kind_order);
    CMP(a->workload_order, b->workload_order);
    int c = strcmp(a->a->workload, b->a->workload);
    if (c)
        return c;
    CMP(part_rank(a->a->part), part_rank(b->a->part));
    c = strcmp(a->a->params, b->a->params);
    if (c)
        return c;
    CMP(a->model_order, b->model_order);
    c = strcmp(a->a->model, b->a->model);
    if (c)
        return c;
    CMP(a->a->tasks, b->a->tasks);
    CMP(a->a->concurrency, b->a->concurrency);
#undef CMP
    return 0;
}

static void cell_label(const struct ccell *c, char *buf, size_t len)
{
    snprintf(buf, len, "%s %s %s n=%u j=%u%s%s", c->workload, c->model, c->part, c->tasks,
             c->concurrency, c->params[0] ? " " : "", c->params);
}


void compare_write_markdown(FILE *f, const struct compare_out *o, bool whole)
{
    if (whole) {
        fprintf(f, "# concbench compare\n\nA = `%s`, B = `%s`. Ratio = median wall time B / A "
                   "(below 1: B is faster); 95 %% bootstrap interval of the ratio (%d "
                   "resamples); Mann–Whitney U two-sided p; verdict by the gate's rule: "
                   "slower when p < %g and the interval lies above 1 + %.0f %%, faster when "
                   "p < %g and it lies below 1 - %.0f %%, same when it lies within ±%.0f %%, "
                   "else inconclusive.\n\n", o->a->dir, o->b->dir, COMPARE_BOOT_RESAMPLES,
                o->alpha, o->t * 100, o->alpha, o->t * 100, o->t * 100);
    }
    fprintf(f, "| workload | model | part | N | j | params | A median | B median | B/A | 95 %% CI "
               "| p | runs A/B | verdict |\n");
    fprintf(f, "|---|---|---|---:|---:|---|---:|---:|---:|---|---:|---:|---|\n");
    for (size_t k = 0; k < o->nrows; k++) {
        const struct crow *r = &o->rows[k];
        char ma[32], mb[32], p[32];
        fprintf(f, "| %s | %s | %s | %u | %u | %s | ", r->a->workload, r->a->model, r->a->part,
                r->a->tasks, r->a->concurrency, r->a->params[0] ? r->a->params : "");
        if (!r->ok) {
            fprintf(f, " | | | | | %zu/%zu | not compared: %s |\n", r->a->n, r->b->n, r->why);
            continue;
        }
        fmt_time(r->r.base_median, ma, sizeof ma);
        fmt_time(r->r.head_median, mb, sizeof mb);
        snprintf(p, sizeof p, r->r.p < 1e-4 ? "%.1e" : "%.4f", r->r.p);
        bool slow = r->r.verdict == VERDICT_REGRESSED;
        fprintf(f, "%s | %s | %.3f | [%.3f, %.3f] | %s | %zu/%zu | %s%s%s |\n", ma, mb,
                r->r.ratio, r->r.lo, r->r.hi, p, r->a->n, r->b->n, slow ? "**" : "",
                r->verdict, slow ? "**" : "");
    }
    fprintf(f, "\n**%u faster, %u slower, %u same, %u inconclusive**%s (threshold %.0f %%, "
               "alpha %g)\n", o->counts[0], o->counts[1], o->counts[2], o->counts[3],
            o->counts[4] ? ", some not compared" : "", o->t * 100, o->alpha);
    /* Few runs: an exact two-sided test of m and n runs cannot go below 2 / C(m + n, m). */
    bool few = false;
    for (size_t k = 0; k < o->nrows && !few; k++)
        few = o->rows[k].ok && (o->rows[k].a->n < FEW_RUNS || o->rows[k].b->n < FEW_RUNS);
    if (few) {
        fprintf(f, "\n> Warning: some cells have fewer than %d runs on a side. A two-sided "
                   "Mann–Whitney test of m and n runs cannot give a p below 2 / C(m + n, m) "
                   "(3 and 3 runs: 0.1): those cells cannot be called faster or slower at "
                   "alpha %g whatever the times. Sweep with --runs 10 for a verdict.\n",
                FEW_RUNS, o->alpha);
        for (size_t k = 0; k < o->nrows; k++) {
            const struct crow *r = &o->rows[k];
            if (!r->ok || (r->a->n >= FEW_RUNS && r->b->n >= FEW_RUNS))
                continue;
            double c = 1;
            for (size_t i = 1; i <= r->a->n; i++)
                c = c * (double)(r->b->n + i) / (double)i;
            char label[300];
            cell_label(r->a, label, sizeof label);
            fprintf(f, "> - %s: %zu and %zu runs, smallest p %.3g\n", label, r->a->n, r->b->n,
                    2 / c);
        }
    }
    compare_write_meta_note(f, o->a, o->b);
    for (int s = 0; s < 2; s++) {
        const struct side *sd = s ? o->b : o->a;
        if (sd->partial)
            fprintf(f, "\n> Note: %s (%c) is a partial sweep (%s): only the cells and runs it "
                       "holds are compared.\n", sd->dir, s ? 'B' : 'A', sd->partial_why);
        if (sd->params_derived)
            fprintf(f, "\n> Note: %s (%c) was written before runs.csv had a params column: "
                       "each cell's params were derived from its metadata.json "
                       "(workload_args).\n", sd->dir, s ? 'B' : 'A');
    }
    for (int s = 0; s < 2; s++) {
        if (!o->nonly[s])
            continue;
        fprintf(f, "\nIn %c only (%s), not compared:\n", s ? 'B' : 'A', s ? o->b->dir : o->a->dir);
        for (size_t k = 0; k < o->nonly[s]; k++) {
            char label[300];
            cell_label(o->only[s][k], label, sizeof label);
            fprintf(f, "- %s\n", label);
        }
    }
}

/* compare.csv: one row a common cell, with the registry columns the chart groups and colours
 * by, and x: the cell's place on the chart (a gap between workloads). */
void compare_write_csv(FILE *f, const struct compare_out *o)
{
    fprintf(f, "workload,model,part,tasks,concurrency,params,a_runs,b_runs,a_median_s,"
               "b_median_s,ratio,ci_low,ci_high,p,verdict,model_order,model_rgb,serial,"
               "kind_order,kind_label,workload_order,workload_label,x,label,group_x\n");
    double x = 0;
    for (size_t k = 0; k < o->nrows; k++) {
        const struct crow *r = &o->rows[k];
        const struct workload *w = workload_find(r->a->workload);
        const struct model *m = model_find(r->a->model);
        if (k > 0 && strcmp(o->rows[k - 1].a->workload, r->a->workload) != 0)
            x += 1;
        x += 1;
        sweep_csv_text(f, r->a->workload);
        fputc(',', f);
        sweep_csv_text(f, r->a->model);
        fprintf(f, ",%s,%u,%u,", r->a->part, r->a->tasks, r->a->concurrency);
        sweep_csv_text(f, r->a->params);
        fprintf(f, ",%zu,%zu,", r->a->n, r->b->n);
        if (r->ok) {
            const double v[] = { r->r.base_median, r->r.head_median, r->r.ratio, r->r.lo,
                                 r->r.hi, r->r.p };
            for (int i = 0; i < 6; i++) {
                sweep_csv_number(f, v[i], 9);
                fputc(',', f);
            }
        } else {
            fputs(",,,,,,", f);
        }
        fprintf(f, "%s,%u,%lu,%d,%u,", r->ok ? r->verdict : "not compared", r->model_order,
                r->rgb, m && m->serial ? 1 : 0, r->kind_order);
        sweep_csv_text(f, w ? w->kind->label : "");
        fprintf(f, ",%u,", r->workload_order);
        sweep_csv_text(f, w ? w->label : "");
        fprintf(f, ",%g,", x);
        char label[96];
        bool plain = is(r->a->part, "headline") || is(r->a->part, "user");
        snprintf(label, sizeof label, "%s%s%s n%u j%u", plain ? "" : r->a->part,
                 plain ? "" : " ", r->a->model, r->a->tasks, r->a->concurrency);
        /* no commas in text fields the chart reads */
        for (char *c = label; *c; c++)
            if (*c == ',')
                *c = ' ';
        fprintf(f, "%s,", label);
        /* The first row of a workload carries the middle of its group, for its name. */
        if (k == 0 || strcmp(o->rows[k - 1].a->workload, r->a->workload) != 0) {
            size_t last = k;
            while (last + 1 < o->nrows && !strcmp(o->rows[last + 1].a->workload, r->a->workload))
                last++;
            fprintf(f, "%g", x + (double)(last - k) / 2);
        }
        fputc('\n', f);
    }
}

/* compare.png and .svg with plots/compare.gp; returns 0 or -1 (said on stderr). */
int compare_draw_chart(const char *out, const struct compare_out *o, const char *plots)
{
    char script[PATH_MAX + 32], data[PATH_MAX + 32], png[PATH_MAX + 32], sub[1200], vars[64],
        err[4096];
    snprintf(script, sizeof script, "%s/compare.gp", plots);
    snprintf(data, sizeof data, "%s/compare.csv", out);
    snprintf(png, sizeof png, "%s/compare.png", out);
    snprintf(sub, sizeof sub, "A = %.200s, B = %.200s; bars: 95 %% bootstrap interval; dashed: "
             "±%.0f %% (the threshold)", o->a->dir, o->b->dir, o->t * 100);
    snprintf(vars, sizeof vars, "threshold=%.6f", o->t);
    char *args[] = { data, png, sub, NULL };
    int rc = report_run_gnuplot(script, vars, args, err, sizeof err);
    if (rc == -ENOENT) {
        fprintf(stderr, "concbench compare: gnuplot not found: no chart (install gnuplot-nox)\n");
        return -1;
    }
    if (rc != 0) {
        fprintf(stderr, "concbench compare: the chart was not drawn (gnuplot %d): %.500s\n", rc,
                err);
        return -1;
    }
    return 0;
}
