/* report_charts.c — the gnuplot driver: which charts a results folder allows, and each drawn
 * by its script in plots/ through proc_run (no shell), with the data's own names and numbers. */
#include "harness/report_int.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "harness/proc.h"
#include "harness/text.h"

#define GNUPLOT_TIMEOUT_S 120

int report_run_gnuplot(const char *script, const char *set, char *const args[], char *err,
                       size_t errlen)
{
    char *argv[20];
    int n = 0;
    argv[n++] = "gnuplot";
    if (set && *set) {
        argv[n++] = "-e";
        argv[n++] = (char *)set;
    }
    argv[n++] = "-c";
    argv[n++] = (char *)script;
    for (int k = 0; args[k] && n < 19; k++)
        argv[n++] = args[k];
    argv[n] = NULL;
    if (errlen)
        err[0] = '\0';
    struct proc_opts o = { .search = true, .timeout_s = GNUPLOT_TIMEOUT_S };
    struct proc_child c;
    int rc = proc_run(argv, &o, &c);
    if (rc < 0)
        return rc;
    str_copy(err, errlen, c.err);
    rc = c.exit_code == 127 && !c.term_signal ? -ENOENT : c.exit_code;
    proc_child_free(&c);
    return rc;
}

static void chart_add(struct report_charts *ch, const char *name)
{
    if (ch->n < REPORT_MAX_CHARTS) {
        str_copy(ch->c[ch->n].name, sizeof ch->c[0].name, name);
        ch->c[ch->n++].drawn = false;
    }
}

static bool is_contended(const struct report_data *d, const char *w)
{
    for (size_t i = 0; i < d->ncells; i++)
        if (is(d->cells[i].workload, w) && cell_contended(&d->cells[i]))
            return true;
    return false;
}

/* Contended cells of w without a lock (sync none) whose records counted lost updates. */
static bool lost_rows(const struct report_data *d, const char *w)
{
    struct contended_row *r;
    size_t n = is_contended(d, w) ? contended_rows(d, &r) : 0;
    bool any = false;
    for (size_t i = 0; i < n && !any; i++)
        any = is(r[i].cell->workload, w) && is(r[i].sync, "none") && isfinite(r[i].lost);
    if (is_contended(d, w))
        free(r);
    return any;
}

/* Which charts the data allows: headline, resources and overhead from the summary, and per
 * workload (in the data's order) scaling, concurrency and timeline where their rows exist. */
static void charts_plan(const struct report_data *d, struct report_charts *ch)
{
    const char *ws[32];
    size_t nw = report_workloads(d, 0, ws, 32);
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
        /* Contended work: one panel per synchronisation (contended.csv), and its lost
         * updates, instead of one line per model and params. */
        if (has_part(d, ws[k], "concurrency") && is_contended(d, ws[k])) {
            snprintf(name, sizeof name, "contention-%s", ws[k]);
            chart_add(ch, name);
        } else if (has_part(d, ws[k], "concurrency")) {
            snprintf(name, sizeof name, "concurrency-%s", ws[k]);
            chart_add(ch, name);
        }
        if (lost_rows(d, ws[k])) {
            snprintf(name, sizeof name, "lost-%s", ws[k]);
            chart_add(ch, name);
        }
    }
    for (size_t k = 0; k < d->ntimeline; k++) {
        snprintf(name, sizeof name, "timeline-%s", d->timeline[k].workload);
        chart_add(ch, name);
    }
}

/* "16 tasks, -j 4" for a timeline: from the summary's timeline row of a model that is not the
 * serial reference when there is one. */
static void timeline_config(const struct report_data *d, const char *w, unsigned tasks,
                            char *buf, size_t len)
{
    char cnt[32];
    for (size_t i = 0; i < d->ncells; i++) {
        const struct report_cell *c = &d->cells[i];
        if (is(c->workload, w) && is(c->part, "timeline") && !c->serial) {
            snprintf(buf, len, "%s tasks, -j %u", fmt_count(c->tasks, cnt, sizeof cnt),
                     c->concurrency);
            return;
        }
    }
    snprintf(buf, len, "%s tasks", fmt_count(tasks, cnt, sizeof cnt));
}

/* Numbers for the scripts that only C knows (gnuplot -e; numbers only, never text). */
static void chart_vars(const struct report_data *d, char *buf, size_t len)
{
    const char *w = NULL;
    double busy = serial_busy(d, &w);
    unsigned cores = report_cores(d);
    buf[0] = '\0';
    if (cores)
        str_append(buf, len, "cores=%u;", cores);
    if (isfinite(busy))
        str_append(buf, len, "busy_share=%.4f;", busy);
}

int report_draw_charts(const struct report_data *d, const char *plots_dir, FILE *log,
                       struct report_charts *ch)
{
    char machine[512], script[4200], data[4200], outp[4300], config[64], err[4096], vars[128];
    char ref[64];
    int failed = 0;
    report_machine_line(d, machine, sizeof machine);
    chart_vars(d, vars, sizeof vars);
    str_copy(ref, sizeof ref, report_serial(d));
    charts_plan(d, ch);
    size_t ncont = 0;
    if (contended_write_csv(d, &ncont, err, sizeof err) < 0)
        fprintf(log, "concbench report: %s\n", err);
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
                 is(kind, "timeline") ? "timeline.csv" :
                 is(kind, "contention") || is(kind, "lost") ? "contended.csv" : "summary.csv");
        snprintf(outp, sizeof outp, "%s/%s.png", d->dir, name);
        config[0] = '\0';
        for (size_t t = 0; t < d->ntimeline; t++)
            if (is(kind, "timeline") && is(d->timeline[t].workload, w))
                timeline_config(d, w, d->timeline[t].tasks, config, sizeof config);
        /* ARG1..ARG6: data, output, subtitle, workload, configuration, the serial reference. */
        char *args[] = { data, outp, machine, (char *)w, config, ref, NULL };
        int rc = report_run_gnuplot(script, vars, args, err, sizeof err);
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
    /* A sweep of the user's own (part `user`): harness/report_user.c. */
    failed += report_user_charts(d, plots_dir, machine, vars, log, ch);
    return failed;
}
