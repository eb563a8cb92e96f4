/* compare_cmd.c — `concbench compare DIR_A DIR_B`: two sweeps (two machines, kernels, commits or
 * builds) compared cell by cell on the cells both have, from their runs.csv: the ratio of
 * medians B/A with its bootstrap interval, the Mann–Whitney p and the gate's verdict
 * (harness/compare.c), as a Markdown table, compare.md, compare.csv and a chart. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness/atomic_file.h"
#include "harness/catalog.h"
#include "harness/cli.h"
#include "harness/compare.h"
#include "harness/report_int.h"
#include "harness/sweep.h"
#include "harness/text.h"
#include "models/model.h"
#include "runtime/json.h"
#include "workloads/workload.h"

#define DEFAULT_ALPHA 0.01          /* the gate's (ci/regress) */
#define DEFAULT_THRESHOLD 0.10
#define FEW_RUNS 5

/* One cell of one side: its key and its ok runs' wall times. */
struct ccell {
    char workload[32], model[32], part[16], params[160];
    unsigned tasks, concurrency;
    double *x;
    size_t n, cap, total;       /* ok runs; all runs */
};

struct side {
    const char *dir;
    struct ccell *cells;
    size_t n, cap;
    struct json_value *meta;
    bool partial;
    char partial_why[200];
    bool params_derived;        /* runs.csv had no params column (a folder from before it) */
};

/* One row of the comparison. */
struct crow {
    const struct ccell *a, *b;
    bool ok;                    /* compared */
    char why[96];               /* when not */
    struct compare_result r;
    const char *verdict;        /* faster, slower, same, inconclusive */
    unsigned kind_order, workload_order, model_order;
    unsigned long rgb;
};

static const char *verdict_word(enum compare_verdict v)
{
    switch (v) {
    case VERDICT_REGRESSED: return "slower";
    case VERDICT_IMPROVED: return "faster";
    case VERDICT_NO_CHANGE: return "same";
    case VERDICT_INCONCLUSIVE: return "inconclusive";
    }
    return "?";
}

static int bad_input(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int bad_input(const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "concbench compare: ");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return EXIT_USAGE;
}

static bool same_key(const struct ccell *c, const char *w, const char *m, const char *part,
                     unsigned n, unsigned j, const char *params)
{
    return is(c->workload, w) && is(c->model, m) && is(c->part, part) && c->tasks == n &&
           c->concurrency == j && is(c->params, params);
}

static struct ccell *cell_of(struct side *s, const char *w, const char *m, const char *part,
                             unsigned n, unsigned j, const char *params)
{
    for (size_t k = 0; k < s->n; k++)
        if (same_key(&s->cells[k], w, m, part, n, j, params))
            return &s->cells[k];
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 64;
        struct ccell *c = realloc(s->cells, cap * sizeof *c);
        if (!c)
            return NULL;
        s->cells = c;
        s->cap = cap;
    }
    struct ccell *c = &s->cells[s->n++];
    memset(c, 0, sizeof *c);
    str_copy(c->workload, sizeof c->workload, w);
    str_copy(c->model, sizeof c->model, m);
    str_copy(c->part, sizeof c->part, part);
    str_copy(c->params, sizeof c->params, params);
    c->tasks = n;
    c->concurrency = j;
    return c;
}

static void side_free(struct side *s)
{
    for (size_t k = 0; k < s->n; k++)
        free(s->cells[k].x);
    free(s->cells);
    json_free(s->meta);
}

/* Read a sweep folder's runs.csv (and metadata.json, PARTIAL). Returns 0, or an exit code
 * (message printed). */
