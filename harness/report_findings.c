/* report_findings.c — plain-language findings computed from a results folder's numbers: one per
 * kind of work (waiting work overlaps; computing work is bound by the cores), the largest batch,
 * the dispatch cost and the memory footprint. Models and workloads are named from the data. */
#include "harness/report_int.h"

#include <math.h>
#include <string.h>

#include "harness/text.h"

#define MAXW 32

/* The workload, followed by its params in brackets when the cells have any. */
static const char *wname(const char *w, const char *params, char *buf, size_t len)
{
    snprintf(buf, len, params[0] ? "%s (%s)" : "%s", w, params);
    return buf;
}

/* One task's wait D for waiting work, from a cell with an ideal: ideal / ceil(N / parallel). */
static double task_wait_s(const struct report_data *d, const char *w, const char *params)
{
    for (size_t i = 0; i < d->ncells; i++) {
        const struct report_cell *c = &d->cells[i];
        if (is(c->workload, w) && is(c->params, params) && isfinite(c->ideal_s) && c->tasks &&
            c->parallel)
            return c->ideal_s / ceil((double)c->tasks / c->parallel);
    }
    return NAN;
}

/* Waiting work: the fastest model per workload against the serial reference. */
static bool finding_waits(const struct report_data *d, const struct report_cell *kind, char *out,
                          size_t len)
{
    const char *ws[MAXW], *ps[8], *ref = report_serial(d);
    size_t nw = report_workloads(d, kind->kind_order, ws, MAXW), said = 0;
    char a[32], b[32], c[32], cnt[32], name[256];
    out[0] = '\0';
    for (size_t k = 0; k < nw; k++) {
        size_t np = report_params_of(d, ws[k], "headline", ps, 8);
        for (size_t p = 0; p < np; p++) {
            const struct report_cell *serial = find_cell(d, ws[k], ps[p], ref, "headline");
            const struct report_cell *best = NULL;
            for (size_t i = 0; i < d->ncells; i++) {
                const struct report_cell *x = &d->cells[i];
                if (is(x->workload, ws[k]) && is(x->params, ps[p]) && is(x->part, "headline") &&
                    !x->serial && isfinite(x->median_s) && (!best || x->median_s < best->median_s))
                    best = x;
            }
            if (!serial || !best)
                continue;
            double sp = serial->median_s / best->median_s, wait = task_wait_s(d, ws[k], ps[p]);
            wname(ws[k], ps[p], name, sizeof name);
            if (said == 0) {
                str_append(out, len, "%s: on %s (%s tasks", kind->kind_label[0] ?
                           kind->kind_label : kind->kind, name,
                           fmt_count(best->tasks, cnt, sizeof cnt));
                if (isfinite(wait))
                    str_append(out, len, " that each wait %s", fmt_time(wait, c, sizeof c));
                str_append(out, len, ", up to %u at once), %s finished in %s, %.1fx faster than "
                           "%s's %s", best->concurrency, best->model,
                           fmt_time(best->median_s, a, sizeof a), sp, ref,
                           fmt_time(serial->median_s, b, sizeof b));
                if (isfinite(wait) && best->median_s < 1.5 * wait)
                    str_append(out, len, " — about one task's wait, because the waits overlap");
            } else {
                str_append(out, len, "; on %s, %s was %.1fx faster (%s against %s)", name,
                           best->model, sp, fmt_time(best->median_s, a, sizeof a),
                           fmt_time(serial->median_s, b, sizeof b));
            }
            said++;
        }
    }
    if (said)
        str_append(out, len, ".");
    return said > 0;
}

/* Computing work: the best parallel speed-up against the cores, and what a model that runs the
 * tasks one at a time (parallel = 1, not the reference) got. */
