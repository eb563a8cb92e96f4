/* report.c — `concbench report DIR`: charts (gnuplot, driven without a shell) and report.md, with
 * findings computed from a sweep's summary.csv, runs.csv, metadata.json and hyperfine JSON. */
#include "harness/report.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness/cli.h"
#include "harness/text.h"

#define NOISY_CV 0.10               /* a cell whose runs vary more than this is flagged */

/* ---------------------------------------------------------------- small helpers */

/* ---------------------------------------------------------------- CSV */

struct csv {
    char **head;
    size_t ncols;
    char ***rows;           /* rows[r][c]; every row has ncols fields ("" when short) */
    size_t nrows;
};

/* Split one line in place into fields: commas separate; a field in double quotes may hold
 * commas, and "" inside it is one quote. Returns the number of fields (at most max). */
static size_t csv_split(char *line, char **f, size_t max)
{
    size_t n = 0;
    char *p = line;
    for (;;) {
        if (n == max)
            break;
        if (*p == '"') {
            char *w = ++p;
            f[n++] = w;
            while (*p && !(*p == '"' && p[1] != '"')) {
                if (*p == '"')
                    p++;
                *w++ = *p++;
            }
            if (*p == '"')
                p++;
            *w = '\0';
            char *comma = strchr(p, ',');
            if (!comma)
                break;
            p = comma + 1;
        } else {
            f[n++] = p;
            char *comma = strchr(p, ',');
            if (!comma)
                break;
            *comma = '\0';
            p = comma + 1;
        }
    }
    return n;
}

static void csv_free(struct csv *c)
{
    for (size_t r = 0; r < c->nrows; r++) {
        for (size_t k = 0; k < c->ncols; k++)
            free(c->rows[r][k]);
        free(c->rows[r]);
    }
    for (size_t k = 0; k < c->ncols; k++)
        free(c->head[k]);
    free(c->rows);
    free(c->head);
    memset(c, 0, sizeof *c);
}

/* Read a CSV file with a header line. Returns 0 or -errno. */
static int csv_load(const char *path, struct csv *c)
{
    char *text, *save = NULL;
    int rc = text_slurp(path, 0, &text, NULL);
    memset(c, 0, sizeof *c);
    if (rc)
        return rc;
    size_t cap = 0;
    char *fields[64];
    for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        size_t l = strlen(line);
        if (l && line[l - 1] == '\r')
            line[--l] = '\0';
        if (l == 0)
            continue;
        size_t nf = csv_split(line, fields, 64);
        if (!c->head) {
            c->head = calloc(nf, sizeof *c->head);
            if (!c->head)
                goto nomem;
            c->ncols = nf;
            for (size_t k = 0; k < nf; k++)
                if (!(c->head[k] = strdup(fields[k])))
                    goto nomem;
            continue;
        }
        if (c->nrows == cap) {
            cap = cap ? cap * 2 : 256;
            char ***nr = realloc(c->rows, cap * sizeof *nr);
            if (!nr)
                goto nomem;
            c->rows = nr;
        }
        char **row = calloc(c->ncols, sizeof *row);
        if (!row)
            goto nomem;
        c->rows[c->nrows++] = row;
        for (size_t k = 0; k < c->ncols; k++)
            if (!(row[k] = strdup(k < nf ? fields[k] : "")))
                goto nomem;
    }
    free(text);
    return c->head ? 0 : -EINVAL;
nomem:
    free(text);
    csv_free(c);
    return -ENOMEM;
}

static int csv_col(const struct csv *c, const char *name)
{
    for (size_t k = 0; k < c->ncols; k++)
        if (strcmp(c->head[k], name) == 0)
            return (int)k;
    return -1;
}

static const char *csv_str(const struct csv *c, size_t r, int col)
{
    return col < 0 ? "" : c->rows[r][col];
}

static double csv_num(const struct csv *c, size_t r, int col)
{
    const char *s = csv_str(c, r, col);
    char *end;
    if (!*s)
        return NAN;
    double v = strtod(s, &end);
    return end == s ? NAN : v;
}

static unsigned csv_uint(const struct csv *c, size_t r, int col)
{
    double v = csv_num(c, r, col);
    return isfinite(v) && v > 0 ? (unsigned)(v + 0.5) : 0;
}

/* ---------------------------------------------------------------- loading */

static int load_summary(const char *path, struct report_data *d, char *err, size_t errlen)
{
    struct csv c;
    int rc = csv_load(path, &c);
    if (rc) {
        snprintf(err, errlen, "%s: %s", path, rc == -EINVAL ? "empty file" : strerror(-rc));
        return rc;
    }
    static const char *const required[] = { "workload", "model", "part", "tasks", "median_s" };
    for (size_t k = 0; k < sizeof required / sizeof required[0]; k++)
        if (csv_col(&c, required[k]) < 0) {
            snprintf(err, errlen, "%s: no '%s' column in the header", path, required[k]);
            csv_free(&c);
            return -EINVAL;
        }
    d->cells = calloc(c.nrows ? c.nrows : 1, sizeof *d->cells);
    if (!d->cells) {
        csv_free(&c);
        return -ENOMEM;
    }
    int cw = csv_col(&c, "workload"), ck = csv_col(&c, "kind"), cm = csv_col(&c, "model"),
        cp = csv_col(&c, "part");
    for (size_t r = 0; r < c.nrows; r++) {
        struct report_cell *x = &d->cells[d->ncells++];
        str_copy(x->workload, sizeof x->workload, csv_str(&c, r, cw));
        str_copy(x->kind, sizeof x->kind, csv_str(&c, r, ck));
        str_copy(x->model, sizeof x->model, csv_str(&c, r, cm));
        str_copy(x->part, sizeof x->part, csv_str(&c, r, cp));
#define U(f) x->f = csv_uint(&c, r, csv_col(&c, #f))
#define N(f) x->f = csv_num(&c, r, csv_col(&c, #f))
        U(tasks); U(concurrency); U(runs_ok); U(runs_total);
        N(min_s); N(median_s); N(max_s); N(cv); N(speedup); N(ideal_s); N(efficiency); N(cpu_s);
        N(max_rss_kb); N(children_sum_rss_kb); N(ctx_voluntary); N(ctx_involuntary);
        N(server_cpu_s); N(per_task_us);
#undef U
#undef N
    }
    csv_free(&c);
    return 0;
}

static int load_runs(const char *path, struct report_data *d)
{
    struct csv c;
    int rc = csv_load(path, &c);
    if (rc)
        return rc == -ENOENT ? 0 : rc;
    d->runs = calloc(c.nrows ? c.nrows : 1, sizeof *d->runs);
    if (!d->runs) {
        csv_free(&c);
        return -ENOMEM;
    }
    int cw = csv_col(&c, "workload"), cm = csv_col(&c, "model"), cp = csv_col(&c, "part"),
        ct = csv_col(&c, "tasks"), cj = csv_col(&c, "concurrency"), cr = csv_col(&c, "run"),
        cwall = csv_col(&c, "wall_s"), cok = csv_col(&c, "ok");
    for (size_t r = 0; r < c.nrows; r++) {
        struct report_run *x = &d->runs[d->nruns++];
        str_copy(x->workload, sizeof x->workload, csv_str(&c, r, cw));
        str_copy(x->model, sizeof x->model, csv_str(&c, r, cm));
        str_copy(x->part, sizeof x->part, csv_str(&c, r, cp));
        x->tasks = csv_uint(&c, r, ct);
        x->concurrency = csv_uint(&c, r, cj);
        x->run = csv_uint(&c, r, cr);
        x->wall_s = csv_num(&c, r, cwall);
        const char *ok = csv_str(&c, r, cok);
        x->ok = strcmp(ok, "1") == 0 || strcmp(ok, "true") == 0 || strcmp(ok, "ok") == 0;
    }
    csv_free(&c);
    return 0;
}

static int load_timeline(const char *path, struct report_data *d)
{
    struct csv c;
    int rc = csv_load(path, &c);
    if (rc)
        return rc == -ENOENT ? 0 : rc;
    int cw = csv_col(&c, "workload"), ct = csv_col(&c, "task");
    for (size_t r = 0; r < c.nrows; r++) {
        const char *w = csv_str(&c, r, cw);
        size_t k;
        for (k = 0; k < d->ntimeline && strcmp(d->timeline[k].workload, w) != 0; k++)
            ;
        if (k == d->ntimeline) {
            if (k == sizeof d->timeline / sizeof d->timeline[0] || !*w)
                continue;
            str_copy(d->timeline[k].workload, sizeof d->timeline[k].workload, w);
            d->timeline[k].tasks = 0;
            d->ntimeline++;
        }
        unsigned t = csv_uint(&c, r, ct) + 1;
        if (t > d->timeline[k].tasks)
            d->timeline[k].tasks = t;
    }
    csv_free(&c);
    return 0;
}