static int side_load(struct side *s, const char *dir)
{
    char path[PATH_MAX + 32], perr[128];
    struct stat st;
    s->dir = dir;
    if (stat(dir, &st) < 0)
        return bad_input("%s: %s", dir, strerror(errno));
    if (!S_ISDIR(st.st_mode))
        return bad_input("%s is not a folder: give two sweep folders (results/<stamp>)", dir);
    snprintf(path, sizeof path, "%s/metadata.json", dir);
    char *text;
    size_t len;
    if (text_slurp(path, 16u << 20, &text, &len) == 0) {
        s->meta = json_parse(text, len, perr, sizeof perr);
        free(text);
    }
    snprintf(path, sizeof path, "%s/runs.csv", dir);
    if (stat(path, &st) < 0) {
        char journal[PATH_MAX + 32];
        snprintf(journal, sizeof journal, "%s/runs.jsonl", dir);
        if (access(journal, F_OK) == 0)
            return bad_input("%s has a journal (runs.jsonl) but no runs.csv: a sweep stopped "
                             "before writing its results; `concbench report %s` rebuilds them "
                             "(marked partial), then compare again", dir, dir);
        return bad_input("%s is not a sweep folder: no runs.csv (a folder `concbench sweep` "
                         "wrote, results/<stamp>)", dir);
    }
    struct csv c;
    int rc = csv_load(path, &c);
    if (rc < 0)
        return bad_input("cannot read %s: %s", path, strerror(-rc));
    static const char *const need[] = { "workload", "model", "part", "tasks", "concurrency",
                                        "wall_s", "ok" };
    int col[7];
    for (int k = 0; k < 7; k++)
        if ((col[k] = csv_col(&c, need[k])) < 0) {
            csv_free(&c);
            return bad_input("cannot read %s: it has no '%s' column. This binary reads runs.csv "
                             "with the columns workload, model, part, tasks, concurrency, "
                             "wall_s, ok (and params when present): the schema of concbench "
                             "sweeps since the first one (312fb15 included)", path, need[k]);
        }
    int pc = csv_col(&c, "params");
    s->params_derived = pc < 0;
    for (size_t r = 0; r < c.nrows; r++) {
        char params[160];
        const char *w = csv_str(&c, r, col[0]), *m = csv_str(&c, r, col[1]);
        const char *part = csv_str(&c, r, col[2]);
        if (pc >= 0)
            str_copy(params, sizeof params, csv_str(&c, r, pc));
        else
            upgrade_params(s->meta, part, w, m, params, sizeof params);
        struct ccell *cell = cell_of(s, w, m, part, csv_uint(&c, r, col[3]),
                                     csv_uint(&c, r, col[4]), params);
        if (!cell) {
            csv_free(&c);
            fprintf(stderr, "concbench compare: out of memory\n");
            return EXIT_ENV;
        }
        cell->total++;
        double wall = csv_num(&c, r, col[5]);
        if (csv_uint(&c, r, col[6]) != 1 || !(wall > 0))
            continue;
        if (cell->n == cell->cap) {
            size_t cap = cell->cap ? cell->cap * 2 : 16;
            double *x = realloc(cell->x, cap * sizeof *x);
            if (!x) {
                csv_free(&c);
                fprintf(stderr, "concbench compare: out of memory\n");
                return EXIT_ENV;
            }
            cell->x = x;
            cell->cap = cap;
        }
        cell->x[cell->n++] = wall;
    }
    csv_free(&c);
    if (s->n == 0)
        return bad_input("%s/runs.csv has no runs", dir);
    snprintf(path, sizeof path, "%s/PARTIAL", dir);
    const struct json_value *p = json_get(s->meta, "partial");
    if (access(path, F_OK) == 0 || (p && p->type == JSON_BOOL && p->boolean)) {
        s->partial = true;
        char *t = NULL;
        if (text_slurp(path, 4096, &t, &len) == 0) {
            snprintf(s->partial_why, sizeof s->partial_why, "%.*s",
                     (int)strcspn(t, "\n"), t);
            free(t);
        } else {
            str_copy(s->partial_why, sizeof s->partial_why, "metadata.json says partial");
        }
    }
    return 0;
}

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
static void write_meta_note(FILE *f, const struct side *a, const struct side *b)
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

static void fill_order(struct crow *r)
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

static int row_cmp(const void *x, const void *y)
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

struct compare_out {
    const struct side *a, *b;
    struct crow *rows;
    size_t nrows;
    const struct ccell **only[2];
    size_t nonly[2];
    double alpha, t;
    unsigned counts[5];         /* faster, slower, same, inconclusive, not compared */
};

static void write_markdown(FILE *f, const struct compare_out *o, bool whole)
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
    write_meta_note(f, o->a, o->b);
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
static void write_csv(FILE *f, const struct compare_out *o)
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
static int draw_chart(const char *out, const struct compare_out *o, const char *plots)
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

