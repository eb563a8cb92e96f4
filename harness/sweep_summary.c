/* sweep_summary.c — a run's record read back, and the per-cell summary (summary.csv). */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "harness/stats.h"
#include "harness/sweep.h"
#include "runtime/json.h"

const char sweep_summary_header[] =
    "workload,kind,model,part,tasks,concurrency,runs_ok,runs_total,min_s,median_s,max_s,cv,"
    "speedup,ideal_s,efficiency,cpu_s,max_rss_kb,children_sum_rss_kb,ctx_voluntary,"
    "ctx_involuntary,server_cpu_s,per_task_us";

const char *sweep_status_name(int status)
{
    static const char *const names[] = { "ok", "failed", "unverified", "timeout", "crashed",
                                         "error", "bad_output", "interrupted" };
    return status >= 0 && status <= SR_INTERRUPTED ? names[status] : "?";
}

static double num(const struct json_value *o, const char *key)
{
    const struct json_value *v = json_get(o, key);
    return v && v->type == JSON_NUMBER ? v->number : NAN;
}

bool sweep_parse_record(const char *text, size_t len, struct sweep_run *r)
{
    char err[128];
    struct json_value *v = text && len ? json_parse(text, len, err, sizeof err) : NULL;

    r->wall_s = r->cpu_s = r->server_cpu_s = NAN;
    r->max_rss_kb = r->children_sum_rss_kb = r->ctx_voluntary = r->ctx_involuntary = NAN;
    if (v && v->type != JSON_OBJECT) {
        json_free(v);
        v = NULL;
    }
    bool verified = false, interrupted = false;
    double errors = NAN;
    if (v) {
        r->wall_s = num(v, "wall_s");
        r->cpu_s = num(v, "cpu_user_s") + num(v, "cpu_sys_s");
        r->max_rss_kb = num(v, "max_rss_kb");
        r->children_sum_rss_kb = num(v, "children_sum_rss_kb");
        r->ctx_voluntary = num(v, "ctx_voluntary");
        r->ctx_involuntary = num(v, "ctx_involuntary");
        r->server_cpu_s = num(v, "server_cpu_s");
        if (isnan(r->server_cpu_s)) {
            const struct json_value *s = json_get(v, "server");
            if (s && s->type == JSON_OBJECT)
                r->server_cpu_s = num(s, "cpu_s");
        }
        const struct json_value *b = json_get(v, "verified");
        verified = b && b->type == JSON_BOOL && b->boolean;
        b = json_get(v, "interrupted");
        interrupted = b && b->type == JSON_BOOL && b->boolean;
        errors = num(v, "errors");
    }

    switch (r->exit_code) {
    case 0:
        r->status = v && verified && !isnan(r->wall_s) ? SR_OK : SR_BAD_OUTPUT;
        break;
    case 1:
        r->status = !v ? SR_ERROR : errors > 0 ? SR_FAILED : SR_UNVERIFIED;
        break;
    case 130:
        r->status = SR_INTERRUPTED;
        break;
    default:
        r->status = r->exit_code > 128 ? SR_CRASHED : SR_ERROR;
        break;
    }
    (void)interrupted;
    bool ok = v != NULL;
    json_free(v);
    return ok;
}

double sweep_ideal_s(const struct sweep_cell *c, double default_sleep_ms)
{
    char buf[32];
    if (strcmp(c->workload, "sleep") != 0 && strcmp(c->workload, "http") != 0)
        return NAN;
    if (c->concurrency == 0)
        return NAN;
    const char *v = sweep_cell_arg(c, "sleep-ms", buf, sizeof buf);
    double d = v ? strtod(v, NULL) : default_sleep_ms;
    if (!(d >= 0))
        return NAN;
    unsigned waves = (c->tasks + c->concurrency - 1) / c->concurrency;
    return (double)waves * d / 1000.0;
}

double sweep_speedup(double single_median_s, double median_s)
{
    if (!(single_median_s > 0) || !(median_s > 0))
        return NAN;
    return single_median_s / median_s;
}

double sweep_efficiency(double ideal_s, double median_s)
{
    if (!(ideal_s >= 0) || !(median_s > 0))
        return NAN;
    return ideal_s / median_s;
}

/* The median of field `off` (a double inside struct sweep_run) over the ok runs. */
static double median_of(const struct sweep_run *const *ok, size_t n, size_t off, double *buf)
{
    size_t m = 0;
    for (size_t k = 0; k < n; k++) {
        double v = *(const double *)((const char *)ok[k] + off);
        if (!isnan(v))
            buf[m++] = v;
    }
    return m ? stats_median(buf, m) : NAN;
}