/* The value following `flag` in a command line, or "" (space-separated words). */
static void word_after(const char *cmd, const char *flag, const char *flag2, char *out, size_t len)
{
    char buf[1024];
    char *save = NULL, *prev = NULL;
    str_copy(buf, sizeof buf, cmd);
    out[0] = '\0';
    for (char *w = strtok_r(buf, " \t", &save); w; w = strtok_r(NULL, " \t", &save)) {
        if (prev && (strcmp(prev, flag) == 0 || strcmp(prev, flag2) == 0)) {
            str_copy(out, len, w);
            return;
        }
        prev = w;
    }
}

static double jnum_or_nan(const struct json_value *o, const char *key)
{
    const struct json_value *v = json_get(o, key);
    return v && v->type == JSON_NUMBER ? v->number : NAN;
}

/* hyperfine/NAME.json: results[] with command (or parameters) naming workload and model. */
static int load_hyperfine(const char *dir, struct report_data *d)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/hyperfine", dir);
    DIR *dh = opendir(path);
    if (!dh)
        return 0;
    struct dirent *e;
    size_t cap = 0;
    while ((e = readdir(dh))) {
        size_t l = strlen(e->d_name);
        if (l < 6 || strcmp(e->d_name + l - 5, ".json") != 0)
            continue;
        char file[4500], *text, perr[128];
        size_t len;
        snprintf(file, sizeof file, "%s/%s", path, e->d_name);
        if (text_slurp(file, 0, &text, &len))
            continue;
        struct json_value *v = json_parse(text, len, perr, sizeof perr);
        free(text);
        const struct json_value *res = json_get(v, "results");
        for (size_t i = 0; res && res->type == JSON_ARRAY && i < res->n; i++) {
            const struct json_value *r = &res->items[i];
            const struct json_value *cmd = json_get(r, "command");
            const struct json_value *par = json_get(r, "parameters");
            const struct json_value *pw = json_get(par, "workload"), *pm = json_get(par, "model");
            struct report_hf h = { 0 };
            if (cmd && cmd->type == JSON_STRING) {
                word_after(cmd->string, "-w", "--workload", h.workload, sizeof h.workload);
                word_after(cmd->string, "-m", "--model", h.model, sizeof h.model);
            }
            if (pw && pw->type == JSON_STRING)
                str_copy(h.workload, sizeof h.workload, pw->string);
            if (pm && pm->type == JSON_STRING)
                str_copy(h.model, sizeof h.model, pm->string);
            if (!h.workload[0] || !h.model[0])
                continue;
            h.median_s = jnum_or_nan(r, "median");
            h.mean_s = jnum_or_nan(r, "mean");
            h.min_s = jnum_or_nan(r, "min");
            h.max_s = jnum_or_nan(r, "max");
            const struct json_value *times = json_get(r, "times");
            h.runs = times && times->type == JSON_ARRAY ? (unsigned)times->n : 0;
            if (d->nhf == cap) {
                cap = cap ? cap * 2 : 32;
                struct report_hf *nh = realloc(d->hf, cap * sizeof *nh);
                if (!nh) {
                    json_free(v);
                    closedir(dh);
                    return -ENOMEM;
                }
                d->hf = nh;
            }
            d->hf[d->nhf++] = h;
        }
        json_free(v);
    }
    closedir(dh);
    return 0;
}

/* The record inside a runs.jsonl line: the line itself when it names a workload, else its first
 * member object that does. */
static const struct json_value *jsonl_record(const struct json_value *v)
{
    if (!v || v->type != JSON_OBJECT)
        return NULL;
    if (json_get(v, "workload"))
        return v;
    for (size_t i = 0; i < v->n; i++)
        if (v->items[i].type == JSON_OBJECT && json_get(&v->items[i], "workload"))
            return &v->items[i];
    return NULL;
}

static const char *jstr_any(const struct json_value *a, const struct json_value *b,
                            const char *key)
{
    const struct json_value *v = json_get(a, key);
    if (!v || v->type != JSON_STRING)
        v = json_get(b, key);
    return v && v->type == JSON_STRING ? v->string : NULL;
}

static double jnum_any(const struct json_value *a, const struct json_value *b, const char *key)
{
    double x = jnum_or_nan(a, key);
    return isfinite(x) ? x : jnum_or_nan(b, key);
}

/* Why each run that is not ok was left out, from runs.jsonl (best effort: matched on workload,
 * model, tasks, concurrency and run number where the line gives them). */
static void load_reasons(const char *path, struct report_data *d)
{
    char *text, *save = NULL, perr[128];
    if (text_slurp(path, 0, &text, NULL))
        return;
    for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        struct json_value *v = json_parse(line, strlen(line), perr, sizeof perr);
        const struct json_value *rec = jsonl_record(v);
        if (!rec) {
            json_free(v);
            continue;
        }
        const char *status = jstr_any(v, rec, "status");
        const struct json_value *verified = json_get(rec, "verified");
        bool bad = (status && strcmp(status, "ok") != 0) ||
                   (verified && verified->type == JSON_BOOL && !verified->boolean);
        if (!bad) {
            json_free(v);
            continue;
        }
        const char *w = jstr_any(rec, v, "workload"), *m = jstr_any(rec, v, "model");
        double tasks = jnum_any(rec, v, "tasks"), conc = jnum_any(rec, v, "concurrency");
        double run = jnum_or_nan(v, "run");
        char why[160] = "";
        if (status)
            str_append(why, sizeof why, "%s", status);
        double code = jnum_or_nan(v, "exit_code");
        if (isfinite(code))
            str_append(why, sizeof why, "%sexit %d", why[0] ? ", " : "", (int)code);
        const char *ve = jstr_any(rec, v, "verify_error");
        if (ve)
            str_append(why, sizeof why, "%s%s", why[0] ? ": " : "", ve);
        const struct json_value *ek = json_get(rec, "error_kinds");
        for (size_t i = 0; ek && ek->type == JSON_OBJECT && i < ek->n; i++)
            str_append(why, sizeof why, "%s%.0f x %s", why[0] ? (i ? ", " : "; ") : "",
                   ek->items[i].number, ek->keys[i]);
        const char *note = jstr_any(rec, v, "note");
        if (note)
            str_append(why, sizeof why, "%s%s", why[0] ? "; " : "", note);
        for (size_t r = 0; r < d->nruns; r++) {
            struct report_run *x = &d->runs[r];
            if (x->ok || x->why[0] || !w || !m || strcmp(x->workload, w) || strcmp(x->model, m))
                continue;
            if ((isfinite(tasks) && x->tasks != (unsigned)tasks) ||
                (isfinite(conc) && x->concurrency != (unsigned)conc) ||
                (isfinite(run) && x->run != (unsigned)run))
                continue;
            str_copy(x->why, sizeof x->why, why[0] ? why : "not ok");
            break;
        }
        json_free(v);
    }
    free(text);
}

int report_load(const char *dir, struct report_data *d, char *err, size_t errlen)
{
    char path[4200];
    int rc;
    memset(d, 0, sizeof *d);
    str_copy(d->dir, sizeof d->dir, dir);
    snprintf(path, sizeof path, "%s/summary.csv", dir);
    if ((rc = load_summary(path, d, err, errlen)))
        goto fail;
    snprintf(path, sizeof path, "%s/runs.csv", dir);
    if ((rc = load_runs(path, d))) {
        snprintf(err, errlen, "%s: %s", path, strerror(-rc));
        goto fail;
    }
    snprintf(path, sizeof path, "%s/timeline.csv", dir);
    if ((rc = load_timeline(path, d))) {
        snprintf(err, errlen, "%s: %s", path, strerror(-rc));
        goto fail;
    }
    snprintf(path, sizeof path, "%s/metadata.json", dir);
    char *text;
    size_t len;
    if (text_slurp(path, 0, &text, &len) == 0) {
        char perr[128];
        d->meta = json_parse(text, len, perr, sizeof perr);
        free(text);
        if (!d->meta) {
            snprintf(err, errlen, "%s: %s", path, perr);
            rc = -EINVAL;
            goto fail;
        }
    }
    if ((rc = load_hyperfine(dir, d))) {
        snprintf(err, errlen, "%s/hyperfine: %s", dir, strerror(-rc));
        goto fail;
    }
    snprintf(path, sizeof path, "%s/runs.jsonl", dir);
    load_reasons(path, d);
    return 0;
fail:
    report_free(d);
    return rc;
}

void report_free(struct report_data *d)
{
    free(d->cells);
    free(d->runs);
    free(d->hf);
    json_free(d->meta);
    memset(d, 0, sizeof *d);
}

/* ---------------------------------------------------------------- metadata */