static bool finding_computes(const struct report_data *d, const struct report_cell *kind,
                             char *out, size_t len)
{
    const char *ws[MAXW], *ps[8], *ref = report_serial(d);
    size_t nw = report_workloads(d, kind->kind_order, ws, MAXW), said = 0;
    unsigned cores = report_cores(d);
    char cnt[32], name[256];
    out[0] = '\0';
    for (size_t k = 0; k < nw; k++) {
        size_t np = report_params_of(d, ws[k], "headline", ps, 8);
        for (size_t p = 0; p < np; p++) {
            const struct report_cell *serial = find_cell(d, ws[k], ps[p], ref, "headline");
            const struct report_cell *best = NULL, *inl = NULL;
            for (size_t i = 0; i < d->ncells; i++) {
                const struct report_cell *x = &d->cells[i];
                if (!is(x->workload, ws[k]) || !is(x->params, ps[p]) ||
                    !is(x->part, "headline") || x->serial || !isfinite(x->median_s))
                    continue;
                if (x->parallel <= 1) {
                    if (!inl || x->model_order < inl->model_order)
                        inl = x;
                } else if (!best || x->median_s < best->median_s) {
                    best = x;
                }
            }
            if (!serial || (!best && !inl))
                continue;
            wname(ws[k], ps[p], name, sizeof name);
            if (said == 0) {
                str_append(out, len, "%s: on %s (%s tasks", kind->kind_label[0] ?
                           kind->kind_label : kind->kind, name,
                           fmt_count(serial->tasks, cnt, sizeof cnt));
                if (cores)
                    str_append(out, len, ", %u core%s", cores, cores == 1 ? "" : "s");
                str_append(out, len, ")");
            } else {
                str_append(out, len, "; on %s", name);
            }
            if (best) {
                double sp = serial->median_s / best->median_s;
                str_append(out, len, ", %s was %.2fx faster than %s", best->model, sp, ref);
                if (said == 0 && cores > 1 && sp >= 0.85 * cores)
                    str_append(out, len, " — close to the %ux that %u cores allow", cores, cores);
                else if (said == 0 && cores && sp < 0.85 * cores)
                    str_append(out, len, " (%u cores would allow up to %ux)", cores, cores);
            }
            if (inl) {
                double sp = serial->median_s / inl->median_s;
                if (sp < 1.15)
                    str_append(out, len, "%s %s gained nothing (%.2fx)%s", best ? ", while" : ",",
                               inl->model, sp, said == 0 ? ": it runs these tasks one at a time, "
                               "each to the end before the next" : "");
                else
                    str_append(out, len, "%s %s reached %.2fx", best ? ", and" : ",", inl->model,
                               sp);
            }
            said++;
        }
    }
    if (said)
        str_append(out, len, ".");
    return said > 0;
}

/* The largest batch of waiting work in the task-count sweep, and what the other models took at
 * the largest N they reached (with the same params). */
static bool finding_largest_batch(const struct report_data *d, char *out, size_t len)
{
    const char *ws[MAXW];
    size_t nw = report_workloads(d, 0, ws, MAXW);
    char a[32], b[32], cnt[32], cnt2[32], name[256];
    out[0] = '\0';
    for (size_t k = 0; k < nw; k++) {
        const struct report_cell *top = NULL;
        for (size_t i = 0; i < d->ncells; i++) {
            const struct report_cell *x = &d->cells[i];
            if (!is(x->workload, ws[k]) || !is(x->part, "tasks") || !isfinite(x->median_s) ||
                !kind_waits(d, x->kind))
                continue;
            if (!top || x->tasks > top->tasks ||
                (x->tasks == top->tasks && x->median_s < top->median_s))
                top = x;
        }
        if (!top || top->tasks < 2)
            continue;
        double wait = task_wait_s(d, ws[k], top->params);
        str_append(out, len, "The largest batch: %s ran %s %s tasks", top->model,
                   fmt_count(top->tasks, cnt, sizeof cnt), wname(ws[k], top->params, name,
                                                                  sizeof name));
        if (isfinite(wait))
            str_append(out, len, " of %s each", fmt_time(wait, a, sizeof a));
        str_append(out, len, " in %s", fmt_time(top->median_s, b, sizeof b));
        if (isfinite(top->ideal_s))
            str_append(out, len, " (ideal %s)", fmt_time(top->ideal_s, a, sizeof a));
        /* The next largest N reached by other models, fastest first. */
        unsigned n2 = 0;
        const struct report_cell *list[64];
        size_t nl = 0;
        for (size_t i = 0; i < d->ncells; i++) {
            const struct report_cell *x = &d->cells[i];
            if (is(x->workload, ws[k]) && is(x->params, top->params) && is(x->part, "tasks") &&
                isfinite(x->median_s) && !is(x->model, top->model) && x->tasks > n2)
                n2 = x->tasks;
        }
        for (size_t i = 0; n2 && i < d->ncells && nl < 64; i++) {
            const struct report_cell *x = &d->cells[i];
            if (is(x->workload, ws[k]) && is(x->params, top->params) && is(x->part, "tasks") &&
                isfinite(x->median_s) && x->tasks == n2 && !is(x->model, top->model))
                list[nl++] = x;
        }
        for (size_t i = 1; i < nl; i++)         /* insertion sort by median */
            for (size_t j = i; j > 0 && list[j]->median_s < list[j - 1]->median_s; j--) {
                const struct report_cell *t = list[j];
                list[j] = list[j - 1];
                list[j - 1] = t;
            }
        if (nl)
            str_append(out, len, "; with %s tasks, ", fmt_count(n2, cnt2, sizeof cnt2));
        for (size_t i = 0; i < nl; i++) {
            str_append(out, len, "%s%s", i == 0 ? "" : i + 1 == nl ? " and " : ", ",
                       list[i]->model);
            if (list[i]->concurrency < list[i]->tasks)
                str_append(out, len, " (%u at a time)", list[i]->concurrency);
            str_append(out, len, " %s%s", i == 0 ? "took " : "",
                       fmt_time(list[i]->median_s, a, sizeof a));
        }
        str_append(out, len, ".");
        return true;
    }
    return false;
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
        str_append(out, len, "Dispatch cost (%s tasks that do nothing): %s per task with %s, %s "
                   "with %s", fmt_count(lo->tasks, c1, sizeof c1), fmt_time(plo, a, sizeof a),
                   lo->model, fmt_time(phi, b, sizeof b), hi->model);
    else
        str_append(out, len, "Dispatch cost (tasks that do nothing): %s per task with %s (%s "
                   "tasks), %s with %s (%s tasks)", fmt_time(plo, a, sizeof a), lo->model,
                   fmt_count(lo->tasks, c1, sizeof c1), fmt_time(phi, b, sizeof b), hi->model,
                   fmt_count(hi->tasks, c2, sizeof c2));
    str_append(out, len, ", %.0fx as much", phi / plo);
    const char *what = model_cost(hi->model);
    if (what)
        str_append(out, len, " — %s pays %s", hi->model, what);
    str_append(out, len, ".");
    return true;
}