int sweep_summarize(const struct sweep_cell *cells, size_t ncells, const struct sweep_run *runs,
                    size_t nruns, double default_sleep_ms, struct sweep_row *rows)
{
    const struct sweep_run **ok = malloc((nruns ? nruns : 1) * sizeof *ok);
    double *buf = malloc((nruns ? nruns : 1) * sizeof *buf);
    if (!ok || !buf) {
        free(ok);
        free(buf);
        return -ENOMEM;
    }
    for (size_t c = 0; c < ncells; c++) {
        const struct sweep_cell *cell = &cells[c];
        struct sweep_row *row = &rows[c];
        size_t nok = 0;
        unsigned total = 0;

        memset(row, 0, sizeof *row);
        row->workload = cell->workload;
        row->kind = cell->io ? "io" : "cpu";
        row->model = cell->model;
        row->part = sweep_part_name(cell->part);
        row->tasks = cell->tasks;
        row->concurrency = cell->concurrency;
        for (size_t k = 0; k < nruns; k++) {
            const struct sweep_run *r = &runs[k];
            if (r->cell != cell->id || r->run == 0 || r->status == SR_INTERRUPTED)
                continue;
            total++;
            if (r->status == SR_OK && !isnan(r->wall_s))
                ok[nok++] = r;
        }
        row->runs_ok = (unsigned)nok;
        row->runs_total = total;
        for (size_t k = 0; k < nok; k++)
            buf[k] = ok[k]->wall_s;
        row->min_s = nok ? stats_min(buf, nok) : NAN;
        row->max_s = nok ? stats_max(buf, nok) : NAN;
        row->median_s = nok ? stats_median(buf, nok) : NAN;
        row->cv = nok ? stats_cv(buf, nok) : NAN;
        row->cpu_s = median_of(ok, nok, offsetof(struct sweep_run, cpu_s), buf);
        row->max_rss_kb = median_of(ok, nok, offsetof(struct sweep_run, max_rss_kb), buf);
        row->children_sum_rss_kb =
            median_of(ok, nok, offsetof(struct sweep_run, children_sum_rss_kb), buf);
        row->ctx_voluntary = median_of(ok, nok, offsetof(struct sweep_run, ctx_voluntary), buf);
        row->ctx_involuntary =
            median_of(ok, nok, offsetof(struct sweep_run, ctx_involuntary), buf);
        row->server_cpu_s = median_of(ok, nok, offsetof(struct sweep_run, server_cpu_s), buf);
        row->ideal_s = sweep_ideal_s(cell, default_sleep_ms);
        row->efficiency = sweep_efficiency(row->ideal_s, row->median_s);
        row->per_task_us = nok && cell->tasks ? row->median_s * 1e6 / cell->tasks : NAN;
    }

    /* Speed-up over single: same workload, N and arguments; the same part first. */
    for (size_t c = 0; c < ncells; c++) {
        const struct sweep_row *same = NULL, *any = NULL;
        for (size_t s = 0; s < ncells; s++) {
            if (strcmp(cells[s].model, "single") != 0 ||
                strcmp(cells[s].workload, cells[c].workload) != 0 ||
                cells[s].tasks != cells[c].tasks || strcmp(cells[s].args, cells[c].args) != 0 ||
                isnan(rows[s].median_s))
                continue;
            if (cells[s].part == cells[c].part && !same)
                same = &rows[s];
            if (!any)
                any = &rows[s];
        }
        const struct sweep_row *base = same ? same : any;
        rows[c].speedup = base ? sweep_speedup(base->median_s, rows[c].median_s) : NAN;
    }
    free(ok);
    free(buf);
    return 0;
}

void sweep_csv_number(FILE *f, double v, int decimals)
{
    char buf[64];
    if (isnan(v) || isinf(v))
        return;
    if (v == 0)
        v = 0;                          /* no "-0" */
    int n = snprintf(buf, sizeof buf, "%.*f", decimals, v);
    if (n <= 0 || (size_t)n >= sizeof buf)
        return;
    if (strchr(buf, '.')) {
        while (n > 0 && buf[n - 1] == '0')
            buf[--n] = '\0';
        if (n > 0 && buf[n - 1] == '.')
            buf[--n] = '\0';
    }
    if (strcmp(buf, "-0") == 0)
        strcpy(buf, "0");
    fputs(buf, f);
}

/* A text field: quoted (RFC 4180) only when it holds a comma, quote or line break. */
static void csv_text(FILE *f, const char *s)
{
    if (!s)
        return;
    if (!strpbrk(s, ",\"\r\n")) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

void sweep_write_summary_csv(FILE *f, const struct sweep_row *rows, size_t n)
{
    fprintf(f, "%s\n", sweep_summary_header);
    for (size_t k = 0; k < n; k++) {
        const struct sweep_row *r = &rows[k];
        csv_text(f, r->workload);
        fputc(',', f);
        csv_text(f, r->kind);
        fputc(',', f);
        csv_text(f, r->model);
        fputc(',', f);
        csv_text(f, r->part);
        fprintf(f, ",%u,%u,%u,%u,", r->tasks, r->concurrency, r->runs_ok, r->runs_total);
        const double secs[] = { r->min_s, r->median_s, r->max_s };
        for (int i = 0; i < 3; i++) {
            sweep_csv_number(f, secs[i], 9);
            fputc(',', f);
        }
        sweep_csv_number(f, r->cv, 6);
        fputc(',', f);
        sweep_csv_number(f, r->speedup, 6);
        fputc(',', f);
        sweep_csv_number(f, r->ideal_s, 9);
        fputc(',', f);
        sweep_csv_number(f, r->efficiency, 6);
        fputc(',', f);
        sweep_csv_number(f, r->cpu_s, 6);
        fputc(',', f);
        sweep_csv_number(f, r->max_rss_kb, 1);
        fputc(',', f);
        sweep_csv_number(f, r->children_sum_rss_kb, 1);
        fputc(',', f);
        sweep_csv_number(f, r->ctx_voluntary, 1);
        fputc(',', f);
        sweep_csv_number(f, r->ctx_involuntary, 1);
        fputc(',', f);
        sweep_csv_number(f, r->server_cpu_s, 6);
        fputc(',', f);
        sweep_csv_number(f, r->per_task_us, 3);
        fputc('\n', f);
    }
}
