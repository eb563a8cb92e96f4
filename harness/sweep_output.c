/* sweep_output.c — the files a sweep writes from its runs (summary.csv, runs.csv,
 * timeline.csv, models.csv, workloads.csv, PARTIAL, metadata.json last), at its end or rebuilt
 * from the journal of a sweep that could not end (sweep_rebuild). */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness/atomic_file.h"
#include "harness/catalog.h"
#include "harness/stats.h"
#include "harness/sweep_internal.h"
#include "harness/text.h"
#include "models/model.h"
#include "runtime/json.h"

const char *sweep_signal_name(int sig)
{
    static char buf[32];
    switch (sig) {
    case 0: return NULL;
    case SIGINT: return "SIGINT";
    case SIGTERM: return "SIGTERM";
    case SIGHUP: return "SIGHUP";
    default:
        snprintf(buf, sizeof buf, "signal %d", sig);
        return buf;
    }
}

static bool is_serial(const char *model)
{
    const struct model *m = model_find(model);
    return m && m->serial;
}

/* ---- timeline.csv ---- */

static void timeline_rows(FILE *f, const struct sweep *s, const struct sweep_cell *c)
{
    size_t idx[1024], n = 0;
    for (size_t k = 0; k < s->nruns && n < 1024; k++)
        if (s->runs[k].cell == c->id && s->runs[k].run > 0 && s->runs[k].status == SR_OK &&
            s->raw[k])
            idx[n++] = k;
    if (!n)
        return;
    /* The median run: sort by wall time, take the lower middle. */
    for (size_t a = 1; a < n; a++)
        for (size_t b = a; b > 0 && s->runs[idx[b]].wall_s < s->runs[idx[b - 1]].wall_s; b--) {
            size_t t = idx[b];
            idx[b] = idx[b - 1];
            idx[b - 1] = t;
        }
    const char *text = s->raw[idx[(n - 1) / 2]];
    char err[128];
    struct json_value *line = json_parse(text, strlen(text), err, sizeof err);
    const struct json_value *v = line ? json_get(line, "record") : NULL;
    const struct json_value *st = json_get(v, "task_status");
    const struct json_value *t0 = json_get(v, "task_start_s");
    const struct json_value *t1 = json_get(v, "task_end_s");
    if (st && t0 && t1 && st->type == JSON_ARRAY && t0->type == JSON_ARRAY &&
        t1->type == JSON_ARRAY && st->n == t0->n && st->n == t1->n) {
        for (size_t i = 0; i < st->n; i++) {
            fprintf(f, "%s,%s,%zu,", c->workload, c->model, i);
            if (t0->items[i].type == JSON_NUMBER)
                sweep_csv_number(f, t0->items[i].number, 9);
            fputc(',', f);
            if (t1->items[i].type == JSON_NUMBER)
                sweep_csv_number(f, t1->items[i].number, 9);
            fprintf(f, ",%s\n",
                    st->items[i].type == JSON_STRING ? st->items[i].string : "unknown");
        }
    }
    json_free(line);
}

void sweep_mark_timeline_sources(struct sweep *s)
{
    /* The timeline part, and the serial reference's headline cell of the same workload when
     * the timeline part has no serial cell of its own. */
    const struct sweep_plan *p = &s->plan;
    for (size_t i = 0; i < p->ncells; i++) {
        const struct sweep_cell *c = &p->cells[i];
        if (c->part == SWEEP_TIMELINE) {
            s->keep_raw[i] = true;
            continue;
        }
        if (c->part != SWEEP_HEADLINE || !is_serial(c->model))
            continue;
        bool has_timeline = false, has_serial = false;
        unsigned tn = 0;
        for (size_t k = 0; k < p->ncells; k++)
            if (p->cells[k].part == SWEEP_TIMELINE &&
                strcmp(p->cells[k].workload, c->workload) == 0) {
                has_timeline = true;
                tn = p->cells[k].tasks;
                has_serial |= is_serial(p->cells[k].model);
            }
        s->keep_raw[i] = has_timeline && !has_serial && tn == c->tasks;
    }
}