static const struct json_value *meta_find(const struct json_value *v, const char *key, int depth)
{
    if (!v || v->type != JSON_OBJECT || depth > 4)
        return NULL;
    const struct json_value *hit = json_get(v, key);
    if (hit)
        return hit;
    for (size_t i = 0; i < v->n; i++)
        if ((hit = meta_find(&v->items[i], key, depth + 1)))
            return hit;
    return NULL;
}

const char *report_meta(const struct report_data *d, const char *key, char *buf, size_t len)
{
    const struct json_value *v = meta_find(d->meta, key, 0);
    if (!v)
        return NULL;
    switch (v->type) {
    case JSON_STRING:
        str_copy(buf, len, v->string);
        return buf;
    case JSON_NUMBER:
        snprintf(buf, len, "%.15g", v->number);
        return buf;
    case JSON_BOOL:
        str_copy(buf, len, v->boolean ? "true" : "false");
        return buf;
    default:
        return NULL;
    }
}

unsigned report_cores(const struct report_data *d)
{
    char buf[64];
    const char *s = report_meta(d, "cores_online", buf, sizeof buf);
    if (!s)
        s = report_meta(d, "cores", buf, sizeof buf);
    if (s && atoi(s) > 0)
        return (unsigned)atoi(s);
    for (size_t i = 0; i < d->ncells; i++)
        if (strcmp(d->cells[i].part, "headline") == 0 && strcmp(d->cells[i].kind, "cpu") == 0 &&
            strcmp(d->cells[i].model, "single") != 0)
            return d->cells[i].concurrency;
    return 0;
}

void report_machine_line(const struct report_data *d, char *buf, size_t len)
{
    char cpu[256], kern[128];
    unsigned cores = report_cores(d);
    buf[0] = '\0';
    if (cores)
        str_append(buf, len, "%u core%s", cores, cores == 1 ? "" : "s");
    if (report_meta(d, "cpu_model", cpu, sizeof cpu))
        str_append(buf, len, "%s%s", buf[0] ? " · " : "", cpu);
    if (report_meta(d, "kernel", kern, sizeof kern))
        str_append(buf, len, "%sLinux %s", buf[0] ? " · " : "", kern);
    if (!buf[0])
        str_copy(buf, len, "machine unknown (no metadata.json)");
}

/* ---------------------------------------------------------------- queries */

static bool is(const char *a, const char *b)
{
    return strcmp(a, b) == 0;
}

static bool is_process_model(const char *m)
{
    return is(m, "processes") || is(m, "process-pool");
}

/* Memory as the charts count it: the children's summed peaks for the process models, the one
 * process's peak for the others; kB, NaN when unknown. */
static double cell_memory_kb(const struct report_cell *c)
{
    if (is_process_model(c->model) && isfinite(c->children_sum_rss_kb))
        return c->children_sum_rss_kb;
    return c->max_rss_kb;
}

static const struct report_cell *find_cell(const struct report_data *d, const char *w,
                                           const char *m, const char *part)
{
    for (size_t i = 0; i < d->ncells; i++)
        if (is(d->cells[i].workload, w) && is(d->cells[i].model, m) &&
            is(d->cells[i].part, part) && isfinite(d->cells[i].median_s))
            return &d->cells[i];
    return NULL;
}

/* The distinct workloads of the summary, in order of first appearance; kind filter "" = all. */
static size_t workloads(const struct report_data *d, const char *kind, const char *out[], size_t max)
{
    size_t n = 0;
    for (size_t i = 0; i < d->ncells && n < max; i++) {
        const struct report_cell *c = &d->cells[i];
        if (kind[0] && !is(c->kind, kind))
            continue;
        size_t k;
        for (k = 0; k < n && !is(out[k], c->workload); k++)
            ;
        if (k == n)
            out[n++] = c->workload;
    }
    return n;
}

static bool has_part(const struct report_data *d, const char *w, const char *part)
{
    /* Only cells with a measured run count: a sweep interrupted before any run of a part has
     * nothing to draw, and gnuplot fails on a chart without a point. */
    for (size_t i = 0; i < d->ncells; i++)
        if ((!w || is(d->cells[i].workload, w)) && is(d->cells[i].part, part) &&
            isfinite(d->cells[i].median_s))
            return true;
    return false;
}

/* One task's wait D for sleep/http, from a row with an ideal: ideal / ceil(N / j). */
static double task_wait_s(const struct report_data *d, const char *w)
{
    for (size_t i = 0; i < d->ncells; i++) {
        const struct report_cell *c = &d->cells[i];
        if (is(c->workload, w) && isfinite(c->ideal_s) && c->tasks && c->concurrency)
            return c->ideal_s / ceil((double)c->tasks / c->concurrency);
    }
    return NAN;
}

/* What a model does for each task — a fact about the model's design, used to explain a number. */
static const char *model_per_task(const char *m)
{
    if (is(m, "single"))
        return "a plain function call";
    if (is(m, "threads"))
        return "a pthread_create and a join";
    if (is(m, "thread-pool"))
        return "a push to and a pop from a shared queue";
    if (is(m, "processes"))
        return "a fork and a wait";
    if (is(m, "process-pool"))
        return "a hand-off to an already forked worker";
    if (is(m, "async"))
        return "a callback in the event loop";
    return NULL;
}

/* ---------------------------------------------------------------- findings */

/* I/O-bound headline: the fastest model per I/O workload against single. */
static bool finding_io_headline(const struct report_data *d, char *out, size_t len)
{
    const char *ws[8];
    size_t nw = workloads(d, "io", ws, 8), said = 0;
    char a[32], b[32], c[32], cnt[32];
    out[0] = '\0';
    for (size_t k = 0; k < nw; k++) {
        const struct report_cell *single = find_cell(d, ws[k], "single", "headline"), *best = NULL;
        for (size_t i = 0; i < d->ncells; i++) {
            const struct report_cell *x = &d->cells[i];
            if (is(x->workload, ws[k]) && is(x->part, "headline") && !is(x->model, "single") &&
                isfinite(x->median_s) && (!best || x->median_s < best->median_s))
                best = x;
        }
        if (!single || !best)
            continue;
        double sp = single->median_s / best->median_s, wait = task_wait_s(d, ws[k]);
        if (said == 0) {
            str_append(out, len, "I/O-bound: on %s (%s tasks", ws[k], fmt_count(best->tasks, cnt, sizeof cnt));
            if (isfinite(wait))
                str_append(out, len, " that each wait %s", fmt_time(wait, c, sizeof c));
            str_append(out, len, ", up to %u at once), %s finished in %s, %.1fx faster than single's %s",
                   best->concurrency, best->model, fmt_time(best->median_s, a, sizeof a), sp,
                   fmt_time(single->median_s, b, sizeof b));
            if (isfinite(wait) && best->median_s < 1.5 * wait)
                str_append(out, len, " — about one task's wait, because the waits overlap");
        } else {
            str_append(out, len, "; on %s, %s was %.1fx faster (%s against %s)", ws[k], best->model,
                   sp, fmt_time(best->median_s, a, sizeof a), fmt_time(single->median_s, b, sizeof b));
        }
        said++;
    }
    if (said)
        str_append(out, len, ".");
    return said > 0;
}

/* The largest I/O batch of the task-count sweep, and what the other models took at the largest
 * N they reached. */
