/* report_user.c — the charts of a sweep of the user's own (part `user`): per workload, wall time
 * against each dimension it swept (tasks, concurrency, each parameter_NAME column of
 * summary.csv), one line per model (and per value of the other swept dimensions), beside the
 * speed-up over the serial reference when it was in the sweep. plots/user.gp draws each from a
 * small data file written here and removed after. */
#include "harness/report_int.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness/sweep.h"
#include "harness/text.h"

#define MAXROWS 4096
#define MAXDIMS 10
#define MAXLINES 40

struct dim {
    int col;
    char name[48];          /* "tasks", "concurrency", or the option's name */
    bool swept;             /* for the workload at hand */
};

struct line {
    char key[200];
    unsigned order;
    size_t first;           /* its first row in summary.csv: the plan's order (N ascending) */
    unsigned long rgb;
    size_t rows[256];
    size_t n;
    bool reference;         /* the serial model, constant along this dimension */
};

/* Distinct non-empty values of column col over rows; 2 means "at least two". */
static unsigned distinct(const struct csv *c, const size_t *rows, size_t n, int col)
{
    const char *first = NULL;
    for (size_t k = 0; k < n; k++) {
        const char *v = csv_str(c, rows[k], col);
        if (!*v)
            continue;
        if (!first)
            first = v;
        else if (strcmp(first, v) != 0)
            return 2;
    }
    return first ? 1 : 0;
}

static int line_cmp(const void *a, const void *b)
{
    const struct line *x = a, *y = b;
    if (x->order != y->order)
        return x->order < y->order ? -1 : 1;
    return x->first < y->first ? -1 : x->first > y->first;
}

static const struct csv *sort_csv;
static int sort_col;
static int row_x_cmp(const void *a, const void *b)
{
    double x = csv_num(sort_csv, *(const size_t *)a, sort_col);
    double y = csv_num(sort_csv, *(const size_t *)b, sort_col);
    return x < y ? -1 : x > y;
}

/* Write the data of one chart: a block a line (two blank lines apart), each a header and
 * "line,rgb,dt,x,median_s,min_s,max_s,speedup" rows sorted by x. Returns the number of lines. */