static int write_timeline(struct sweep *s, const char *path)
{
    struct afile a;
    int err = afile_open(&a, path);
    if (err < 0)
        return err;
    fprintf(a.f, "workload,model,task,start_s,end_s,status\n");
    /* Per workload, the serial reference first, then the timeline cells in plan order. */
    for (size_t i = 0; i < s->plan.ncells; i++) {
        const struct sweep_cell *c = &s->plan.cells[i];
        if (!s->keep_raw[i])
            continue;
        bool first_of_workload = true;
        for (size_t k = 0; k < i; k++)
            if (s->keep_raw[k] && strcmp(s->plan.cells[k].workload, c->workload) == 0)
                first_of_workload = false;
        if (!first_of_workload)
            continue;
        for (int serial = 1; serial >= 0; serial--)
            for (size_t k = 0; k < s->plan.ncells; k++)
                if (s->keep_raw[k] && strcmp(s->plan.cells[k].workload, c->workload) == 0 &&
                    is_serial(s->plan.cells[k].model) == serial)
                    timeline_rows(a.f, s, &s->plan.cells[k]);
    }
    return afile_commit(&a);
}

/* ---- runs.csv, summary.csv ---- */

static int write_runs_csv(const struct sweep *s, const char *path)
{
    struct afile a;
    int err = afile_open(&a, path);
    if (err < 0)
        return err;
    fprintf(a.f, "%s\n", sweep_runs_header);
    for (size_t k = 0; k < s->nruns; k++) {
        const struct sweep_run *r = &s->runs[k];
        const struct sweep_cell *c = &s->plan.cells[r->cell];
        if (r->run == 0 || r->status == SR_INTERRUPTED)
            continue;
        sweep_csv_text(a.f, c->workload);
        fputc(',', a.f);
        sweep_csv_text(a.f, c->model);
        fprintf(a.f, ",%s,%u,%u,%u,", sweep_part_name(c->part), c->tasks, c->concurrency,
                r->run);
        sweep_csv_number(a.f, r->wall_s, 9);
        fprintf(a.f, ",%d,", r->status == SR_OK ? 1 : 0);
        sweep_csv_text(a.f, c->params);
        fputc('\n', a.f);
    }
    return afile_commit(&a);
}

/* summary.csv, with a parameter_NAME column appended for every swept option (as hyperfine's
 * --export-csv has for -P/-L): the cell's value, the declaring table's default when the cell
 * leaves it at that, empty when the cell's workload and model do not take it. */
static int write_summary(const struct sweep *s, const struct sweep_row *rows, size_t n,
                         const char *path)
{
    char names[16][SWEEP_PARAM_NAME];
    size_t np = sweep_param_names(s->plan.cells, s->plan.ncells, names, 16);
    struct afile a;
    int err = afile_open(&a, path);
    if (err < 0)
        return err;
    if (np == 0) {
        sweep_write_summary_csv(a.f, rows, n);
        return afile_commit(&a);
    }
    char *text = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&text, &len);
    if (!m) {
        afile_abort(&a);
        return -ENOMEM;
    }
    sweep_write_summary_csv(m, rows, n);
    if (fclose(m) != 0 || !text) {
        free(text);
        afile_abort(&a);
        return -ENOMEM;
    }
    /* One line a row (no field holds a line break), in the rows' order after the header. */
    size_t row = 0;
    for (char *line = text, *next; *line; line = next, row++) {
        size_t l = strcspn(line, "\n");
        next = line + l + (line[l] == '\n');
        fwrite(line, 1, l, a.f);
        for (size_t k = 0; k < np; k++) {
            char v[160];
            fputc(',', a.f);
            if (row == 0)
                fprintf(a.f, "parameter_%s", names[k]);
            else if (row - 1 < s->plan.ncells)
                sweep_csv_text(a.f, sweep_param_value(&s->plan.cells[row - 1], names[k], v,
                                                      sizeof v));
        }
        fputc('\n', a.f);
    }
    free(text);
    return afile_commit(&a);
}

/* ---- exports: bench.json (github-action-benchmark), headline.md (hyperfine's table) ---- */

/* The wall times of cell c's measured ok runs (malloc'ed; *n of them). */
static double *ok_times(const struct sweep *s, const struct sweep_cell *c, size_t *n)
{
    double *x = malloc((s->nruns + 1) * sizeof *x);
    *n = 0;
    for (size_t k = 0; x && k < s->nruns; k++)
        if (s->runs[k].cell == c->id && s->runs[k].run > 0 && s->runs[k].status == SR_OK &&
            isfinite(s->runs[k].wall_s))
            x[(*n)++] = s->runs[k].wall_s;
    return x;
}

