/* sweep_summary.c — a run's record read back, and the per-cell summary (summary.csv). */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "harness/catalog.h"
#include "harness/noise.h"
#include "harness/stats.h"
#include "harness/sweep.h"
#include "harness/text.h"
#include "runtime/utf8.h"
#include "models/model.h"
#include "runtime/json.h"
#include "workloads/workload.h"

const char sweep_summary_header[] =
    "workload,kind,model,part,tasks,concurrency,runs_ok,runs_total,min_s,median_s,max_s,cv,"
    "speedup,ideal_s,efficiency,cpu_s,max_rss_kb,children_sum_rss_kb,ctx_voluntary,"
    "ctx_involuntary,server_cpu_s,per_task_us,params,model_order,model_rgb,serial,parallel,"
    "kind_order,kind_label,workload_order,workload_label,rss_per_task_kb,outliers,bimodal,cpu_share,"
    "noise,loop_syscalls_per_task,loop_cpu_us_per_task,family";

const char sweep_runs_header[] = "workload,model,part,tasks,concurrency,run,wall_s,ok,params";

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
    r->rss_per_task_kb = NAN;
    r->rss_set = false;
    r->loop_syscalls = r->loop_cpu_s = NAN;
    if (v && v->type != JSON_OBJECT) {
        json_free(v);
        v = NULL;
    }
    bool verified = false;
    double errors = NAN;
    if (v) {
        r->wall_s = num(v, "wall_s");
        r->cpu_s = num(v, "cpu_user_s") + num(v, "cpu_sys_s");
        r->max_rss_kb = num(v, "max_rss_kb");
        r->children_sum_rss_kb = num(v, "children_sum_rss_kb");
        r->ctx_voluntary = num(v, "ctx_voluntary");
        r->ctx_involuntary = num(v, "ctx_involuntary");
        r->server_cpu_s = num(v, "server_cpu_s");
        r->rss_per_task_kb = num(v, "rss_per_task_kb");
        r->rss_set = true;
        r->loop_syscalls = num(v, "loop_syscalls");
        r->loop_cpu_s = num(v, "loop_cpu_s");
        if (isnan(r->server_cpu_s)) {
            const struct json_value *s = json_get(v, "server");
            if (s && s->type == JSON_OBJECT)
                r->server_cpu_s = num(s, "cpu_s");
        }
        const struct json_value *b = json_get(v, "verified");
        verified = b && b->type == JSON_BOOL && b->boolean;
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
    bool ok = v != NULL;
    json_free(v);
    return ok;
}