static bool finding_largest_batch(const struct report_data *d, char *out, size_t len)
{
    const char *ws[8];
    size_t nw = workloads(d, "io", ws, 8);
    char a[32], b[32], cnt[32], cnt2[32];
    out[0] = '\0';
    for (size_t k = 0; k < nw; k++) {
        const struct report_cell *top = NULL;
        for (size_t i = 0; i < d->ncells; i++) {
            const struct report_cell *x = &d->cells[i];
            if (!is(x->workload, ws[k]) || !is(x->part, "tasks") || !isfinite(x->median_s))
                continue;
            if (!top || x->tasks > top->tasks ||
                (x->tasks == top->tasks && x->median_s < top->median_s))
                top = x;
        }
        if (!top || top->tasks < 2)
            continue;
        double wait = task_wait_s(d, ws[k]);
        str_append(out, len, "The largest batch: %s ran %s %s tasks", top->model,
               fmt_count(top->tasks, cnt, sizeof cnt), ws[k]);
        if (isfinite(wait))
            str_append(out, len, " of %s each", fmt_time(wait, a, sizeof a));
        str_append(out, len, " in %s", fmt_time(top->median_s, b, sizeof b));
        if (isfinite(top->ideal_s))
            str_append(out, len, " (ideal %s)", fmt_time(top->ideal_s, a, sizeof a));
        /* The next largest N reached by other models, fastest first. */
        unsigned n2 = 0;
        for (size_t i = 0; i < d->ncells; i++) {
            const struct report_cell *x = &d->cells[i];
            if (is(x->workload, ws[k]) && is(x->part, "tasks") && isfinite(x->median_s) &&
                !is(x->model, top->model) && x->tasks > n2)
                n2 = x->tasks;
        }
        if (n2) {
            const struct report_cell *list[16];
            size_t nl = 0;
            for (size_t i = 0; i < d->ncells && nl < 16; i++) {
                const struct report_cell *x = &d->cells[i];
                if (is(x->workload, ws[k]) && is(x->part, "tasks") && isfinite(x->median_s) &&
                    x->tasks == n2 && !is(x->model, top->model))
                    list[nl++] = x;
            }
            for (size_t i = 1; i < nl; i++)         /* insertion sort by median */
                for (size_t j = i; j > 0 && list[j]->median_s < list[j - 1]->median_s; j--) {
                    const struct report_cell *t = list[j];
                    list[j] = list[j - 1];
                    list[j - 1] = t;
                }
            str_append(out, len, "; with %s tasks, ", fmt_count(n2, cnt2, sizeof cnt2));
            for (size_t i = 0; i < nl; i++) {
                str_append(out, len, "%s%s", i == 0 ? "" : i + 1 == nl ? " and " : ", ", list[i]->model);
                if (list[i]->concurrency < list[i]->tasks)
                    str_append(out, len, " (%u at a time)", list[i]->concurrency);
                str_append(out, len, " %s%s", i == 0 ? "took " : "", fmt_time(list[i]->median_s, a, sizeof a));
            }
        }
        str_append(out, len, ".");
        return true;
    }
    return false;
}

/* CPU-bound headline: the best parallel speed-up against the core count, and async's. */
static bool finding_cpu_headline(const struct report_data *d, char *out, size_t len)
{
    const char *ws[8];
    size_t nw = workloads(d, "cpu", ws, 8), said = 0;
    unsigned cores = report_cores(d);
    char cnt[32];
    out[0] = '\0';
    for (size_t k = 0; k < nw; k++) {
        const struct report_cell *single = find_cell(d, ws[k], "single", "headline"), *best = NULL;
        const struct report_cell *async = find_cell(d, ws[k], "async", "headline");
        for (size_t i = 0; i < d->ncells; i++) {
            const struct report_cell *x = &d->cells[i];
            if (is(x->workload, ws[k]) && is(x->part, "headline") && !is(x->model, "single") &&
                !is(x->model, "async") && isfinite(x->median_s) &&
                (!best || x->median_s < best->median_s))
                best = x;
        }
        if (!single || (!best && !async))
            continue;
        if (said == 0) {
            str_append(out, len, "CPU-bound: on %s (%s tasks", ws[k], fmt_count(single->tasks, cnt, sizeof cnt));
            if (cores)
                str_append(out, len, ", %u core%s", cores, cores == 1 ? "" : "s");
            str_append(out, len, ")");
        } else {
            str_append(out, len, "; on %s", ws[k]);
        }
        if (best) {
            double sp = single->median_s / best->median_s;
            str_append(out, len, ", %s was %.2fx faster than single", best->model, sp);
            if (said == 0 && cores > 1 && sp >= 0.85 * cores)
                str_append(out, len, " — close to the %ux that %u cores allow", cores, cores);
            else if (said == 0 && cores && sp < 0.85 * cores)
                str_append(out, len, " (%u cores would allow up to %ux)", cores, cores);
        }
        if (async) {
            double sp = single->median_s / async->median_s;
            if (sp < 1.15)
                str_append(out, len, "%s async gained nothing (%.2fx)%s", best ? ", while" : ",", sp,
                       said == 0 ? ": its one thread runs each task to the end before the next" : "");
            else
                str_append(out, len, "%s async reached %.2fx", best ? ", and" : ",", sp);
        }
        said++;
    }
    if (said)
        str_append(out, len, ".");
    return said > 0;
}

/* Dispatch cost: the cheapest and the dearest per-task overhead, each model taken at its
 * largest batch of no-op tasks (the sweep may give the expensive models fewer). */
static bool finding_overhead(const struct report_data *d, char *out, size_t len)
{
    const struct report_cell *lo = NULL, *hi = NULL;
    char a[32], b[32], c1[32], c2[32];
    for (size_t i = 0; i < d->ncells; i++) {
        const struct report_cell *x = &d->cells[i];
        if (!is(x->part, "overhead") || !isfinite(x->median_s) || !x->tasks)
            continue;
        bool largest = true;
        for (size_t j = 0; j < d->ncells && largest; j++)
            largest = !(is(d->cells[j].part, "overhead") && is(d->cells[j].model, x->model) &&
                        isfinite(d->cells[j].median_s) && d->cells[j].tasks > x->tasks);
        if (!largest)
            continue;
        double per = x->median_s / x->tasks;
        if (!lo || per < lo->median_s / lo->tasks)
            lo = x;
        if (!hi || per > hi->median_s / hi->tasks)
            hi = x;
    }
    out[0] = '\0';
    if (!lo || lo == hi)
        return false;
    double plo = lo->median_s / lo->tasks, phi = hi->median_s / hi->tasks;
    if (lo->tasks == hi->tasks)
        str_append(out, len, "Dispatch cost (%s tasks that do nothing): %s per task with %s, %s with %s",
               fmt_count(lo->tasks, c1, sizeof c1), fmt_time(plo, a, sizeof a), lo->model,
               fmt_time(phi, b, sizeof b), hi->model);
    else
        str_append(out, len, "Dispatch cost (tasks that do nothing): %s per task with %s (%s tasks), "
               "%s with %s (%s tasks)", fmt_time(plo, a, sizeof a), lo->model,
               fmt_count(lo->tasks, c1, sizeof c1), fmt_time(phi, b, sizeof b), hi->model,
               fmt_count(hi->tasks, c2, sizeof c2));
    str_append(out, len, ", %.0fx as much", phi / plo);
    const char *what = model_per_task(hi->model);
    if (what)
        str_append(out, len, " — %s pays %s per task", hi->model, what);
    str_append(out, len, ".");
    return true;
}

/* Memory: the largest and smallest footprint in the headline of one workload. */
static bool finding_memory(const struct report_data *d, char *out, size_t len)
{
    const char *ws[8];
    size_t nw = workloads(d, "", ws, 8);
    out[0] = '\0';
    for (size_t k = 0; k < nw; k++) {
        const struct report_cell *lo = NULL, *hi = NULL;
        for (size_t i = 0; i < d->ncells; i++) {
            const struct report_cell *x = &d->cells[i];
            if (!is(x->workload, ws[k]) || !is(x->part, "headline") || !isfinite(cell_memory_kb(x)))
                continue;
            if (!lo || cell_memory_kb(x) < cell_memory_kb(lo))
                lo = x;
            if (!hi || cell_memory_kb(x) > cell_memory_kb(hi))
                hi = x;
        }
        if (!lo || lo == hi || cell_memory_kb(hi) < 1.2 * cell_memory_kb(lo))
            continue;
        char cnt[32];
        str_append(out, len, "Memory (%s %s tasks): %s peaked at %.1f MB%s, %s at %.1f MB%s — %.1fx as much.",
               fmt_count(hi->tasks, cnt, sizeof cnt), ws[k], hi->model,
               cell_memory_kb(hi) / 1024.0,
               is_process_model(hi->model) ? " summed over its child processes" : " in one process",
               lo->model, cell_memory_kb(lo) / 1024.0,
               is_process_model(lo->model) ? " summed over its children" : " in one process",
               cell_memory_kb(hi) / cell_memory_kb(lo));
        return true;
    }
    return false;
}

size_t report_findings(const struct report_data *d, char (*out)[REPORT_FINDING_LEN], size_t max)
{
    bool (*const fns[])(const struct report_data *, char *, size_t) = {
        finding_io_headline, finding_cpu_headline, finding_largest_batch, finding_overhead,
        finding_memory,
    };
    size_t n = 0;
    for (size_t k = 0; k < sizeof fns / sizeof fns[0] && n < max; k++)
        if (fns[k](d, out[n], REPORT_FINDING_LEN))
            n++;
    return n;
}

/* ---------------------------------------------------------------- gnuplot */