/* The name a cell has in bench.json: stable across sweeps, one a cell. */
static void bench_name(const struct sweep_cell *c, char *buf, size_t len)
{
    snprintf(buf, len, "%s %s %s n=%u j=%u", c->workload, c->model, sweep_part_name(c->part),
             c->tasks, c->concurrency);
    if (c->params[0])
        str_append(buf, len, " %s", c->params);
}

/* bench.json: github-action-benchmark's customSmallerIsBetter format, one entry a cell with a
 * median: [{"name", "unit", "value", "range", "extra"}]. */
static int write_bench_json(const struct sweep *s, const struct sweep_row *rows,
                            const char *path)
{
    struct afile a;
    int err = afile_open(&a, path);
    if (err < 0)
        return err;
    struct json_out j;
    json_init(&j, a.f);
    json_array_begin(&j);
    for (size_t i = 0; i < s->plan.ncells; i++) {
        const struct sweep_cell *c = &s->plan.cells[i];
        const struct sweep_row *r = &rows[i];
        if (!isfinite(r->median_s))
            continue;
        size_t n;
        double *x = ok_times(s, c, &n);
        double sd = x && n ? stats_stddev(x, n) : NAN;
        free(x);
        char name[256], range[64], extra[512], min[32], max[32];
        bench_name(c, name, sizeof name);
        snprintf(range, sizeof range, "± %.6g", isfinite(sd) ? sd : 0.0);
        fmt_time(r->min_s, min, sizeof min);
        fmt_time(r->max_s, max, sizeof max);
        snprintf(extra, sizeof extra, "median of %u/%u ok runs (min %s, max %s, cv %.3f); "
                 "range: standard deviation", r->runs_ok, r->runs_total, min, max, r->cv);
        if (isfinite(r->speedup) && !is_serial(c->model))
            str_append(extra, sizeof extra, "; speed-up %.3g over the serial reference",
                       r->speedup);
        if (c->args[0])
            str_append(extra, sizeof extra, "; run options: %s", c->args);
        json_object_begin(&j);
        json_key_str(&j, "name", name);
        json_key_str(&j, "unit", "s");
        json_key_double(&j, "value", r->median_s);
        json_key_str(&j, "range", range);
        json_key_str(&j, "extra", extra);
        json_object_end(&j);
    }
    json_array_end(&j);
    fputc('\n', a.f);
    return afile_commit(&a);
}

/* The headline grid: the headline part's cells, else the cells marked for hyperfine (a user
 * sweep's headline subset). */
static bool headline_cell(const struct sweep *s, const struct sweep_cell *c)
{
    bool any = false;
    for (size_t i = 0; i < s->plan.ncells && !any; i++)
        any = s->plan.cells[i].part == SWEEP_HEADLINE;
    return any ? c->part == SWEEP_HEADLINE : c->hyperfine;
}

/* hyperfine's number format: one decimal (more below 1). */
static void hf_num(FILE *f, double v)
{
    fprintf(f, v >= 100 ? "%.1f" : v >= 1 ? "%.2f" : v >= 0.01 ? "%.3f" : "%.3g", v);
}

/* headline.md: the headline grid the way `hyperfine --export-markdown` writes its table, one
 * table a workload (and params): mean ± standard deviation, min, max of the in-process wall
 * time over the measured ok runs, and the time relative to the fastest model. */