static void usage(FILE *f)
{
    fprintf(f, "usage: concbench compare DIR_A DIR_B [--threshold P] [--alpha A] [--out DIR]\n"
               "                         [--fail-on-slower] [--plots DIR]\n\n"
               "Compares two sweeps (two machines, kernels, commits or builds) cell by cell on\n"
               "the cells both have (key: workload, model, part, tasks, concurrency, params),\n"
               "from the runs of their runs.csv: the ratio of medians B/A with its 95 %%\n"
               "bootstrap interval, the Mann-Whitney p, and the verdict faster / slower /\n"
               "same / inconclusive by the regression gate's rule. Prints a Markdown table;\n"
               "notes when the two metadata.json differ in CPU, cores, kernel, compiler or\n"
               "library versions, lists the cells only one side has, and says when a folder\n"
               "is partial.\n\n"
               "  --threshold P     percent: a change smaller than P %% is no change (default %.0f)\n"
               "  --alpha A         significance level of the rank test (default %g)\n"
               "  --out DIR         also write DIR/compare.md, compare.csv, compare.png and\n"
               "                    compare.svg (the ratio per cell with its interval, log\n"
               "                    scale, grouped by workload, coloured by model)\n"
               "  --fail-on-slower  exit 1 when a cell is slower beyond the threshold\n"
               "  --plots DIR       the gnuplot scripts (default: as `concbench report`)\n"
               "  -h, --help        this text\n\n"
               "exit codes: 0 compared (1 with --fail-on-slower and a slower cell), 2 bad input\n"
               "(not a sweep folder, no common cell, a bad option), 3 the output could not be\n"
               "written\n", DEFAULT_THRESHOLD * 100, DEFAULT_ALPHA);
}

