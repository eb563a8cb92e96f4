/* report_memory.c — report.md's memory: the note on how memory is counted and the table of
 * memory per task in flight (rss_per_task_kb) per model and workload. */
#include "harness/report_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "harness/sweep.h"
#include "harness/text.h"

void report_md_memory_note(const struct report_data *d, FILE *f)
{
    const char *ms[64];
    size_t nm = report_models(d, ms, 64), said = 0;
    char list[512] = "";
    for (size_t m = 0; m < nm; m++) {
        bool forks = false;
        for (size_t i = 0; i < d->ncells && !forks; i++)
            forks = is(d->cells[i].model, ms[m]) && cell_forks(&d->cells[i]);
        if (forks)
            str_append(list, sizeof list, "%s%s", said++ ? ", " : "", ms[m]);
    }
    if (said)
        fprintf(f, "Memory is counted per model: for the models whose tasks run in child "
                   "processes (%s) the sum of every child's peak RSS (children_sum_rss_kb), for "
                   "the others the one process's peak RSS (max_rss_kb).\n\n", list);
    else
        fprintf(f, "Memory: the one process's peak RSS (max_rss_kb).\n\n");
}

/* KiB for people: "0.21 KiB", "5.7 KiB", "1.2 MiB". */
static const char *fmt_kib(double kb, char *buf, size_t len)
{
    if (!isfinite(kb))
        snprintf(buf, len, "–");
    else if (kb >= 1024)
        snprintf(buf, len, "%.1f MiB", kb / 1024);
    else if (kb >= 10)
        snprintf(buf, len, "%.0f KiB", kb);
    else
        snprintf(buf, len, "%.2g KiB", kb);
    return buf;
}

/* Memory per task in flight (rss_per_task_kb): a table of the headline, one row a model and
 * one column a workload, and the models at their largest batch of waiting work. */
void report_md_memory_per_task(const struct report_data *d, FILE *f)
{
    const char *ws[32], *ms[64], *ps[8];
    struct { const char *w, *params; } col[16];
    size_t nw = report_workloads(d, 0, ws, 32), nm = report_models(d, ms, 64), nc = 0;
    char a[32], cnt[32];
    bool any = false;
    for (size_t i = 0; i < d->ncells; i++)
        any |= isfinite(d->cells[i].rss_per_task_kb);
    if (!any)
        return;
    fprintf(f, "### Memory per task in flight\n\n");
    for (size_t w = 0; w < nw; w++) {
        size_t np = report_params_of(d, ws[w], "headline", ps, 8);
        for (size_t p = 0; p < np && nc < 16; p++, nc++) {
            col[nc].w = ws[w];
            col[nc].params = ps[p];
        }
    }
    if (nc) {
        fprintf(f, "| model |");
        for (size_t c = 0; c < nc; c++)
            fprintf(f, " %s%s%s |", col[c].w, col[c].params[0] ? " " : "", col[c].params);
        fprintf(f, "\n|---|");
        for (size_t c = 0; c < nc; c++)
            fprintf(f, "---:|");
        fprintf(f, "\n");
        for (size_t m = 0; m < nm; m++) {
            bool row = false;
            for (size_t c = 0; c < nc; c++)
                row |= find_cell(d, col[c].w, col[c].params, ms[m], "headline") != NULL;
            if (!row)
                continue;
            fprintf(f, "| %s |", ms[m]);
            for (size_t c = 0; c < nc; c++) {
                const struct report_cell *x = find_cell(d, col[c].w, col[c].params, ms[m],
                                                        "headline");
                if (x)
                    fprintf(f, " %s (j %u) |", fmt_kib(x->rss_per_task_kb, a, sizeof a),
                            x->concurrency < x->tasks ? x->concurrency : x->tasks);
                else
                    fprintf(f, " – |");
            }
            fprintf(f, "\n");
        }
        fprintf(f, "\n");
    }
    /* The largest batch of waiting work each model ran (task-count sweep): there the fixed
     * cost of a model (a pool's threads, the loop) is spread over the most tasks. */
    const char *wl = NULL;
    unsigned top = 0;
    for (size_t i = 0; i < d->ncells; i++) {
        const struct report_cell *x = &d->cells[i];
        if (is(x->part, "tasks") && kind_waits(d, x->kind) && isfinite(x->rss_per_task_kb) &&
            x->tasks > top)
            top = x->tasks, wl = x->workload;
    }
    if (wl) {
        fprintf(f, "At the largest batch of %s in the task-count sweep, per task in flight:", wl);
        size_t said = 0;
        for (size_t m = 0; m < nm; m++) {
            const struct report_cell *best = NULL;
            for (size_t i = 0; i < d->ncells; i++) {
                const struct report_cell *x = &d->cells[i];
                if (is(x->model, ms[m]) && is(x->workload, wl) && is(x->part, "tasks") &&
                    isfinite(x->rss_per_task_kb) && (!best || x->tasks > best->tasks))
                    best = x;
            }
            if (best)
                fprintf(f, "%s %s %s (%s tasks, %u in flight)", said++ ? ";" : "", best->model,
                        fmt_kib(best->rss_per_task_kb, a, sizeof a),
                        fmt_count(best->tasks, cnt, sizeof cnt),
                        best->concurrency < best->tasks ? best->concurrency : best->tasks);
        }
        fprintf(f, ".\n\n");
    }
    fprintf(f, "Memory per task in flight (rss_per_task_kb): how much the process's peak RSS "
               "grew during the batch over its RSS before the first dispatch (the peak reset "
               "through /proc/self/clear_refs, so set-up is not counted), divided by the most "
               "tasks in flight (j, at most N); for a model whose tasks run in child processes, "
               "each child's own peak RSS (the children's sum over their number): a whole "
               "process, shared pages included. With few tasks in flight, a model's fixed cost "
               "(a pool's threads and stacks, the event loop) weighs on each.\n\n");
}

