/* report_md.c — report.md: the machine, the findings, the headline grid, a table per workload
 * (params shown when cells differ by an option), hyperfine, noise and the runs left out. */
#include "harness/report_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "harness/sweep.h"
#include "harness/text.h"

#define SWEEP_LOW_CPU_SHARE_PCT (SWEEP_LOW_CPU_SHARE * 100)

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
    if (report_meta(d, "cores_online", v, sizeof v) && cores && (unsigned)atoi(v) != cores)
        fprintf(f, " with %s cores online, the sweep pinned to %u of them (`--cpus`)", v, cores);
    else if (cores)
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

static const struct report_data *sort_data;     /* qsort has no context argument */

static int cmp_cells(const void *a, const void *b)
{
    const struct report_cell *x = *(const struct report_cell *const *)a;
    const struct report_cell *y = *(const struct report_cell *const *)b;
    int r = part_rank(x->part) - part_rank(y->part);
    if (!r)
        r = strcmp(x->part, y->part);
    if (!r && x->model_order != y->model_order)
        r = x->model_order < y->model_order ? -1 : 1;
    if (!r)
        r = strcmp(x->model, y->model);
    if (!r)
        r = strcmp(x->params, y->params);
    if (!r)
        r = (x->tasks > y->tasks) - (x->tasks < y->tasks);
    if (!r)
        r = (x->concurrency > y->concurrency) - (x->concurrency < y->concurrency);
    return r;
}