/* Memory: the largest and smallest footprint in the headline of one workload. */
static bool finding_memory(const struct report_data *d, char *out, size_t len)
{
    const char *ws[MAXW];
    size_t nw = report_workloads(d, 0, ws, MAXW);
    char cnt[32], name[256];
    out[0] = '\0';
    for (size_t k = 0; k < nw; k++) {
        const struct report_cell *lo = NULL, *hi = NULL;
        for (size_t i = 0; i < d->ncells; i++) {
            const struct report_cell *x = &d->cells[i];
            if (!is(x->workload, ws[k]) || !is(x->part, "headline") ||
                !isfinite(cell_memory_kb(x)) || (lo && !is(x->params, lo->params)))
                continue;
            if (!lo || cell_memory_kb(x) < cell_memory_kb(lo))
                lo = x;
            if (!hi || cell_memory_kb(x) > cell_memory_kb(hi))
                hi = x;
        }
        if (!lo || lo == hi || cell_memory_kb(hi) < 1.2 * cell_memory_kb(lo))
            continue;
        str_append(out, len, "Memory (%s %s tasks): %s peaked at %.1f MB%s, %s at %.1f MB%s — "
                   "%.1fx as much.", fmt_count(hi->tasks, cnt, sizeof cnt),
                   wname(ws[k], hi->params, name, sizeof name), hi->model,
                   cell_memory_kb(hi) / 1024.0,
                   cell_forks(hi) ? " summed over its child processes" : " in one process",
                   lo->model, cell_memory_kb(lo) / 1024.0,
                   cell_forks(lo) ? " summed over its children" : " in one process",
                   cell_memory_kb(hi) / cell_memory_kb(lo));
        return true;
    }
    return false;
}

/* Event loops on different backends (the models whose records count the loop's system calls):
 * on each waiting workload's headline, the system calls and loop CPU a task of each. */
