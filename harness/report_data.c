/* report_data.c — a results folder read into memory: summary.csv (old ones filled from the
 * registry), runs.csv with runs.jsonl's reasons, timeline.csv, hyperfine/NAME.json, metadata.json. */
#include "harness/report_int.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "harness/catalog.h"
#include "harness/text.h"

static int load_summary(const char *path, struct report_data *d, char *err, size_t errlen)
{
    struct csv c;
    bool filled;
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
    /* A summary from before the registry columns: filled here as report_upgrade would. */
    if ((rc = upgrade_summary(&c, d->meta, meta_cores(d->meta), &filled)) ||
        !(d->cells = calloc(c.nrows ? c.nrows : 1, sizeof *d->cells))) {
        csv_free(&c);
        return -ENOMEM;
    }
    for (size_t r = 0; r < c.nrows; r++) {
        struct report_cell *x = &d->cells[d->ncells++];
#define S(f) str_copy(x->f, sizeof x->f, csv_str(&c, r, csv_col(&c, #f)))
#define U(f) x->f = csv_uint(&c, r, csv_col(&c, #f))
#define N(f) x->f = csv_num(&c, r, csv_col(&c, #f))
        S(workload); S(kind); S(model); S(part); S(params); S(kind_label); S(workload_label);
        U(tasks); U(concurrency); U(runs_ok); U(runs_total);
        U(model_order); U(kind_order); U(workload_order); U(parallel);
        N(min_s); N(median_s); N(max_s); N(cv); N(speedup); N(ideal_s); N(efficiency); N(cpu_s);
        N(max_rss_kb); N(children_sum_rss_kb); N(ctx_voluntary); N(ctx_involuntary);
        N(server_cpu_s); N(per_task_us);
        N(rss_per_task_kb); N(outliers); N(bimodal); N(cpu_share); S(noise);
        N(loop_syscalls_per_task); N(loop_cpu_us_per_task);
#undef S
#undef U
#undef N
        double rgb = csv_num(&c, r, csv_col(&c, "model_rgb"));
        x->model_rgb = isfinite(rgb) && rgb >= 0 ? (unsigned long)rgb : 0;
        x->serial = csv_uint(&c, r, csv_col(&c, "serial")) == 1;
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
        cwall = csv_col(&c, "wall_s"), cok = csv_col(&c, "ok"), cpar = csv_col(&c, "params");
    for (size_t r = 0; r < c.nrows; r++) {
        struct report_run *x = &d->runs[d->nruns++];
        str_copy(x->workload, sizeof x->workload, csv_str(&c, r, cw));
        str_copy(x->model, sizeof x->model, csv_str(&c, r, cm));
        str_copy(x->part, sizeof x->part, csv_str(&c, r, cp));
        if (cpar >= 0)
            str_copy(x->params, sizeof x->params, csv_str(&c, r, cpar));
        else        /* runs.csv from before the params column */
            upgrade_params(d->meta, x->part, x->workload, x->model, x->params, sizeof x->params);
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
            if (cmd && cmd->type == JSON_STRING && (workload_find(h.workload) || model_find(h.model)))
                catalog_params(workload_find(h.workload), model_find(h.model), cmd->string,
                               h.params, sizeof h.params);
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
    char path[4200], *text;
    size_t len;
    int rc;
    memset(d, 0, sizeof *d);
    str_copy(d->dir, sizeof d->dir, dir);
    /* metadata.json first: the fill-in of an old summary reads its workload_args and cores. */
    snprintf(path, sizeof path, "%s/metadata.json", dir);
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

const struct json_value *meta_find(const struct json_value *v, const char *key, int depth)
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
    unsigned cores = meta_cores(d->meta);
    if (cores)
        return cores;
    for (size_t i = 0; i < d->ncells; i++)      /* the -j of computing work */
        if (is(d->cells[i].part, "headline") && !d->cells[i].serial &&
            !kind_waits(d, d->cells[i].kind) && d->cells[i].concurrency)
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