int cmd_compare(int argc, char **argv)
{
    static const struct option opts[] = {
        { "threshold", required_argument, NULL, 't' },
        { "alpha", required_argument, NULL, 'a' },
        { "out", required_argument, NULL, 'o' },
        { "fail-on-slower", no_argument, NULL, 'F' },
        { "plots", required_argument, NULL, 'p' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    double alpha = DEFAULT_ALPHA, t = DEFAULT_THRESHOLD;
    const char *out = NULL, *plots = NULL;
    bool fail_on_slower = false;
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        switch (c) {
        case 't': {
            char buf[32];
            str_copy(buf, sizeof buf, optarg);
            size_t l = strlen(buf);
            if (l && buf[l - 1] == '%')
                buf[l - 1] = '\0';
            if (!cli_parse_double(buf, 0, 100, &t))
                return cli_usage_error("compare", "bad --threshold '%s': a percentage, more "
                                       "than 0 and less than 100 (10 is 10 %%)", optarg);
            t /= 100;
            break;
        }
        case 'a':
            if (!cli_parse_double(optarg, 0, 1, &alpha))
                return cli_usage_error("compare", "bad --alpha '%s': 0 < A < 1", optarg);
            break;
        case 'o':
            if (!*optarg)
                return cli_usage_error("compare", "--out needs a folder");
            out = optarg;
            break;
        case 'F': fail_on_slower = true; break;
        case 'p': plots = optarg; break;
        case 'h': usage(stdout); return EXIT_OK;
        case ':': return cli_usage_error("compare", "option '%s' needs a value", argv[optind - 1]);
        default: return cli_usage_error("compare", "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (argc - optind != 2)
        return cli_usage_error("compare", "give two sweep folders: DIR_A DIR_B");

    struct side a = { 0 }, b = { 0 };
    struct compare_out o = { .a = &a, .b = &b, .alpha = alpha, .t = t };
    int code = side_load(&a, argv[optind]);
    if (!code)
        code = side_load(&b, argv[optind + 1]);
    if (code)
        goto done;

    o.rows = calloc(a.n + 1, sizeof *o.rows);
    o.only[0] = calloc(a.n + 1, sizeof *o.only[0]);
    o.only[1] = calloc(b.n + 1, sizeof *o.only[1]);
    if (!o.rows || !o.only[0] || !o.only[1]) {
        fprintf(stderr, "concbench compare: out of memory\n");
        code = EXIT_ENV;
        goto done;
    }
    for (size_t k = 0; k < a.n; k++) {
        const struct ccell *ca = &a.cells[k], *cb = NULL;
        for (size_t i = 0; i < b.n && !cb; i++)
            if (same_key(&b.cells[i], ca->workload, ca->model, ca->part, ca->tasks,
                         ca->concurrency, ca->params))
                cb = &b.cells[i];
        if (!cb) {
            o.only[0][o.nonly[0]++] = ca;
            continue;
        }
        struct crow *r = &o.rows[o.nrows++];
        r->a = ca;
        r->b = cb;
        fill_order(r);
    }
    for (size_t i = 0; i < b.n; i++) {
        bool common = false;
        for (size_t k = 0; k < o.nrows && !common; k++)
            common = o.rows[k].b == &b.cells[i];
        if (!common)
            o.only[1][o.nonly[1]++] = &b.cells[i];
    }
    if (o.nrows == 0) {
        code = bad_input("%s and %s have no cell in common (a cell is workload, model, part, "
                         "tasks, concurrency and params): %zu cells in A, %zu in B", a.dir,
                         b.dir, a.n, b.n);
        goto done;
    }
    qsort(o.rows, o.nrows, sizeof *o.rows, row_cmp);
    for (size_t k = 0; k < o.nrows; k++) {
        struct crow *r = &o.rows[k];
        if (!r->a->n || !r->b->n) {
            snprintf(r->why, sizeof r->why, "no ok run in %s", !r->a->n ? "A" : "B");
            o.counts[4]++;
            continue;
        }
        int err = compare_samples(r->a->x, r->a->n, r->b->x, r->b->n, alpha, t,
                                  COMPARE_BOOT_SEED, &r->r);
        if (err < 0) {
            snprintf(r->why, sizeof r->why, "%s", strerror(-err));
            o.counts[4]++;
            continue;
        }
        r->ok = true;
        r->verdict = verdict_word(r->r.verdict);
        o.counts[r->r.verdict == VERDICT_IMPROVED ? 0 : r->r.verdict == VERDICT_REGRESSED ? 1
                 : r->r.verdict == VERDICT_NO_CHANGE ? 2 : 3]++;
    }

    write_markdown(stdout, &o, false);
    if (out) {
        char path[PATH_MAX + 32], *md = NULL;
        size_t mdlen = 0;
        struct stat st;
        if (stat(out, &st) == 0 && !S_ISDIR(st.st_mode)) {
            code = cli_usage_error("compare", "--out '%s' is a file, not a folder", out);
            goto done;
        }
        if (mkdir(out, 0755) < 0 && errno != EEXIST) {
            fprintf(stderr, "concbench compare: cannot create %s: %s\n", out, strerror(errno));
            code = EXIT_ENV;
            goto done;
        }
        FILE *m = open_memstream(&md, &mdlen);
        if (!m) {
            code = EXIT_ENV;
            goto done;
        }
        write_markdown(m, &o, true);
        fprintf(m, "\n![B/A per cell](compare.png)\n");
        int rc = fclose(m) == 0 ? 0 : -ENOMEM;
        snprintf(path, sizeof path, "%s/compare.md", out);
        if (!rc)
            rc = afile_write(path, md, mdlen);
        free(md);
        struct afile af;
        if (!rc) {
            snprintf(path, sizeof path, "%s/compare.csv", out);
            if (!(rc = afile_open(&af, path))) {
                write_csv(af.f, &o);
                rc = afile_commit(&af);
            }
        }
        if (rc) {
            fprintf(stderr, "concbench compare: cannot write %s: %s\n", path, strerror(-rc));
            code = EXIT_ENV;
            goto done;
        }
        char plots_dir[PATH_MAX];
        report_plots_dir(plots, plots_dir, sizeof plots_dir);
        if (draw_chart(out, &o, plots_dir) == 0)
            fprintf(stderr, "concbench compare: wrote %s/compare.md, compare.csv, compare.png, "
                            "compare.svg\n", out);
        else
            code = EXIT_ENV;
    }
    if (!code && fail_on_slower && o.counts[1])
        code = EXIT_TASKS;
done:
    free(o.rows);
    free(o.only[0]);
    free(o.only[1]);
    side_free(&a);
    side_free(&b);
    return code;
}