double sweep_speedup(double serial_median_s, double median_s)
{
    if (!(serial_median_s > 0) || !(median_s > 0))
        return NAN;
    return serial_median_s / median_s;
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

/* The registry's facts about a cell's model and workload (-1 / NULL when not registered). */
static void registry_columns(const struct sweep_cell *cell, struct sweep_row *row)
{
    const struct workload *w = workload_find(cell->workload);
    const struct model *m = model_find(cell->model);
    row->kind = w ? w->kind->name : NULL;
    row->kind_order = w ? (int)w->kind->order : -1;
    row->kind_label = w ? w->kind->label : NULL;
    row->workload_order = w ? (int)w->order : -1;
    row->workload_label = w ? w->label : NULL;
    row->model_order = m ? (int)m->order : -1;
    row->model_rgb = m ? (long)catalog_rgb(m->color) : -1;
    /* The reference the charts and report compare with: the C models' (another family's serial
     * model, CPython's single, is the reference of its own rows only: the speed-up column). */
    row->serial = m ? (m->serial && !m->family) : -1;
    row->family = m && m->family ? m->family : "";
    row->parallel = m && w ? (int)model_parallelism(m, w, cell->concurrency) : -1;
}

/* The cell's workload params: its params key without the model's options, so a cell compares
 * with the serial reference run with the same workload options. */
static void workload_params(const struct sweep_cell *c, char *buf, size_t len)
{
    catalog_params(workload_find(c->workload), NULL, c->args, buf, len);
}

/* Is s the serial reference for cell c: a serial model of c's model's family (C models with C
 * models, the CPython rows with CPython's single)? */
static bool is_serial_for(const struct sweep_cell *s, const struct sweep_cell *c)
{
    const struct model *m = model_find(s->model), *mc = model_find(c->model);
    if (!m || !m->serial)
        return false;
    const char *fa = m->family ? m->family : "", *fb = mc && mc->family ? mc->family : "";
    return strcmp(fa, fb) == 0;
}

/* The serial reference's row for cell c: same workload, workload params and (when `tasks`)
 * N, with a median; the cell of part `part1` first, then of `part2`, then of any part. */
static size_t serial_ref(const struct sweep_cell *cells, size_t ncells,
                         const struct sweep_row *rows, const char (*wparams)[160], size_t c,
                         bool tasks, int part1, int part2)
{
    size_t best = SIZE_MAX;
    int best_rank = 3;
    for (size_t s = 0; s < ncells; s++) {
        if (!is_serial_for(&cells[s], &cells[c]) || strcmp(cells[s].workload, cells[c].workload) != 0 ||
            (tasks && cells[s].tasks != cells[c].tasks) || strcmp(wparams[s], wparams[c]) != 0 ||
            isnan(rows[s].median_s) || cells[s].tasks == 0)
            continue;
        int rank = cells[s].part == part1 ? 0 : cells[s].part == part2 ? 1 : 2;
        if (rank < best_rank) {
            best_rank = rank;
            best = s;
        }
    }
    return best;
}

/* The memory per task in flight and the noise diagnosis of a cell's ok runs (buf: scratch). */
static void noise_columns(const struct sweep_cell *cell, const struct sweep_run *const *ok,
                          size_t nok, unsigned cores, double *buf, struct sweep_row *row)
{
    size_t m = 0;
    for (size_t k = 0; k < nok; k++)
        if (ok[k]->rss_set && !isnan(ok[k]->rss_per_task_kb))
            buf[m++] = ok[k]->rss_per_task_kb;
    row->rss_per_task_kb = m ? stats_median(buf, m) : NAN;
    /* The event loop's system calls and CPU a task (models with a loop only). */
    double per = cell->tasks ? 1.0 / cell->tasks : NAN;
    m = 0;
    for (size_t k = 0; k < nok; k++)
        if (!isnan(ok[k]->loop_syscalls))
            buf[m++] = ok[k]->loop_syscalls;
    row->loop_syscalls_per_task = m ? stats_median(buf, m) * per : NAN;
    m = 0;
    for (size_t k = 0; k < nok; k++)
        if (!isnan(ok[k]->loop_cpu_s))
            buf[m++] = ok[k]->loop_cpu_s;
    row->loop_cpu_us_per_task = m ? stats_median(buf, m) * per * 1e6 : NAN;

    row->noise[0] = '\0';
    row->outliers = row->bimodal = -1;
    row->cpu_share = NAN;
    if (!nok)
        return;
    for (size_t k = 0; k < nok; k++)
        buf[k] = ok[k]->wall_s;
    row->outliers = (int)noise_outliers(buf, nok, NULL);
    row->bimodal = noise_bimodal(buf, nok, NULL);
    /* The CPUs the cell could use: the tasks it runs at once, at most the cores. */
    unsigned cpus = row->parallel > 0 ? (unsigned)row->parallel : 1;
    if (cores && cpus > cores)
        cpus = cores;
    m = 0;
    for (size_t k = 0; k < nok; k++) {
        double sh = noise_cpu_share(ok[k]->cpu_s, ok[k]->wall_s * cpus);
        if (!isnan(sh))
            buf[m++] = sh;
    }
    row->cpu_share = m ? stats_median(buf, m) : NAN;

    if (row->outliers > 0)
        str_append(row->noise, sizeof row->noise, "%d outlier%s", row->outliers,
                   row->outliers == 1 ? "" : "s");
    if (row->bimodal > 0)
        str_append(row->noise, sizeof row->noise, "%sbimodal", row->noise[0] ? "; " : "");
    /* Only work that computes should keep its CPUs busy; waiting work and no-op dispatch
     * (overhead) leave them idle by design. */
    const struct workload *w = workload_find(cell->workload);
    if (w && !w->kind->waits && cell->part != SWEEP_OVERHEAD && row->cpu_share < SWEEP_LOW_CPU_SHARE)
        str_append(row->noise, sizeof row->noise, "%scpu %.0f %%", row->noise[0] ? "; " : "",
                   row->cpu_share * 100);
}

int sweep_summarize(const struct sweep_cell *cells, size_t ncells, const struct sweep_run *runs,
                    size_t nruns, unsigned cores, struct sweep_row *rows)
{
    const struct sweep_run **ok = malloc((nruns ? nruns : 1) * sizeof *ok);
    double *buf = malloc((nruns ? nruns : 1) * sizeof *buf);
    char (*wparams)[160] = malloc((ncells ? ncells : 1) * sizeof *wparams);
    if (!ok || !buf || !wparams) {
        free(ok);
        free(buf);
        free(wparams);
        return -ENOMEM;
    }
    for (size_t c = 0; c < ncells; c++) {
        const struct sweep_cell *cell = &cells[c];
        struct sweep_row *row = &rows[c];
        size_t nok = 0;
        unsigned total = 0;

        memset(row, 0, sizeof *row);
        workload_params(cell, wparams[c], sizeof wparams[c]);
        row->workload = cell->workload;
        row->model = cell->model;
        row->part = sweep_part_name(cell->part);
        row->tasks = cell->tasks;
        row->concurrency = cell->concurrency;
        row->params = cell->params;
        registry_columns(cell, row);
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
        row->per_task_us = nok && cell->tasks ? row->median_s * 1e6 / cell->tasks : NAN;
        noise_columns(cell, ok, nok, cores, buf, row);
    }

    for (size_t c = 0; c < ncells; c++) {
        /* Speed-up over the serial reference: same workload, N and workload params; the same
         * part first. */
        size_t s = serial_ref(cells, ncells, rows, wparams, c, true, cells[c].part, -1);
        rows[c].speedup = s != SIZE_MAX ? sweep_speedup(rows[s].median_s, rows[c].median_s)
                                        : NAN;
        /* The ideal: t1 from the serial reference's headline (any N), else the same part. */
        s = serial_ref(cells, ncells, rows, wparams, c, false, SWEEP_HEADLINE, cells[c].part);
        double t1 = s != SIZE_MAX ? rows[s].median_s / cells[s].tasks : NAN;
        rows[c].ideal_s = catalog_ideal_s(workload_find(cells[c].workload),
                                          model_find(cells[c].model), cells[c].args,
                                          cells[c].tasks, cells[c].concurrency, cores, t1);
        rows[c].efficiency = sweep_efficiency(rows[c].ideal_s, rows[c].median_s);
    }
    free(ok);
    free(buf);
    free(wparams);
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
void sweep_csv_text(FILE *f, const char *s)
{
    if (!s)
        return;
    /* Names and arguments come from the user: invalid UTF-8 becomes U+FFFD. */
    char clean[1024];
    if (!utf8_is_clean(s, 0))
        s = utf8_sanitize(s, clean, sizeof clean, 0);
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
        sweep_csv_text(f, r->workload);
        fputc(',', f);
        sweep_csv_text(f, r->kind);
        fputc(',', f);
        sweep_csv_text(f, r->model);
        fputc(',', f);
        sweep_csv_text(f, r->part);
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
        fputc(',', f);
        sweep_csv_text(f, r->params);
        const long ints[] = { r->model_order, r->model_rgb, r->serial, r->parallel,
                              r->kind_order };
        for (int i = 0; i < 5; i++)
            if (ints[i] >= 0)
                fprintf(f, ",%ld", ints[i]);
            else
                fputc(',', f);
        fputc(',', f);
        sweep_csv_text(f, r->kind_label);
        fputc(',', f);
        if (r->workload_order >= 0)
            fprintf(f, "%d", r->workload_order);
        fputc(',', f);
        sweep_csv_text(f, r->workload_label);
        fputc(',', f);
        sweep_csv_number(f, r->rss_per_task_kb, 3);
        fputc(',', f);
        if (r->outliers >= 0)
            fprintf(f, "%d", r->outliers);
        fputc(',', f);
        if (r->bimodal >= 0)
            fprintf(f, "%d", r->bimodal);
        fputc(',', f);
        sweep_csv_number(f, r->cpu_share, 4);
        fputc(',', f);
        sweep_csv_text(f, r->noise);
        fputc(',', f);
        sweep_csv_number(f, r->loop_syscalls_per_task, 6);
        fputc(',', f);
        sweep_csv_number(f, r->loop_cpu_us_per_task, 4);
        fputc(',', f);
        sweep_csv_text(f, r->family ? r->family : "");
        fputc('\n', f);
    }
}