static bool finding_loops(const struct report_data *d, char *out, size_t len)
{
    const struct report_cell *loops[8];
    size_t nl = 0;
    out[0] = '\0';
    for (size_t i = 0; i < d->ncells; i++) {
        const struct report_cell *c = &d->cells[i];
        if (strcmp(c->part, "headline") != 0 || !kind_waits(d, c->kind) ||
            !isfinite(c->loop_syscalls_per_task))
            continue;
        bool seen = false;
        for (size_t k = 0; k < nl; k++)
            seen |= strcmp(loops[k]->workload, c->workload) == 0 &&
                    strcmp(loops[k]->model, c->model) == 0;
        if (!seen && nl < 8)
            loops[nl++] = c;
    }
    if (nl < 2)
        return false;
    str_append(out, len, "Event loops: ");
    const char *w = NULL;
    for (size_t k = 0; k < nl; k++) {
        if (!w || strcmp(w, loops[k]->workload) != 0) {
            w = loops[k]->workload;
            str_append(out, len, "%son %s, ", k ? "; " : "", w);
        } else {
            str_append(out, len, ", ");
        }
        str_append(out, len, "%s's loop made %.3g system calls and used %.3g µs of CPU a task",
                   loops[k]->model, loops[k]->loop_syscalls_per_task,
                   loops[k]->loop_cpu_us_per_task);
    }
    str_append(out, len, " (the loop's own calls: epoll_ctl and epoll_pwait2 against "
               "io_uring_enter; what the workload's library calls itself is not counted).");
    return true;
}

/* A sweep of the user's own (part "user"): per workload, at the largest N swept, the fastest
 * and the slowest cell (model, concurrency and options), how far apart, and the fastest cell's
 * speed-up over the serial reference at the same N and options when it was swept. */
static size_t findings_user(const struct report_data *d, char (*out)[REPORT_FINDING_LEN],
                            size_t max)
{
    const char *ws[32];
    size_t nw = report_workloads(d, 0, ws, 32), n = 0;
    for (size_t k = 0; k < nw && n < max; k++) {
        unsigned top = 0;
        for (size_t i = 0; i < d->ncells; i++) {
            const struct report_cell *c = &d->cells[i];
            if (strcmp(c->part, "user") == 0 && strcmp(c->workload, ws[k]) == 0 &&
                isfinite(c->median_s) && c->tasks > top)
                top = c->tasks;
        }
        const struct report_cell *fast = NULL, *slow = NULL;
        unsigned cells = 0;
        for (size_t i = 0; i < d->ncells; i++) {
            const struct report_cell *c = &d->cells[i];
            if (strcmp(c->part, "user") != 0 || strcmp(c->workload, ws[k]) != 0 ||
                c->tasks != top || !isfinite(c->median_s) || !(c->median_s > 0))
                continue;
            cells++;
            if (!fast || c->median_s < fast->median_s)
                fast = c;
            if (!slow || c->median_s > slow->median_s)
                slow = c;
        }
        if (cells < 2)
            continue;
        char a[32], b[32];
        snprintf(out[n], REPORT_FINDING_LEN, "Your sweep, %s at N = %u (%u cells): %s with j = "
                 "%u%s%s was fastest (%s), %s with j = %u%s%s slowest (%s), %.3gx apart",
                 ws[k], top, cells, fast->model, fast->concurrency, fast->params[0] ? ", " : "",
                 fast->params, fmt_time(fast->median_s, a, sizeof a), slow->model,
                 slow->concurrency, slow->params[0] ? ", " : "", slow->params,
                 fmt_time(slow->median_s, b, sizeof b), slow->median_s / fast->median_s);
        if (isfinite(fast->speedup) && fast->speedup > 0 && !fast->serial)
            str_append(out[n], REPORT_FINDING_LEN, "; %.3gx the serial reference's speed",
                       fast->speedup);
        if (isfinite(fast->efficiency) && fast->efficiency > 0)
            str_append(out[n], REPORT_FINDING_LEN, "; %.0f %% of its ideal",
                       fast->efficiency * 100);
        str_append(out[n], REPORT_FINDING_LEN, ".");
        n++;
    }
    return n;
}

size_t report_findings(const struct report_data *d, char (*out)[REPORT_FINDING_LEN], size_t max)
{
    const struct report_cell *kinds[16];
    size_t nk = report_kinds(d, kinds, 16), n = 0;
    for (size_t k = 0; k < nk && n < max; k++)
        if ((kind_waits(d, kinds[k]->kind) ? finding_waits : finding_computes)(
                d, kinds[k], out[n], REPORT_FINDING_LEN))
            n++;
    bool (*const fns[])(const struct report_data *, char *, size_t) = {
        finding_largest_batch, finding_overhead, finding_memory, finding_lock_cost,
        finding_lost_updates, finding_dispatch, finding_loops,
    };
    for (size_t k = 0; k < sizeof fns / sizeof fns[0] && n < max; k++)
        if (fns[k](d, out[n], REPORT_FINDING_LEN))
            n++;
    if (n < max)
        n += findings_user(d, out + n, max - n);
    return n;
}