int report_run_gnuplot(const char *script, char *const args[], char *err, size_t errlen)
{
    char *argv[16];
    int n = 0, pe[2];
    argv[n++] = "gnuplot";
    argv[n++] = "-c";
    argv[n++] = (char *)script;
    for (int k = 0; args[k] && n < 15; k++)
        argv[n++] = args[k];
    argv[n] = NULL;
    if (errlen)
        err[0] = '\0';
    if (pipe2(pe, O_CLOEXEC) < 0)
        return -errno;
    pid_t pid = fork();
    if (pid < 0) {
        int e = errno;
        close(pe[0]);
        close(pe[1]);
        return -e;
    }
    if (pid == 0) {
        int null = open("/dev/null", O_RDWR);
        if (null >= 0) {
            dup2(null, 0);
            dup2(null, 1);
        }
        dup2(pe[1], 2);
        execvp(argv[0], argv);
        _exit(127);
    }
    close(pe[1]);
    size_t used = 0;
    char buf[4096];
    for (;;) {
        ssize_t got = read(pe[0], buf, sizeof buf);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            break;
        for (ssize_t i = 0; i < got && used + 1 < errlen; i++)
            err[used++] = buf[i];
    }
    if (errlen)
        err[used < errlen ? used : errlen - 1] = '\0';
    close(pe[0]);
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return -errno;
    if (WIFEXITED(status))
        return WEXITSTATUS(status) == 127 ? -ENOENT : WEXITSTATUS(status);
    return 128 + WTERMSIG(status);
}

static void chart_add(struct report_charts *ch, const char *name)
{
    if (ch->n < REPORT_MAX_CHARTS) {
        str_copy(ch->c[ch->n].name, sizeof ch->c[0].name, name);
        ch->c[ch->n++].drawn = false;
    }
}

/* Which charts the data allows: headline, resources and overhead from the summary, and per
 * workload scaling, concurrency and timeline where their rows exist. */
static void charts_plan(const struct report_data *d, struct report_charts *ch)
{
    const char *ws[8];
    size_t nw = workloads(d, "", ws, 8);
    char name[64];
    memset(ch, 0, sizeof *ch);
    if (has_part(d, NULL, "headline")) {
        chart_add(ch, "io-vs-cpu");
        chart_add(ch, "resources");
    }
    if (has_part(d, NULL, "overhead"))
        chart_add(ch, "overhead");
    for (size_t k = 0; k < nw; k++) {
        if (has_part(d, ws[k], "tasks")) {
            snprintf(name, sizeof name, "scaling-%s", ws[k]);
            chart_add(ch, name);
        }
        if (has_part(d, ws[k], "concurrency")) {
            snprintf(name, sizeof name, "concurrency-%s", ws[k]);
            chart_add(ch, name);
        }
    }
    for (size_t k = 0; k < d->ntimeline; k++) {
        snprintf(name, sizeof name, "timeline-%s", d->timeline[k].workload);
        chart_add(ch, name);
    }
}

/* "16 tasks, -j 4" for a timeline: from the summary's timeline row when there is one. */
static void timeline_config(const struct report_data *d, const char *w, unsigned tasks,
                            char *buf, size_t len)
{
    char cnt[32];
    for (size_t i = 0; i < d->ncells; i++) {
        const struct report_cell *c = &d->cells[i];
        if (is(c->workload, w) && is(c->part, "timeline") && !is(c->model, "single")) {
            snprintf(buf, len, "%s tasks, -j %u", fmt_count(c->tasks, cnt, sizeof cnt),
                     c->concurrency);
            return;
        }
    }
    snprintf(buf, len, "%s tasks", fmt_count(tasks, cnt, sizeof cnt));
}