static size_t write_chart_data(FILE *f, const struct csv *c, const size_t *rows, size_t n,
                               const struct dim *dims, size_t ndims, size_t d, bool *any_speedup)
{
    static struct line lines[MAXLINES];
    size_t nl = 0;
    int cm = csv_col(c, "model"), cmo = csv_col(c, "model_order"), crgb = csv_col(c, "model_rgb");
    int cser = csv_col(c, "serial");
    for (size_t k = 0; k < n; k++) {
        const char *m = csv_str(c, rows[k], cm);
        /* The key: the model, and the other dimensions that vary within its rows. */
        size_t mine[MAXROWS / 8], nm = 0;
        for (size_t i = 0; i < n && nm < sizeof mine / sizeof mine[0]; i++)
            if (is(csv_str(c, rows[i], cm), m))
                mine[nm++] = rows[i];
        char key[200];
        str_copy(key, sizeof key, m);
        for (size_t e = 0; e < ndims; e++)
            if (e != d && dims[e].swept && distinct(c, mine, nm, dims[e].col) > 1)
                str_append(key, sizeof key, " %s=%s",
                           is(dims[e].name, "concurrency") ? "j" :
                           is(dims[e].name, "tasks") ? "n" : dims[e].name,
                           csv_str(c, rows[k], dims[e].col));
        size_t l;
        for (l = 0; l < nl && strcmp(lines[l].key, key) != 0; l++)
            ;
        if (l == nl) {
            if (nl == MAXLINES)
                continue;
            memset(&lines[nl], 0, sizeof lines[nl]);
            str_copy(lines[nl].key, sizeof lines[nl].key, key);
            lines[nl].order = csv_uint(c, rows[k], cmo);
            lines[nl].first = rows[k];
            lines[nl].rgb = (unsigned long)csv_num(c, rows[k], crgb);
            lines[nl].reference = csv_uint(c, rows[k], cser) == 1;
            nl++;
        }
        if (lines[l].n < 256)
            lines[l].rows[lines[l].n++] = rows[k];
    }
    qsort(lines, nl, sizeof lines[0], line_cmp);
    /* The span of x, for a reference line drawn across it. */
    double xlo = INFINITY, xhi = -INFINITY;
    for (size_t k = 0; k < n; k++) {
        double x = csv_num(c, rows[k], dims[d].col);
        if (x < xlo)
            xlo = x;
        if (x > xhi)
            xhi = x;
    }
    int cmed = csv_col(c, "median_s"), cmin = csv_col(c, "min_s"), cmax = csv_col(c, "max_s");
    int csp = csv_col(c, "speedup");
    *any_speedup = false;
    for (size_t l = 0; l < nl; l++) {
        struct line *ln = &lines[l];
        sort_csv = c;
        sort_col = dims[d].col;
        qsort(ln->rows, ln->n, sizeof ln->rows[0], row_x_cmp);
        /* Same model as an earlier line: another dash. */
        int dt = 1;
        for (size_t k = 0; k < l; k++)
            dt += lines[k].rgb == ln->rgb;
        bool flat = ln->reference && distinct(c, ln->rows, ln->n, dims[d].col) == 1;
        /* Every block has its header: gnuplot reads a block's first line as its names. */
        fprintf(f, "%sline,rgb,dt,x,median_s,min_s,max_s,speedup\n", l ? "\n\n" : "");
        for (size_t k = 0; k < ln->n; k++) {
            size_t r = ln->rows[k];
            double sp = csv_num(c, r, csp);
            if (!ln->reference && isfinite(sp))
                *any_speedup = true;
            for (int rep = 0; rep < (flat ? 2 : 1); rep++) {
                fprintf(f, "%s%s,%lu,%d,", ln->key, flat ? " (reference)" : "", ln->rgb,
                        flat ? 2 : dt);
                sweep_csv_number(f, flat ? (rep ? xhi : xlo) : csv_num(c, r, dims[d].col), 9);
                const double v[] = { csv_num(c, r, cmed), csv_num(c, r, cmin),
                                     csv_num(c, r, cmax), sp };
                for (int i = 0; i < 4; i++) {
                    fputc(',', f);
                    if (!(flat && i > 0 && i < 3) || rep == 0)
                        sweep_csv_number(f, v[i], 9);
                }
                fputc('\n', f);
            }
        }
    }
    return nl;
}

