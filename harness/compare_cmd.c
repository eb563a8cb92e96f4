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

#include "harness/compare_int.h"

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
        compare_fill_order(r);
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
    qsort(o.rows, o.nrows, sizeof *o.rows, compare_row_cmp);
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

    compare_write_markdown(stdout, &o, false);
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
        compare_write_markdown(m, &o, true);
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
                compare_write_csv(af.f, &o);
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
        if (compare_draw_chart(out, &o, plots_dir) == 0)
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