int report_draw_charts(const struct report_data *d, const char *plots_dir, FILE *log,
                       struct report_charts *ch)
{
    char machine[512], script[4200], data[4200], outp[4300], config[64], err[4096];
    int failed = 0;
    report_machine_line(d, machine, sizeof machine);
    charts_plan(d, ch);
    for (size_t k = 0; k < ch->n; k++) {
        const char *name = ch->c[k].name, *dash = strchr(name, '-');
        char kind[64];
        const char *w = "";
        /* io-vs-cpu is one script; scaling-W, concurrency-W, timeline-W take the workload. */
        if (dash && strcmp(name, "io-vs-cpu") != 0) {
            snprintf(kind, sizeof kind, "%.*s", (int)(dash - name), name);
            w = dash + 1;
        } else {
            str_copy(kind, sizeof kind, name);
        }
        snprintf(script, sizeof script, "%s/%s.gp", plots_dir, kind);
        snprintf(data, sizeof data, "%s/%s", d->dir,
                 is(kind, "timeline") ? "timeline.csv" : "summary.csv");
        snprintf(outp, sizeof outp, "%s/%s.png", d->dir, name);
        config[0] = '\0';
        for (size_t t = 0; t < d->ntimeline; t++)
            if (is(kind, "timeline") && is(d->timeline[t].workload, w))
                timeline_config(d, w, d->timeline[t].tasks, config, sizeof config);
        char *args[] = { data, outp, machine, (char *)w, config, NULL };
        int rc = report_run_gnuplot(script, args, err, sizeof err);
        if (rc == -ENOENT) {
            fprintf(log, "concbench report: gnuplot not found; no charts drawn "
                         "(install gnuplot-nox, then run 'make plots')\n");
            return -ENOENT;
        }
        if (rc < 0) {
            fprintf(log, "concbench report: %s: %s\n", name, strerror(-rc));
            failed++;
            continue;
        }
        struct stat st;
        ch->c[k].drawn = rc == 0 && stat(outp, &st) == 0 && st.st_size > 0;
        if (err[0]) {
            char *save = NULL;
            for (char *line = strtok_r(err, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
                fprintf(log, "gnuplot %s: %s\n", name, line);
        }
        if (!ch->c[k].drawn) {
            fprintf(log, "concbench report: chart %s not drawn (gnuplot exit %d)\n", name, rc);
            failed++;
        }
    }
    return failed;
}

/* ---------------------------------------------------------------- report.md */

static bool chart_drawn(const struct report_charts *ch, const char *name)
{
    for (size_t k = 0; ch && k < ch->n; k++)
        if (is(ch->c[k].name, name))
            return ch->c[k].drawn;
    return false;
}

static void md_chart(FILE *f, const struct report_charts *ch, const char *name, const char *alt)
{
    if (chart_drawn(ch, name))
        fprintf(f, "![%s](%s.png)\n\n", alt, name);
}

static void md_machine(const struct report_data *d, FILE *f)
{
    char v[512], v2[512];
    unsigned cores = report_cores(d);
    fprintf(f, "## The machine\n\n");
    if (!d->meta) {
        fprintf(f, "No metadata.json in this folder: the machine is unknown%s.\n\n",
                cores ? "" : " (not even its core count)");
        return;
    }
    fprintf(f, "Measured on %s", report_meta(d, "cpu_model", v, sizeof v) ? v : "an unknown CPU");
    if (cores)
        fprintf(f, " with %u core%s online", cores, cores == 1 ? "" : "s");
    if (report_meta(d, "mem_total_kb", v, sizeof v) && atof(v) > 0)
        fprintf(f, " and %.1f GB of memory", atof(v) / 1048576.0);
    if (report_meta(d, "kernel", v, sizeof v))
        fprintf(f, ", Linux %s", v);
    if (report_meta(d, "arch", v, sizeof v))
        fprintf(f, " (%s)", v);
    fprintf(f, ".");
    if (report_meta(d, "compiler_version", v, sizeof v) || report_meta(d, "compiler", v, sizeof v))
        fprintf(f, " Built with %s%s%s", report_meta(d, "cc", v2, sizeof v2) ? v2 : "",
                report_meta(d, "cc", v2, sizeof v2) ? " " : "", v);
    else if (report_meta(d, "cc", v, sizeof v))
        fprintf(f, " Built with %s", v);
    if (report_meta(d, "cflags", v, sizeof v))
        fprintf(f, ", flags `%s`", v);
    fprintf(f, ".");
    if (report_meta(d, "libcurl", v, sizeof v))
        fprintf(f, " libcurl: %s.", v);
    if (report_meta(d, "libpng", v, sizeof v))
        fprintf(f, " libpng: %s.", v);
    if (report_meta(d, "hyperfine", v, sizeof v))
        fprintf(f, " hyperfine: %s.", v);
    if (report_meta(d, "gnuplot", v, sizeof v))
        fprintf(f, " gnuplot: %s.", v);
    if (report_meta(d, "revision", v, sizeof v) || report_meta(d, "git_rev", v, sizeof v)) {
        fprintf(f, " Source: git %s", v);
        if (report_meta(d, "dirty", v2, sizeof v2) || report_meta(d, "git_dirty", v2, sizeof v2))
            fprintf(f, is(v2, "true") ? " with uncommitted changes" : ", clean tree");
        fprintf(f, ".");
    }
    if (report_meta(d, "profile", v, sizeof v))
        fprintf(f, " Profile `%s`", v);
    if (report_meta(d, "seed", v, sizeof v))
        fprintf(f, ", seed %s (the shuffled run order)", v);
    if (report_meta(d, "runs_per_cell", v, sizeof v) || report_meta(d, "runs", v, sizeof v))
        fprintf(f, ", %s runs per cell", v);
    if (report_meta(d, "date", v, sizeof v))
        fprintf(f, ", started %s", v);
    if (report_meta(d, "duration_s", v, sizeof v) && atof(v) > 0)
        fprintf(f, ", took %.0f s", atof(v));
    fprintf(f, ".\n\n");
    const struct json_value *fx = meta_find(d->meta, "fixture", 0);
    if (fx && fx->type == JSON_STRING)
        fprintf(f, "**Fixture:** %s.\n\n", fx->string);
}

/* part order in tables */
static int part_rank(const char *p)
{
    static const char *const order[] = { "headline", "tasks", "concurrency", "timeline", "overhead" };
    for (int k = 0; k < 5; k++)
        if (is(p, order[k]))
            return k;
    return 5;
}

static int model_rank(const char *m)
{
    static const char *const order[] = { "single", "threads", "thread-pool", "processes",
                                         "process-pool", "async" };
    for (int k = 0; k < 6; k++)
        if (is(m, order[k]))
            return k;
    return 6;
}

static int cmp_cells(const void *a, const void *b)
{
    const struct report_cell *x = *(const struct report_cell *const *)a;
    const struct report_cell *y = *(const struct report_cell *const *)b;
    int r = part_rank(x->part) - part_rank(y->part);
    if (!r)
        r = strcmp(x->part, y->part);
    if (!r)
        r = model_rank(x->model) - model_rank(y->model);
    if (!r)
        r = strcmp(x->model, y->model);
    if (!r)
        r = (x->tasks > y->tasks) - (x->tasks < y->tasks);
    if (!r)
        r = (x->concurrency > y->concurrency) - (x->concurrency < y->concurrency);
    return r;
}

static void md_cell_row(const struct report_cell *x, FILE *f);

static void md_workload_table(const struct report_data *d, const char *w, FILE *f)
{
    const struct report_cell **rows = calloc(d->ncells ? d->ncells : 1, sizeof *rows);
    size_t n = 0;
    if (!rows)
        return;
    for (size_t i = 0; i < d->ncells; i++)
        if (is(d->cells[i].workload, w))
            rows[n++] = &d->cells[i];
    qsort(rows, n, sizeof *rows, cmp_cells);
    /* model x tasks first (headline and task-count rows); the rest folded away below. */
    for (int pass = 0; pass < 2; pass++) {
        size_t shown = 0;
        for (size_t i = 0; i < n; i++) {
            const struct report_cell *x = rows[i];
            bool main_part = is(x->part, "headline") || is(x->part, "tasks");
            if (main_part != (pass == 0))
                continue;
            if (shown++ == 0) {
                if (pass == 1)
                    fprintf(f, "<details><summary>The other cells of %s (concurrency sweep, "
                               "overhead, timeline)</summary>\n\n", w);
                fprintf(f, "| part | model | tasks | j | median | spread (min – max) | CV | speed-up | efficiency | runs ok |\n");
                fprintf(f, "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
            }
            md_cell_row(x, f);
        }
        if (shown)
            fprintf(f, pass == 1 ? "\n</details>\n\n" : "\n");
    }
    free(rows);
}

static void md_cell_row(const struct report_cell *x, FILE *f)
{
    char a[32], b[32], c[32], cnt[32];
    {
        fprintf(f, "| %s | %s | %s | %u | %s | %s – %s | ", x->part, x->model,
                fmt_count(x->tasks, cnt, sizeof cnt), x->concurrency,
                fmt_time(x->median_s, a, sizeof a), fmt_time(x->min_s, b, sizeof b),
                fmt_time(x->max_s, c, sizeof c));
        if (!isfinite(x->cv))
            fprintf(f, "– | ");
        else if (x->cv > NOISY_CV)
            fprintf(f, "**%.1f %% noisy** | ", x->cv * 100);
        else
            fprintf(f, "%.1f %% | ", x->cv * 100);
        isfinite(x->speedup) ? fprintf(f, "%.2fx | ", x->speedup) : fprintf(f, "– | ");
        isfinite(x->efficiency) ? fprintf(f, "%.0f %% | ", x->efficiency * 100) : fprintf(f, "– | ");
        fprintf(f, "%u / %u |\n", x->runs_ok, x->runs_total);
    }
}

/* The headline grid at a glance: one row a model, one column a workload, median and speed-up. */
static void md_headline_grid(const struct report_data *d, FILE *f)
{
    const char *ws[8];
    size_t nw = workloads(d, "", ws, 8);
    static const char *const models[] = { "single", "threads", "thread-pool", "processes",
                                          "process-pool", "async" };
    char a[32], cnt[32];
    if (!has_part(d, NULL, "headline"))
        return;
    fprintf(f, "| model |");
    for (size_t k = 0; k < nw; k++) {
        const struct report_cell *c = find_cell(d, ws[k], "single", "headline");
        for (size_t i = 0; !c && i < d->ncells; i++)
            if (is(d->cells[i].workload, ws[k]) && is(d->cells[i].part, "headline"))
                c = &d->cells[i];
        if (c)
            fprintf(f, " %s (%s, %s tasks) |", ws[k], is(c->kind, "io") ? "I/O" : "CPU",
                    fmt_count(c->tasks, cnt, sizeof cnt));
        else
            fprintf(f, " %s |", ws[k]);
    }
    fprintf(f, "\n|---|");
    for (size_t k = 0; k < nw; k++)
        fprintf(f, "---:|");
    fprintf(f, "\n");
    for (size_t m = 0; m < sizeof models / sizeof models[0]; m++) {
        bool any = false;
        for (size_t k = 0; k < nw; k++)
            any |= find_cell(d, ws[k], models[m], "headline") != NULL;
        if (!any)
            continue;
        fprintf(f, "| %s |", models[m]);
        for (size_t k = 0; k < nw; k++) {
            const struct report_cell *c = find_cell(d, ws[k], models[m], "headline");
            if (!c)
                fprintf(f, " – |");
            else if (isfinite(c->speedup))
                fprintf(f, " %s (%.1fx%s) |", fmt_time(c->median_s, a, sizeof a), c->speedup,
                        isfinite(c->cv) && c->cv > NOISY_CV ? ", noisy" : "");
            else
                fprintf(f, " %s |", fmt_time(c->median_s, a, sizeof a));
        }
        fprintf(f, "\n");
    }
    fprintf(f, "\nMedian wall time of the batch, and in brackets the speed-up over single; "
               "\"noisy\": the runs varied by more than %.0f %% (CV).\n\n", NOISY_CV * 100);
}

static void md_hyperfine(const struct report_data *d, FILE *f)
{
    char a[32], b[32], c[32];
    fprintf(f, "## In-process against whole-process times (hyperfine)\n\n");
    if (!d->nhf) {
        fprintf(f, "No hyperfine/*.json in this folder: the headline grid was not timed as whole "
                   "processes.\n\n");
        return;
    }
    fprintf(f, "The in-process time runs from the first task's dispatch to the last result; "
               "hyperfine times the whole `concbench run` process, so the difference is process "
               "start-up, set-up (corpus, server, library init) and exit. The two were measured "
               "at different moments: a difference below zero is noise.\n\n");
    fprintf(f, "| workload | model | in-process median | hyperfine median | difference | hyperfine runs |\n");
    fprintf(f, "|---|---|---:|---:|---:|---:|\n");
    /* In the order of the summary's workloads, then of the models. */
    const char *ws[8];
    size_t nw = workloads(d, "", ws, 8);
    size_t order[256], no = 0;
    for (size_t k = 0; k <= nw; k++)
        for (int m = 0; m <= 6; m++)
            for (size_t i = 0; i < d->nhf && no < 256; i++) {
                size_t w;
                for (w = 0; w < nw && !is(ws[w], d->hf[i].workload); w++)
                    ;
                if (w == k && model_rank(d->hf[i].model) == m)
                    order[no++] = i;
            }
    for (size_t o = 0; o < no; o++) {
        const struct report_hf *h = &d->hf[order[o]];
        const struct report_cell *x = find_cell(d, h->workload, h->model, "headline");
        double hm = isfinite(h->median_s) ? h->median_s : h->mean_s;
        fprintf(f, "| %s | %s | %s | %s | %s | %u |\n", h->workload, h->model,
                x ? fmt_time(x->median_s, a, sizeof a) : "–", fmt_time(hm, b, sizeof b),
                x ? fmt_time(hm - x->median_s, c, sizeof c) : "–", h->runs);
    }
    fprintf(f, "\n");
}

/* A CPU-bound task on one thread keeps one core busy: single's CPU time over its wall time should
 * be close to 1; well below, something else was using the CPU during the sweep. Returns the lowest
 * ratio over the CPU-bound workloads (that workload's name in *w), or NaN. */
static double single_busy(const struct report_data *d, const char **w)
{
    double least = NAN;
    for (size_t i = 0; i < d->ncells; i++) {
        const struct report_cell *x = &d->cells[i];
        if (is(x->kind, "cpu") && is(x->model, "single") && is(x->part, "headline") &&
            isfinite(x->cpu_s) && x->median_s > 0 &&
            !(x->cpu_s / x->median_s >= least)) {
            *w = x->workload;
            least = x->cpu_s / x->median_s;
        }
    }
    return least;
}

#define BUSY_BELOW 0.8

static void busy_machine_note(const struct report_data *d, FILE *f)
{
    const char *w = NULL;
    double busy = single_busy(d, &w);
    if (!isfinite(busy))
        return;
    if (busy < BUSY_BELOW)
        fprintf(f, "**The machine was busy:** single on %s used %.2f CPU-seconds per second of "
                   "wall time, where one thread computing alone uses close to 1. Other work "
                   "competed for the CPU, so the CPU-bound times are slower, and the speed-ups "
                   "lower, than this machine can do; rerun on an idle machine.\n\n", w, busy);
    else
        fprintf(f, "single on %s kept one core %.0f %% busy (CPU time over wall time): the "
                   "CPU-bound cells had the processor to themselves.\n\n", w,
                busy > 1 ? 100.0 : busy * 100);
}

static void md_noise_and_left_out(const struct report_data *d, FILE *f)
{
    size_t noisy = 0, measured = 0, bad = 0;
    char cnt[32];
    fprintf(f, "## Noise and runs left out\n\n");
    for (size_t i = 0; i < d->ncells; i++)
        if (isfinite(d->cells[i].cv)) {
            measured++;
            noisy += d->cells[i].cv > NOISY_CV;
        }
    fprintf(f, "%zu of %zu cells are noisy (coefficient of variation above %.0f %%)%s\n",
            noisy, measured, NOISY_CV * 100, noisy ? ":" : ".");
    for (size_t i = 0; i < d->ncells; i++) {
        const struct report_cell *x = &d->cells[i];
        if (isfinite(x->cv) && x->cv > NOISY_CV)
            fprintf(f, "- %s × %s, %s, %s tasks, j %u: CV %.1f %%\n", x->workload, x->model,
                    x->part, fmt_count(x->tasks, cnt, sizeof cnt), x->concurrency, x->cv * 100);
    }
    fprintf(f, "\n");
    busy_machine_note(d, f);
    for (size_t i = 0; i < d->nruns; i++)
        bad += !d->runs[i].ok;
    if (!d->nruns) {
        size_t short_cells = 0;
        for (size_t i = 0; i < d->ncells; i++)
            short_cells += d->cells[i].runs_ok < d->cells[i].runs_total;
        fprintf(f, "No runs.csv here; %zu cells have fewer good runs than runs made.\n\n", short_cells);
        return;
    }
    fprintf(f, "%zu of %zu runs were left out of the medians and charts (a run that failed, did "
               "not verify or was interrupted; kept in runs.jsonl)%s\n",
            bad, d->nruns, bad ? ":" : ".");
    for (size_t i = 0; i < d->nruns; i++) {
        const struct report_run *r = &d->runs[i];
        if (!r->ok)
            fprintf(f, "- %s × %s, %s, %s tasks, j %u, run %u: %s\n", r->workload, r->model,
                    r->part, fmt_count(r->tasks, cnt, sizeof cnt), r->concurrency, r->run,
                    r->why[0] ? r->why : "not ok (no reason recorded in runs.jsonl)");
    }
    fprintf(f, "\n");
}

static void md_meta_list(const struct report_data *d, const char *key, const char *title, FILE *f)
{
    const struct json_value *v = meta_find(d->meta, key, 0);
    if (!v || v->type != JSON_ARRAY || v->n == 0)
        return;
    fprintf(f, "%s\n\n", title);
    for (size_t i = 0; i < v->n; i++)
        if (v->items[i].type == JSON_STRING)
            fprintf(f, "- %s\n", v->items[i].string);
    fprintf(f, "\n");
}

void report_write_markdown(const struct report_data *d, const struct report_charts *ch, FILE *f)
{
    char v[256], findings[5][REPORT_FINDING_LEN], name[64];
    fprintf(f, "# concbench report\n\n");
    if (report_meta(d, "partial", v, sizeof v) && is(v, "true")) {
        char sig[64];
        fprintf(f, "> **Partial run**%s%s: only the runs completed before it stopped are "
                   "summarized.\n\n",
                report_meta(d, "interrupted_by", sig, sizeof sig) ? ", interrupted by " : "",
                report_meta(d, "interrupted_by", sig, sizeof sig) ? sig : "");
    }
    const char *busy_w = NULL;
    double busy = single_busy(d, &busy_w);
    if (isfinite(busy) && busy < BUSY_BELOW)
        fprintf(f, "> **Warning: the machine was busy during this sweep** (single on %s got %.0f %% "
                   "of a core); CPU-bound speed-ups are understated. See \"Noise and runs left "
                   "out\".\n\n", busy_w, busy * 100);
    md_machine(d, f);

    size_t nf = report_findings(d, findings, 5);
    fprintf(f, "## Findings\n\nComputed from this folder's numbers (medians of the good runs):\n\n");
    for (size_t k = 0; k < nf; k++)
        fprintf(f, "%zu. %s\n", k + 1, findings[k]);
    if (!nf)
        fprintf(f, "None: the summary lacks the cells the findings compare.\n");
    fprintf(f, "\n");

    fprintf(f, "## The headline: I/O-bound against CPU-bound\n\n");
    md_chart(f, ch, "io-vs-cpu", "speed-up over single per model, I/O-bound and CPU-bound workloads");
    fprintf(f, "Every model ran the same batch as single; a bar is single's median time divided by "
               "the model's. Waiting overlaps (I/O-bound: up to the number of tasks in flight); "
               "computing only overlaps up to the number of cores (CPU-bound).\n\n");
    md_headline_grid(d, f);

    const char *ws[8];
    size_t nw = workloads(d, "", ws, 8);
    fprintf(f, "## Each workload\n\n");
    for (size_t k = 0; k < nw; k++) {
        const struct report_cell *any = NULL;
        for (size_t i = 0; i < d->ncells && !any; i++)
            if (is(d->cells[i].workload, ws[k]))
                any = &d->cells[i];
        fprintf(f, "### %s (%s-bound)\n\n", ws[k], is(any->kind, "io") ? "I/O" : is(any->kind, "cpu") ? "CPU" : "?");
        snprintf(name, sizeof name, "scaling-%s", ws[k]);
        md_chart(f, ch, name, "wall time against the number of tasks");
        snprintf(name, sizeof name, "concurrency-%s", ws[k]);
        md_chart(f, ch, name, "wall time against concurrency");
        snprintf(name, sizeof name, "timeline-%s", ws[k]);
        md_chart(f, ch, name, "when each task ran");
        md_workload_table(d, ws[k], f);
    }
    fprintf(f, "j is the concurrency: the most tasks in flight (1 for single, the pool size for "
               "the pools, the -j cap or N for the others). Speed-up: single's median at the same "
               "N over this median. Efficiency: the ideal time (ceil(N / j) × D for the waiting "
               "workloads) over the median. Spread: the fastest and slowest good run.\n\n");

    fprintf(f, "## Cost: CPU time, memory, dispatch\n\n");
    md_chart(f, ch, "resources", "CPU time and peak memory per model and workload");
    md_chart(f, ch, "overhead", "time per no-op task per model");
    fprintf(f, "Memory is counted per model kind: for processes and process-pool the sum of every "
               "child's peak RSS (children_sum_rss_kb), for the others the one process's peak "
               "RSS (max_rss_kb).\n\n");

    md_hyperfine(d, f);
    md_noise_and_left_out(d, f);
    md_meta_list(d, "notes", "## Notes from the sweep", f);
    md_meta_list(d, "skipped_pairs", "## Pairs left out of the sweep", f);
    fprintf(f, "---\nGenerated by `concbench report` from summary.csv, runs.csv, timeline.csv, "
               "metadata.json and hyperfine/*.json in this folder; `make plots` regenerates it.\n");
}

/* Write path atomically: into a temporary name beside it, then rename. */
static int write_atomic(const char *path, const char *data, size_t len)
{
    char tmp[4300];
    snprintf(tmp, sizeof tmp, "%s.%ld.tmp", path, (long)getpid());
    FILE *f = fopen(tmp, "wb");
    if (!f)
        return -errno;
    int rc = 0;
    if (fwrite(data, 1, len, f) != len || fflush(f) != 0 || fsync(fileno(f)) != 0)
        rc = -errno ? -errno : -EIO;
    if (fclose(f) != 0 && !rc)
        rc = -errno;
    if (!rc && rename(tmp, path) != 0)
        rc = -errno;
    if (rc)
        unlink(tmp);
    return rc;
}

int report_publish(const struct report_data *d, const char *docs, char *err, size_t errlen)
{
    char src[4200], dst[4200], *png, *md = NULL;
    size_t len, mdlen = 0;
    int rc;
    snprintf(src, sizeof src, "%s/io-vs-cpu.png", d->dir);
    if ((rc = text_slurp(src, 0, &png, &len))) {
        snprintf(err, errlen, "%s: %s (draw the charts first)", src, strerror(-rc));
        return rc;
    }
    snprintf(dst, sizeof dst, "%s/io-vs-cpu.png", docs);
    rc = write_atomic(dst, png, len);
    free(png);
    if (rc) {
        snprintf(err, errlen, "%s: %s", dst, strerror(-rc));
        return rc;
    }
    FILE *f = open_memstream(&md, &mdlen);
    if (!f)
        return -ENOMEM;
    char machine[512], findings[5][REPORT_FINDING_LEN], v[256];
    report_machine_line(d, machine, sizeof machine);
    /* results/latest moves on: name the sweep by its stamp. */
    char where[4200], stamp[64];
    const char *base = strrchr(d->dir, '/');
    base = base ? base + 1 : d->dir;
    if (is(base, "latest") && report_meta(d, "stamp", stamp, sizeof stamp))
        snprintf(where, sizeof where, "%.*s%s", (int)(base - d->dir), d->dir, stamp);
    else
        str_copy(where, sizeof where, d->dir);
    fprintf(f, "# concbench results on this machine\n\n"
               "Generated by `make plots PUBLISH=docs` (`concbench report --publish docs`) from "
               "the sweep in `%s`", where);
    if (report_meta(d, "profile", v, sizeof v))
        fprintf(f, " (profile `%s`", v);
    if (report_meta(d, "date", v, sizeof v))
        fprintf(f, ", %s", v);
    if (report_meta(d, "profile", v, sizeof v))
        fprintf(f, ")");
    fprintf(f, "; do not edit by hand. Machine: %s.", machine);
    const struct json_value *cmd = meta_find(d->meta, "command", 0);
    if (cmd && cmd->type == JSON_ARRAY && cmd->n) {
        fprintf(f, " The sweep's command: `");
        for (size_t i = 0; i < cmd->n; i++)
            if (cmd->items[i].type == JSON_STRING)
                fprintf(f, "%s%s", i ? " " : "", cmd->items[i].string);
        fprintf(f, "` (medians of its runs per cell; `make bench` runs it).");
    }
    fprintf(f, "\n\n");
    const char *busy_w = NULL;
    double busy = single_busy(d, &busy_w);
    if (isfinite(busy) && busy < BUSY_BELOW)
        fprintf(f, "> **Warning: the machine was busy during this sweep** (single on %s got %.0f %% "
                   "of a core); CPU-bound speed-ups are understated.\n\n", busy_w, busy * 100);
    fprintf(f, "![speed-up over single per model, I/O-bound and CPU-bound](io-vs-cpu.png)\n\n");
    size_t nf = report_findings(d, findings, 5);
    for (size_t k = 0; k < nf; k++)
        fprintf(f, "%zu. %s\n", k + 1, findings[k]);
    fprintf(f, "\n## The headline grid\n\n");
    md_headline_grid(d, f);
    md_hyperfine(d, f);
    if (fclose(f) != 0) {
        free(md);
        return -ENOMEM;
    }
    snprintf(dst, sizeof dst, "%s/results.md", docs);
    rc = write_atomic(dst, md, mdlen);
    free(md);
    if (rc)
        snprintf(err, errlen, "%s: %s", dst, strerror(-rc));
    return rc;
}

/* ---------------------------------------------------------------- the command */

/* The plots folder: --plots, else $CONCBENCH_PLOTS, else <binary>/../plots, else ./plots. */
static void find_plots_dir(const char *given, char *buf, size_t len)
{
    const char *env = getenv("CONCBENCH_PLOTS");
    char exe[PATH_MAX], probe[PATH_MAX + 64];
    struct stat st;
    if (given) {
        str_copy(buf, len, given);
        return;
    }
    if (env && *env) {
        str_copy(buf, len, env);
        return;
    }
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = '\0';
        for (int up = 0; up < 4; up++) {        /* bin/, build/NAME/bin/ */
            char *slash = strrchr(exe, '/');
            if (!slash)
                break;
            *slash = '\0';
            snprintf(probe, sizeof probe, "%s/plots/io-vs-cpu.gp", exe);
            if (stat(probe, &st) == 0) {
                *strrchr(probe, '/') = '\0';
                str_copy(buf, len, probe);
                return;
            }
        }
    }
    str_copy(buf, len, "plots");
}

static void usage(FILE *f)
{
    fprintf(f, "usage: concbench report [--plots DIR] [--no-charts] [--publish DOCS] DIR\n\n"
               "Reads a sweep's results folder DIR (summary.csv; runs.csv, timeline.csv,\n"
               "metadata.json, runs.jsonl, hyperfine/*.json when present), draws its charts\n"
               "with gnuplot as PNG and SVG into DIR, writes DIR/report.md, and prints the\n"
               "report's path and its findings.\n\n"
               "  --plots DIR    the gnuplot scripts (default: plots/ beside the binary's folder)\n"
               "  --no-charts    write report.md only\n"
               "  --publish DOCS also copy the headline chart to DOCS/io-vs-cpu.png and write\n"
               "                 DOCS/results.md (findings and headline tables, for README.md)\n");
}

int cmd_report(int argc, char **argv)
{
    static const struct option opts[] = {
        { "plots", required_argument, NULL, 'p' },
        { "no-charts", no_argument, NULL, 'n' },
        { "publish", required_argument, NULL, 'P' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *plots = NULL, *publish = NULL;
    bool charts = true;
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        switch (c) {
        case 'p':
            plots = optarg;
            break;
        case 'n':
            charts = false;
            break;
        case 'P':
            publish = optarg;
            break;
        case 'h':
            usage(stdout);
            return EXIT_OK;
        case ':':
            return cli_usage_error("report", "option '%s' needs a value", argv[optind - 1]);
        default:
            return cli_usage_error("report", "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind >= argc)
        return cli_usage_error("report", "no results folder given");
    if (optind + 1 < argc)
        return cli_usage_error("report", "unexpected argument '%s'", argv[optind + 1]);

    struct report_data d;
    struct report_charts ch = { 0 };
    char err[4400], plots_dir[PATH_MAX];
    int rc = report_load(argv[optind], &d, err, sizeof err);
    if (rc) {
        fprintf(stderr, "concbench report: %s\n", err);
        return rc == -ENOENT ? EXIT_USAGE : EXIT_ENV;
    }
    int failed = 0;
    if (charts) {
        find_plots_dir(plots, plots_dir, sizeof plots_dir);
        failed = report_draw_charts(&d, plots_dir, stderr, &ch);
    }

    char path[4200], tmp[4300];
    snprintf(path, sizeof path, "%s/report.md", d.dir);
    snprintf(tmp, sizeof tmp, "%s/.report.md.%ld.tmp", d.dir, (long)getpid());
    FILE *f = fopen(tmp, "w");
    if (!f) {
        fprintf(stderr, "concbench report: %s: %s\n", tmp, strerror(errno));
        report_free(&d);
        return EXIT_ENV;
    }
    report_write_markdown(&d, charts ? &ch : NULL, f);
    if (fflush(f) != 0 || fsync(fileno(f)) != 0 || fclose(f) != 0 || rename(tmp, path) != 0) {
        fprintf(stderr, "concbench report: writing %s: %s\n", path, strerror(errno));
        unlink(tmp);
        report_free(&d);
        return EXIT_ENV;
    }

    if (publish) {
        if (report_publish(&d, publish, err, sizeof err) != 0) {
            fprintf(stderr, "concbench report: --publish: %s\n", err);
            failed++;
        } else {
            printf("published: %s/results.md and %s/io-vs-cpu.png\n", publish, publish);
        }
    }
    char findings[5][REPORT_FINDING_LEN];
    size_t nf = report_findings(&d, findings, 5);
    printf("report: %s\n", path);
    for (size_t k = 0; k < nf; k++)
        printf("  %zu. %s\n", k + 1, findings[k]);
    const char *busy_w = NULL;
    double busy = single_busy(&d, &busy_w);
    if (isfinite(busy) && busy < BUSY_BELOW)
        printf("  warning: the machine was busy (single on %s got %.0f %% of a core): CPU-bound "
               "speed-ups are understated\n", busy_w, busy * 100);
    report_free(&d);
    return failed ? EXIT_ENV : EXIT_OK;
}