int report_user_charts(const struct report_data *d, const char *plots_dir, const char *machine,
                       const char *vars, FILE *log, struct report_charts *ch)
{
    char path[4200], script[4200];
    struct csv c;
    int failed = 0;
    snprintf(path, sizeof path, "%s/summary.csv", d->dir);
    if (csv_load(path, &c) < 0)
        return 0;
    int cpart = csv_col(&c, "part"), cw = csv_col(&c, "workload"), cmed = csv_col(&c, "median_s");
    if (cpart < 0 || cw < 0 || cmed < 0 || csv_col(&c, "model_rgb") < 0) {
        csv_free(&c);
        return 0;
    }
    struct dim dims[MAXDIMS];
    size_t ndims = 0;
    dims[ndims].col = csv_col(&c, "tasks");
    str_copy(dims[ndims++].name, sizeof dims[0].name, "tasks");
    dims[ndims].col = csv_col(&c, "concurrency");
    str_copy(dims[ndims++].name, sizeof dims[0].name, "concurrency");
    for (size_t k = 0; k < c.ncols && ndims < MAXDIMS; k++)
        if (strncmp(c.head[k], "parameter_", 10) == 0) {
            dims[ndims].col = (int)k;
            str_copy(dims[ndims++].name, sizeof dims[0].name, c.head[k] + 10);
        }
    const char *ws[32];
    size_t nw = report_workloads(d, 0, ws, 32);
    snprintf(script, sizeof script, "%s/user.gp", plots_dir);
    for (size_t w = 0; w < nw; w++) {
        static size_t rows[MAXROWS];
        size_t n = 0;
        for (size_t r = 0; r < c.nrows && n < MAXROWS; r++)
            if (is(csv_str(&c, r, cpart), "user") && is(csv_str(&c, r, cw), ws[w]) &&
                isfinite(csv_num(&c, r, cmed)))
                rows[n++] = r;
        for (size_t k = 0; k < ndims; k++)
            dims[k].swept = dims[k].col >= 0 && n && distinct(&c, rows, n, dims[k].col) > 1;
        /* Concurrency follows N for the models whose default is N: it is swept only when it
         * varies at one model, N and set of options. */
        if (dims[1].swept) {
            bool varies = false;
            int cm = csv_col(&c, "model"), cpar = csv_col(&c, "params");
            for (size_t i = 0; i < n && !varies; i++)
                for (size_t j = i + 1; j < n && !varies; j++)
                    varies = is(csv_str(&c, rows[i], cm), csv_str(&c, rows[j], cm)) &&
                             csv_uint(&c, rows[i], dims[0].col) ==
                                 csv_uint(&c, rows[j], dims[0].col) &&
                             is(csv_str(&c, rows[i], cpar), csv_str(&c, rows[j], cpar)) &&
                             csv_uint(&c, rows[i], dims[1].col) !=
                                 csv_uint(&c, rows[j], dims[1].col);
            dims[1].swept = varies;
        }
        for (size_t k = 0; n && k < ndims; k++) {
            if (!dims[k].swept)
                continue;
            /* Only the rows that have this dimension (an option another workload lacks). */
            static size_t sub[MAXROWS];
            size_t ns = 0;
            for (size_t i = 0; i < n; i++)
                if (*csv_str(&c, rows[i], dims[k].col))
                    sub[ns++] = rows[i];
            char name[128], data[4300], outp[4300], xlabel[160], title[200];
            snprintf(name, sizeof name, "user-%s-%s", ws[w], dims[k].name);
            snprintf(data, sizeof data, "%s/.%s.csv.tmp", d->dir, name);
            snprintf(outp, sizeof outp, "%s/%s.png", d->dir, name);
            FILE *f = fopen(data, "w");
            if (!f) {
                fprintf(log, "concbench report: %s: %s\n", data, strerror(errno));
                failed++;
                continue;
            }
            bool speedup;
            write_chart_data(f, &c, sub, ns, dims, ndims, k, &speedup);
            if (fclose(f) != 0) {
                unlink(data);
                failed++;
                continue;
            }
            snprintf(xlabel, sizeof xlabel, "%s",
                     is(dims[k].name, "tasks") ? "number of tasks N" :
                     is(dims[k].name, "concurrency") ? "concurrency (-j: tasks in flight)" :
                     dims[k].name);
            if (!is(dims[k].name, "tasks") && !is(dims[k].name, "concurrency"))
                snprintf(xlabel, sizeof xlabel, "--%s", dims[k].name);
            snprintf(title, sizeof title, "%s: wall time against %s", ws[w], xlabel);
            char setv[256];
            snprintf(setv, sizeof setv, "%sspeedup_panel=%d", vars ? vars : "", speedup ? 1 : 0);
            char *args[] = { data, outp, (char *)machine, title, xlabel,
                             (char *)report_serial(d), NULL };
            char err[4096];
            int rc = report_run_gnuplot(script, setv, args, err, sizeof err);
            unlink(data);
            if (rc == -ENOENT)
                break;
            struct stat st;
            bool drawn = rc == 0 && stat(outp, &st) == 0 && st.st_size > 0;
            if (ch->n < REPORT_MAX_CHARTS) {
                str_copy(ch->c[ch->n].name, sizeof ch->c[0].name, name);
                ch->c[ch->n++].drawn = drawn;
            }
            if (err[0])
                fprintf(log, "gnuplot %s: %.1000s\n", name, err);
            if (!drawn) {
                fprintf(log, "concbench report: chart %s not drawn (gnuplot exit %d)\n", name,
                        rc);
                failed++;
            }
        }
    }
    csv_free(&c);
    return failed;
}