static int write_headline_md(const struct sweep *s, const char *path)
{
    struct afile a;
    int err = afile_open(&a, path);
    if (err < 0)
        return err;
    size_t n = s->plan.ncells;
    bool *done = calloc(n + 1, sizeof *done);
    double *mean = calloc(n + 1, sizeof *mean), *sd = calloc(n + 1, sizeof *sd);
    double *lo = calloc(n + 1, sizeof *lo), *hi = calloc(n + 1, sizeof *hi);
    if (!done || !mean || !sd || !lo || !hi) {
        err = -ENOMEM;
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        size_t k;
        double *x = ok_times(s, &s->plan.cells[i], &k);
        mean[i] = x && k ? stats_mean(x, k) : NAN;
        sd[i] = x && k ? stats_stddev(x, k) : NAN;
        lo[i] = x && k ? stats_min(x, k) : NAN;
        hi[i] = x && k ? stats_max(x, k) : NAN;
        free(x);
    }
    fprintf(a.f, "<!-- concbench sweep: the headline grid as hyperfine --export-markdown "
                 "writes it; in-process wall time of the batch over the measured runs "
                 "(%u a cell) -->\n", s->plan.runs);
    for (size_t i = 0; i < n; i++) {
        const struct sweep_cell *c = &s->plan.cells[i];
        if (done[i] || !headline_cell(s, c))
            continue;
        /* This workload's (and params') cells; the fastest mean is the reference. */
        double best = INFINITY, best_sd = 0;
        for (size_t k = i; k < n; k++) {
            const struct sweep_cell *o = &s->plan.cells[k];
            if (headline_cell(s, o) && !strcmp(o->workload, c->workload) &&
                !strcmp(o->params, c->params) && o->tasks == c->tasks && mean[k] < best) {
                best = mean[k];
                best_sd = sd[k];
            }
        }
        bool ms = !(best >= 1);
        double scale = ms ? 1e3 : 1;
        const char *u = ms ? "ms" : "s";
        fprintf(a.f, "\n### %s%s%s, %u tasks\n\n", c->workload, c->params[0] ? " " : "",
                c->params, c->tasks);
        fprintf(a.f, "| Command | Mean [%s] | Min [%s] | Max [%s] | Relative |\n", u, u, u);
        fprintf(a.f, "|:---|---:|---:|---:|---:|\n");
        for (size_t k = i; k < n; k++) {
            const struct sweep_cell *o = &s->plan.cells[k];
            if (!headline_cell(s, o) || strcmp(o->workload, c->workload) ||
                strcmp(o->params, c->params) || o->tasks != c->tasks)
                continue;
            done[k] = true;
            struct run_argv ra;
            sweep_build_argv(o, "concbench", &ra);
            fputs("| `", a.f);
            for (int w = 0; ra.argv[w]; w++)
                if (strcmp(ra.argv[w], "--json") != 0)
                    fprintf(a.f, "%s%s", w ? " " : "", ra.argv[w]);
            fputs("` | ", a.f);
            if (!isfinite(mean[k])) {
                fputs("no ok run | | | |\n", a.f);
                continue;
            }
            hf_num(a.f, mean[k] * scale);
            fputs(" ± ", a.f);
            hf_num(a.f, sd[k] * scale);
            fputs(" | ", a.f);
            hf_num(a.f, lo[k] * scale);
            fputs(" | ", a.f);
            hf_num(a.f, hi[k] * scale);
            fputs(" | ", a.f);
            if (mean[k] == best) {
                fputs("1.00 |\n", a.f);
            } else {
                double rel = mean[k] / best;
                double rsd = rel * sqrt(pow(sd[k] / mean[k], 2) + pow(best_sd / best, 2));
                fprintf(a.f, "%.2f ± %.2f |\n", rel, rsd);
            }
        }
    }
    err = afile_commit(&a);
    a.f = NULL;
out:
    if (err < 0 && a.f)
        afile_abort(&a);
    free(done);
    free(mean);
    free(sd);
    free(lo);
    free(hi);
    return err;
}

/* ---- all of them ---- */

#define MAX_FILES 16