static void md_cell_row(const struct report_cell *x, bool params, FILE *f)
{
    char a[32], b[32], c[32], cnt[32];
    fprintf(f, "| %s | %s | ", x->part, x->model);
    if (params)
        fprintf(f, "%s | ", x->params[0] ? x->params : "–");
    fprintf(f, "%s | %u | %s | %s – %s | ", fmt_count(x->tasks, cnt, sizeof cnt), x->concurrency,
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

static void md_workload_table(const struct report_data *d, const char *w, FILE *f)
{
    const struct report_cell **rows = calloc(d->ncells ? d->ncells : 1, sizeof *rows);
    size_t n = 0;
    if (!rows)
        return;
    for (size_t i = 0; i < d->ncells; i++)
        if (is(d->cells[i].workload, w))
            rows[n++] = &d->cells[i];
    sort_data = d;
    qsort(rows, n, sizeof *rows, cmp_cells);
    /* model x tasks first (headline and task-count rows); the rest folded away below. A params
     * column when a cell of the table has an option set. */
    for (int pass = 0; pass < 2; pass++) {
        size_t shown = 0;
        bool params = false;
        for (size_t i = 0; i < n; i++)
            if ((is(rows[i]->part, "headline") || is(rows[i]->part, "tasks")) == (pass == 0))
                params |= rows[i]->params[0] != '\0';
        for (size_t i = 0; i < n; i++) {
            const struct report_cell *x = rows[i];
            bool main_part = is(x->part, "headline") || is(x->part, "tasks");
            if (main_part != (pass == 0))
                continue;
            if (shown++ == 0) {
                if (pass == 1)
                    fprintf(f, "<details><summary>The other cells of %s (concurrency sweep, "
                               "overhead, timeline)</summary>\n\n", w);
                fprintf(f, "| part | model |%s tasks | j | median | spread (min – max) | CV | "
                           "speed-up | efficiency | runs ok |\n", params ? " params |" : "");
                fprintf(f, "|---|---|%s---:|---:|---:|---:|---:|---:|---:|---:|\n",
                        params ? "---|" : "");
            }
            md_cell_row(x, params, f);
        }
        if (shown)
            fprintf(f, pass == 1 ? "\n</details>\n\n" : "\n");
    }
    free(rows);
}

/* The headline grid at a glance: one row a model (model order), one column a workload and its
 * params (kind order, then workload order), median and speed-up. */
void md_headline_grid(const struct report_data *d, FILE *f)
{
    const char *ws[32], *ms[64], *ps[8];
    struct { const char *w, *params; } col[64];
    size_t nw = report_workloads(d, 0, ws, 32), nm = report_models(d, ms, 64), nc = 0;
    char a[32], cnt[32], k[32];
    const char *ref = report_serial(d);
    if (!has_part(d, NULL, "headline"))
        return;
    for (size_t w = 0; w < nw; w++) {
        size_t np = report_params_of(d, ws[w], "headline", ps, 8);
        for (size_t p = 0; p < np && nc < 64; p++, nc++) {
            col[nc].w = ws[w];
            col[nc].params = ps[p];
        }
        if (!np && nc < 64)
            col[nc++].w = ws[w], col[nc - 1].params = "";
    }
    fprintf(f, "| model |");
    for (size_t c = 0; c < nc; c++) {
        const struct report_cell *x = find_cell(d, col[c].w, col[c].params, ref, "headline");
        for (size_t i = 0; !x && i < d->ncells; i++)
            if (is(d->cells[i].workload, col[c].w) && is(d->cells[i].params, col[c].params) &&
                is(d->cells[i].part, "headline"))
                x = &d->cells[i];
        fprintf(f, " %s%s%s", col[c].w, col[c].params[0] ? " " : "", col[c].params);
        if (x)
            fprintf(f, " (%s, %s tasks)", kind_short(x, k, sizeof k),
                    fmt_count(x->tasks, cnt, sizeof cnt));
        fprintf(f, " |");
    }
    fprintf(f, "\n|---|");
    for (size_t c = 0; c < nc; c++)
        fprintf(f, "---:|");
    fprintf(f, "\n");
    for (size_t m = 0; m < nm; m++) {
        bool any = false;
        for (size_t c = 0; c < nc; c++)
            any |= find_cell(d, col[c].w, col[c].params, ms[m], "headline") != NULL;
        if (!any)
            continue;
        fprintf(f, "| %s |", ms[m]);
        for (size_t c = 0; c < nc; c++) {
            const struct report_cell *x = find_cell(d, col[c].w, col[c].params, ms[m], "headline");
            if (!x)
                fprintf(f, " – |");
            else if (isfinite(x->speedup))
                fprintf(f, " %s (%.1fx%s) |", fmt_time(x->median_s, a, sizeof a), x->speedup,
                        isfinite(x->cv) && x->cv > NOISY_CV ? ", noisy" : "");
            else
                fprintf(f, " %s |", fmt_time(x->median_s, a, sizeof a));
        }
        fprintf(f, "\n");
    }
    fprintf(f, "\nMedian wall time of the batch, and in brackets the speed-up over %s; "
               "\"noisy\": the runs varied by more than %.0f %% (CV).\n\n", ref, NOISY_CV * 100);
}

void md_hyperfine(const struct report_data *d, FILE *f)
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
    const char *ws[32], *ms[64];
    size_t nw = report_workloads(d, 0, ws, 32), nm = report_models(d, ms, 64);
    for (size_t k = 0; k < nw; k++)
        for (size_t m = 0; m < nm; m++)
            for (size_t i = 0; i < d->nhf; i++) {
                const struct report_hf *h = &d->hf[i];
                if (!is(h->workload, ws[k]) || !is(h->model, ms[m]))
                    continue;
                const struct report_cell *x = find_cell(d, h->workload, h->params, h->model,
                                                        "headline");
                if (!x)
                    x = find_cell(d, h->workload, NULL, h->model, "headline");
                double hm = isfinite(h->median_s) ? h->median_s : h->mean_s;
                fprintf(f, "| %s | %s | %s | %s | %s | %u |\n", h->workload, h->model,
                        x ? fmt_time(x->median_s, a, sizeof a) : "–", fmt_time(hm, b, sizeof b),
                        x ? fmt_time(hm - x->median_s, c, sizeof c) : "–", h->runs);
            }
    fprintf(f, "\n");
}

/* Computing work on one thread keeps one core busy: the serial reference's CPU time over its
 * wall time should be close to 1; well below, something else used the CPU during the sweep. */
static void busy_machine_note(const struct report_data *d, FILE *f)
{
    const char *w = NULL;
    double busy = serial_busy(d, &w);
    if (!isfinite(busy))
        return;
    if (busy < BUSY_BELOW)
        fprintf(f, "**The machine was busy:** %s on %s used %.2f CPU-seconds per second of "
                   "wall time, where one thread computing alone uses close to 1. Other work "
                   "competed for the CPU, so the times of the work that computes are slower, and "
                   "the speed-ups lower, than this machine can do; rerun on an idle machine.\n\n",
                report_serial(d), w, busy);
    else
        fprintf(f, "%s on %s kept one core %.0f %% busy (CPU time over wall time): the cells "
                   "that compute had the processor to themselves.\n\n", report_serial(d), w,
                busy > 1 ? 100.0 : busy * 100);
}

/* The run-level diagnosis of the sweep (the summary's outliers, bimodal, cpu_share and noise
 * columns): every flagged cell with its reasons. */
static void md_noise_diagnosis(const struct report_data *d, FILE *f)
{
    size_t flagged = 0, diagnosed = 0;
    char cnt[32];
    for (size_t i = 0; i < d->ncells; i++)
        if (isfinite(d->cells[i].outliers)) {
            diagnosed++;
            flagged += d->cells[i].noise[0] != '\0';
        }
    if (!diagnosed) {
        fprintf(f, "This folder's summary has no run-level noise diagnosis (outliers, bimodal, "
                   "cpu_share: a sweep from before those columns).\n\n");
        return;
    }
    fprintf(f, "%zu of %zu cells are flagged by the run-level diagnosis%s\n", flagged, diagnosed,
            flagged ? ":" : ".");
    for (size_t i = 0; i < d->ncells; i++) {
        const struct report_cell *x = &d->cells[i];
        if (!x->noise[0])
            continue;
        fprintf(f, "- %s × %s, %s%s%s, %s tasks, j %u: %s", x->workload, x->model, x->part,
                x->params[0] ? ", " : "", x->params, fmt_count(x->tasks, cnt, sizeof cnt),
                x->concurrency, x->noise);
        if (isfinite(x->cv))
            fprintf(f, " (CV %.1f %%%s)", x->cv * 100, x->cv > NOISY_CV ? ", noisy" : "");
        fprintf(f, "\n");
    }
    fprintf(f, "\n*outliers*: runs whose modified z-score, 0.6745 × (run − median) / MAD, exceeds "
               "3.5 (as hyperfine warns); *bimodal*: the largest gap between the sorted runs "
               "exceeds 3 MADs with at least 2 runs on each side (two clumps: a wake-up on the "
               "other CPU against one on the same CPU); *cpu N %%*: work that computes got less "
               "than %.0f %% of the CPUs it could use — CPU time (user + system, children "
               "included) over wall time × min(tasks at once, cores), the median over the runs "
               "(the `cpu_share` column; waiting work and no-op dispatch are not judged by it). "
               "The charts mark flagged and noisy cells with \"∼\" (headline) or a hollow ring "
               "(task-count charts).\n\n", SWEEP_LOW_CPU_SHARE_PCT);
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
            fprintf(f, "- %s × %s, %s%s%s, %s tasks, j %u: CV %.1f %%\n", x->workload,
                    x->model, x->part, x->params[0] ? ", " : "", x->params,
                    fmt_count(x->tasks, cnt, sizeof cnt), x->concurrency, x->cv * 100);
    }
    fprintf(f, "\n");
    md_noise_diagnosis(d, f);
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
            fprintf(f, "- %s × %s, %s%s%s, %s tasks, j %u, run %u: %s\n", r->workload,
                    r->model, r->part, r->params[0] ? ", " : "", r->params,
                    fmt_count(r->tasks, cnt, sizeof cnt), r->concurrency, r->run,
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

/* The kinds' labels joined ("I/O-bound and CPU-bound"), those that wait (waits = 1), those
 * that compute (0) or all (-1). */
static void kind_labels(const struct report_data *d, int waits, const char *sep, char *buf,
                        size_t len)
{
    const struct report_cell *k[16];
    size_t nk = report_kinds(d, k, 16), said = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < nk; i++)
        if (waits < 0 || kind_waits(d, k[i]->kind) == (waits == 1))
            str_append(buf, len, "%s%s", said++ ? sep : "",
                       k[i]->kind_label[0] ? k[i]->kind_label : k[i]->kind);
}

/* Which models count memory as the sum over their child processes. */
void report_write_markdown(const struct report_data *d, const struct report_charts *ch, FILE *f)
{
    char v[256], findings[10][REPORT_FINDING_LEN], name[64], all[256], wait[256], comp[256];
    char alt[512];
    const char *ref = report_serial(d);
    fprintf(f, "# concbench report\n\n");
    if (report_meta(d, "partial", v, sizeof v) && is(v, "true")) {
        char sig[64];
        fprintf(f, "> **Partial run**%s%s: only the runs completed before it stopped are "
                   "summarized.\n\n",
                report_meta(d, "interrupted_by", sig, sizeof sig) ? ", interrupted by " : "",
                report_meta(d, "interrupted_by", sig, sizeof sig) ? sig : "");
    }
    const char *busy_w = NULL;
    double busy = serial_busy(d, &busy_w);
    if (isfinite(busy) && busy < BUSY_BELOW)
        fprintf(f, "> **Warning: the machine was busy during this sweep** (%s on %s got %.0f %% "
                   "of a core); the speed-ups of the work that computes are understated. See "
                   "\"Noise and runs left out\".\n\n", ref, busy_w, busy * 100);
    md_machine(d, f);

    size_t nf = report_findings(d, findings, 10);
    fprintf(f, "## Findings\n\nComputed from this folder's numbers (medians of the good runs):\n\n");
    for (size_t k = 0; k < nf; k++)
        fprintf(f, "%zu. %s\n", k + 1, findings[k]);
    if (!nf)
        fprintf(f, "None: the summary lacks the cells the findings compare.\n");
    fprintf(f, "\n");

    kind_labels(d, -1, " against ", all, sizeof all);
    kind_labels(d, 1, ", ", wait, sizeof wait);
    kind_labels(d, 0, ", ", comp, sizeof comp);
    fprintf(f, "## The headline: %s\n\n", all);
    kind_labels(d, -1, " and ", all, sizeof all);
    snprintf(alt, sizeof alt, "speed-up over %s per model, %s workloads", ref, all);
    md_chart(f, ch, "io-vs-cpu", alt);
    fprintf(f, "Every model ran the same batch as %s; a bar is %s's median time divided by the "
               "model's.", ref, ref);
    if (wait[0])
        fprintf(f, " Waiting overlaps (%s: up to the number of tasks in flight).", wait);
    if (comp[0])
        fprintf(f, " Computing only overlaps up to the number of cores (%s).", comp);
    fprintf(f, "\n\n");
    md_headline_grid(d, f);

    const char *ws[32];
    size_t nw = report_workloads(d, 0, ws, 32);
    fprintf(f, "## Each workload\n\n");
    for (size_t k = 0; k < nw; k++) {
        const struct report_cell *any = NULL;
        for (size_t i = 0; i < d->ncells && !any; i++)
            if (is(d->cells[i].workload, ws[k]))
                any = &d->cells[i];
        fprintf(f, "### %s (%s)\n\n", ws[k], any->kind_label[0] ? any->kind_label : any->kind);
        if (any->workload_label[0])
            fprintf(f, "*%s*\n\n", any->workload_label);
        snprintf(name, sizeof name, "scaling-%s", ws[k]);
        md_chart(f, ch, name, "wall time against the number of tasks");
        snprintf(name, sizeof name, "concurrency-%s", ws[k]);
        md_chart(f, ch, name, "wall time against concurrency");
        snprintf(name, sizeof name, "contention-%s", ws[k]);
        md_chart(f, ch, name, "wall time against concurrency for each synchronisation");
        snprintf(name, sizeof name, "lost-%s", ws[k]);
        md_chart(f, ch, name, "updates lost without a lock per model");
        snprintf(name, sizeof name, "timeline-%s", ws[k]);
        md_chart(f, ch, name, "when each task ran");
        snprintf(name, sizeof name, "user-%s-", ws[k]);    /* a sweep of your own */
        for (size_t c = 0; ch && c < ch->n; c++)
            if (strncmp(ch->c[c].name, name, strlen(name)) == 0)
                md_chart(f, ch, ch->c[c].name, "wall time against a swept dimension");
        md_workload_table(d, ws[k], f);
    }
    fprintf(f, "j is the concurrency: the most tasks in flight (1 for %s, the pool size for the "
               "pools, the -j cap or N for the others). params: the options of a cell that "
               "differ from the defaults (a cell's key with the workload, model, part, N and "
               "j). Speed-up: %s's median at the same N and params over this median. "
               "Efficiency: the ideal time (ideal_s: the workload's rule for N tasks, the tasks "
               "the model runs at once and the cores; for work that computes, t1 is %s's median "
               "per task) over the median. Spread: the fastest and slowest good run.\n\n",
            ref, ref, ref);

    fprintf(f, "## Cost: CPU time, memory, dispatch\n\n");
    md_chart(f, ch, "resources", "CPU time and peak memory per model and workload");
    md_chart(f, ch, "overhead", "time per no-op task per model");
    report_md_memory_note(d, f);
    report_md_memory_per_task(d, f);

    md_hyperfine(d, f);
    md_noise_and_left_out(d, f);
    md_meta_list(d, "notes", "## Notes from the sweep", f);
    md_meta_list(d, "skipped_pairs", "## Pairs left out of the sweep", f);
    fprintf(f, "---\nGenerated by `concbench report` from summary.csv, runs.csv, timeline.csv, "
               "metadata.json and hyperfine/*.json in this folder; `make plots` regenerates it.\n");
}