int sweep_write_results(struct sweep *s, struct sweep_end *e)
{
    const char *files[MAX_FILES];
    unsigned nfiles = 0;
    char path[PATH_MAX + 64];
    int err = 0;

    e->runs_ok = e->runs_not_ok = e->runs_interrupted = 0;
    for (size_t k = 0; k < s->nruns; k++) {
        if (s->runs[k].run == 0)
            continue;
        if (s->runs[k].status == SR_OK)
            e->runs_ok++;
        else if (s->runs[k].status == SR_INTERRUPTED)
            e->runs_interrupted++;
        else
            e->runs_not_ok++;
    }
    if (s->werr)
        return s->werr;         /* a write failed already: claim nothing more */

    snprintf(path, sizeof path, "%s/%s", s->dir, SWEEP_PLAN_FILE);
    if (access(path, F_OK) == 0)
        files[nfiles++] = SWEEP_PLAN_FILE;
    snprintf(path, sizeof path, "%s/%s", s->dir, SWEEP_JOURNAL);
    if (access(path, F_OK) == 0)
        files[nfiles++] = SWEEP_JOURNAL;

    struct sweep_row *rows = calloc(s->plan.ncells + 1, sizeof *rows);
    if (!rows)
        return sweep_write_failed(s, "summary.csv", -ENOMEM);
    err = sweep_summarize(s->plan.cells, s->plan.ncells, s->runs, s->nruns, s->plan.cores,
                          rows);
#define STEP(name, call)                                                                      \
    do {                                                                                      \
        if (!err) {                                                                           \
            snprintf(path, sizeof path, "%s/%s", s->dir, name);                               \
            if ((err = (call)) < 0)                                                           \
                sweep_write_failed(s, name, err);                                             \
            else                                                                              \
                files[nfiles++] = name;                                                       \
        }                                                                                     \
    } while (0)
    STEP("summary.csv", write_summary(s, rows, s->plan.ncells, path));
    STEP("runs.csv", write_runs_csv(s, path));
    STEP("timeline.csv", write_timeline(s, path));
    STEP("bench.json", write_bench_json(s, rows, path));
    STEP("headline.md", write_headline_md(s, path));
    if (e->hyperfine_written) {
        STEP("hyperfine.csv", sweep_write_hyperfine_csv(s, rows));
        if (!err)
            files[nfiles++] = "hyperfine/";
    }
    STEP("models.csv", catalog_write(s->dir));
    if (!err)
        files[nfiles++] = "workloads.csv";
    free(rows);

    char text[300];
    int tl;
    if (e->rebuilt)
        tl = snprintf(text, sizeof text, "rebuilt from runs.jsonl: the sweep stopped before "
                      "writing its results; %u of %u measured runs journaled; see "
                      "metadata.json\n", e->runs_ok + e->runs_not_ok,
                      (unsigned)(s->plan.ncells * s->plan.runs));
    else
        tl = snprintf(text, sizeof text, "interrupted by %s: %u of %u measured runs done; see "
                      "metadata.json\n", e->signal ? sweep_signal_name(e->signal) : "?",
                      e->runs_ok + e->runs_not_ok, (unsigned)(s->plan.ncells * s->plan.runs));
    if (e->partial) {
        STEP("PARTIAL", afile_write(path, text, (size_t)tl));
    } else if (!err) {
        snprintf(path, sizeof path, "%s/PARTIAL", s->dir);
        unlink(path);           /* a resumed sweep that is now complete */
    }
#undef STEP
    if (err)
        return err;

    struct sweep_meta meta = {
        .tools = e->tools,
        .profile = s->plan.profile,
        .seed = s->seed,
        .runs = s->plan.runs,
        .cells = (unsigned)s->plan.ncells,
        .cores = s->plan.cores,
        .estimated_s = s->estimate_s,
        .duration_s = e->duration_s,
        .partial = e->partial,
        .signal = e->signal,
        .runs_ok = e->runs_ok,
        .runs_not_ok = e->runs_not_ok,
        .runs_interrupted = e->runs_interrupted,
        .started_utc = s->started_utc[0] ? s->started_utc : NULL,
        .stamp = s->stamp[0] ? s->stamp : NULL,
        .exe = s->exe[0] ? s->exe : NULL,
        .argc = e->argc,
        .argv = e->argv,
        .plan = &s->plan,
        .hyperfine_ran = e->hyperfine_written > 0,
        .hyperfine_note = e->hyperfine_note,
        .files = files,
        .nfiles = nfiles,
        .rebuilt = e->rebuilt,
        .resumed = s->resumed,
    };
    snprintf(path, sizeof path, "%s/metadata.json", s->dir);
    if ((err = sweep_write_metadata(path, &meta)) < 0)
        sweep_write_failed(s, "metadata.json", err);
    return err;
}

int sweep_rebuild(const char *dir, char *err, size_t errlen)
{
    struct sweep s;
    memset(&s, 0, sizeof s);
    s.journal_fd = -1;
    if (strlen(dir) >= sizeof s.dir - 32) {
        snprintf(err, errlen, "%s: folder name too long", dir);
        return -ENAMETOOLONG;
    }
    str_copy(s.dir, sizeof s.dir, dir);
    int e = sweep_plan_load(&s, dir, false, err, errlen);
    bool have_plan = e == 0;
    if (e == -ENOENT) {
        /* A journal without its plan: the cells are what the journal names. */
        sweep_plan_free(&s.plan);
        s.plan.profile = strdup("unknown");
        s.plan.cores = 1;
        e = 0;
    }
    if (!e)
        e = sweep_journal_load(&s, 0, !have_plan, false, true, err, errlen);
    if (!e) {
        struct sweep_end end = { .duration_s = NAN, .partial = true, .rebuilt = true,
                                 .hyperfine_note = "not run: the sweep stopped before" };
        if ((e = sweep_write_results(&s, &end)) < 0)
            snprintf(err, errlen, "cannot write %s/%s: %s", dir, s.werr_what, strerror(-e));
    }
    sweep_free(&s);
    return e;
}
