/* perf_publish.c — the session as people read it: the table on stdout, and docs/performance.md
 * (`--publish DIR`): machine, date, revision, load, the table, and "where the time goes" per
 * model, every sentence built from figures of the same session. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/atomic_file.h"
#include "harness/perf.h"
#include "harness/text.h"
#include "models/model.h"

/* "65,225 req/s" before "76,284 req/s": the unit once, at the end ("65,225–76,284 req/s"). */
static void drop_unit(char *lo, const char *hi)
{
    char *sp = strrchr(lo, ' ');
    const char *hs = strrchr(hi, ' ');
    if (sp && hs && strcmp(sp, hs) == 0)
        *sp = '\0';
}

static const char *measured_text(const struct perf_check *c, char *buf, size_t len)
{
    char a[40], b[40], m[40];
    if (c->verdict == PERF_SKIPPED || isnan(c->med))
        snprintf(buf, len, "—");
    else if (c->rounds < 2)
        snprintf(buf, len, "%s", perf_fmt(c->def->unit, c->med, m, sizeof m));
    else {
        perf_fmt(c->def->unit, c->min, a, sizeof a);
        perf_fmt(c->def->unit, c->max, b, sizeof b);
        drop_unit(a, b);
        snprintf(buf, len, "%s (%s–%s)", perf_fmt(c->def->unit, c->med, m, sizeof m), a, b);
    }
    return buf;
}

static const char *limit_text(const struct perf_check *c, char *buf, size_t len)
{
    const struct perf_check_def *d = c->def;
    char a[40], b[40];
    buf[0] = '\0';
    if (c->verdict == PERF_SKIPPED)
        return str_copy(buf, len, "—"), buf;
    if (d->basis == PERF_BASIS_IDEAL)
        str_append(buf, len, "ideal %s", perf_fmt(d->unit, c->ideal_med, a, sizeof a));
    else if (d->basis == PERF_BASIS_CONST)
        str_append(buf, len, "promised %s", perf_fmt(d->unit, d->basis_value, a, sizeof a));
    if (d->limit_figure && d->limit_figure[0] == '=')
        str_append(buf, len, "%s %s", strrchr(d->limit_figure, '.') ? strrchr(d->limit_figure,
                   '.') + 1 : d->limit_figure + 1,
                   perf_fmt(d->unit, c->lim_med, a, sizeof a));
    else if (d->limit_probe && !isnan(c->lim_med))
    {
        str_append(buf, len, "%s%s %s", buf[0] ? "; " : "", d->limit_label ? d->limit_label
                                                                          : "bare",
                   perf_fmt(d->unit, c->lim_med, a, sizeof a));
        if (c->rounds > 1) {
            char hi[40];
            perf_fmt(d->unit, c->lim_min, b, sizeof b);
            perf_fmt(d->unit, c->lim_max, hi, sizeof hi);
            drop_unit(b, hi);
            str_append(buf, len, " (%s–%s)", b, hi);
        }
    }
    if (!buf[0])
        str_copy(buf, len, "—");
    return buf;
}

static const char *verdict_text(const struct perf_check *c, char *buf, size_t len)
{
    if (c->verdict == PERF_INCONCLUSIVE)
        snprintf(buf, len, "inconclusive (%s)", perf_verdict_name(c->would_be));
    else
        snprintf(buf, len, "%s", perf_verdict_name(c->verdict));
    return buf;
}

static const char *ratio_text(const struct perf_check *c, char *buf, size_t len)
{
    if (isnan(c->ratio) || c->verdict == PERF_SKIPPED)
        snprintf(buf, len, "—");
    else
        snprintf(buf, len, "%.2f", c->ratio);
    return buf;
}

static const char *share_text(const struct perf_check *c, char *buf, size_t len)
{
    if (isnan(c->share_med) || c->verdict == PERF_SKIPPED || c->rounds == 0)
        snprintf(buf, len, "—");
    else
        snprintf(buf, len, "%.0f %%", c->share_med * 100);
    return buf;
}

static void counts(const struct perf_check *c, size_t n, char *buf, size_t len)
{
    size_t k[PERF_INFO + 1] = { 0 };
    for (size_t i = 0; i < n; i++)
        k[c[i].verdict]++;
    buf[0] = '\0';
    for (int v = PERF_MET; v <= PERF_INFO; v++)
        if (k[v])
            str_append(buf, len, "%s%zu %s", buf[0] ? ", " : "", k[v],
                       perf_verdict_name((enum perf_verdict)v));
}

/* Print s and pad it to `width` characters (UTF-8 aware: "–", "µ" and "≤" are one each), then
 * a space. */
static void pad(FILE *f, const char *s, int width)
{
    int chars = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if ((*p & 0xC0) != 0x80)
            chars++;
    fprintf(f, "%s%*s ", s, chars < width ? width - chars : 0, "");
}

void perf_print_table(FILE *f, const struct perf_session *s, struct perf_check *c, size_t n,
                      bool markdown)
{
    (void)markdown;
    char m[96], l[128], r[16], b[64], v[40], sh[16];
    unsigned done = 0;
    for (size_t i = 0; i < n; i++)
        if (c[i].rounds > done)
            done = c[i].rounds;
    fprintf(f, "concbench perf: %u of %u rounds, %u CPUs (%s), %s, revision %s, load %s -> %s, "
               "%.0f s\n\n", done, s->runs, s->cores, s->machine, s->kernel, s->revision,
            s->load_before, s->load_after, s->seconds);
    pad(f, "check", 31);
    pad(f, "measured median (min–max)", 34);
    pad(f, "limit", 48);
    fprintf(f, "%6s ", "ratio");
    pad(f, "budget", 36);
    fprintf(f, "%5s ", "cpu");
    pad(f, "verdict", 20);
    fprintf(f, "noise\n");
    for (size_t i = 0; i < n; i++) {
        if (c[i].verdict == PERF_SKIPPED)
            continue;
        measured_text(&c[i], m, sizeof m);
        limit_text(&c[i], l, sizeof l);
        perf_budget_text(&c[i], b, sizeof b);
        pad(f, c[i].name, 31);
        pad(f, m, 34);
        pad(f, l, 48);
        fprintf(f, "%6s ", ratio_text(&c[i], r, sizeof r));
        pad(f, b, 36);
        fprintf(f, "%5s ", share_text(&c[i], sh, sizeof sh));
        pad(f, verdict_text(&c[i], v, sizeof v), 20);
        fprintf(f, "%s\n", c[i].noise);
        if (c[i].error[0])
            fprintf(f, "    failed: %s\n", c[i].error);
    }
    bool skipped = false;
    for (size_t i = 0; i < n; i++)
        if (c[i].verdict == PERF_SKIPPED) {
            if (!skipped)
                fprintf(f, "\nskipped:\n");
            skipped = true;
            fprintf(f, "  %-26s %s\n", c[i].name, c[i].skip);
        }
    char k[160];
    counts(c, n, k, sizeof k);
    fprintf(f, "\n%s; cpu: the median share of a CPU a 50 ms spin got around the check (below "
               "%.0f %%: inconclusive)\n", k, PERF_BUSY_SHARE * 100);
}

/* ---- where the time goes ---- */

static void story(const struct perf_check *c, char *buf, size_t len)
{
    const struct perf_check_def *d = c->def;
    char t[48];
    buf[0] = '\0';
    double per = c->tasks ? 1.0 / c->tasks : NAN;
    for (const char *p = d->story; p && *p; p++) {
        if (*p != '{') {
            str_append(buf, len, "%c", *p);
            continue;
        }
        const char *e = strchr(p, '}');
        if (!e)
            break;
        char name[16];
        snprintf(name, sizeof name, "%.*s", (int)(e - p - 1), p + 1);
        enum perf_unit u = d->unit;
        double v = NAN;
        bool text = false;
        if (strcmp(name, "m") == 0) v = c->med;
        else if (strcmp(name, "l") == 0) v = c->lim_med;
        else if (strcmp(name, "i") == 0) v = c->ideal_med;
        else if (strcmp(name, "mx") == 0) v = c->med - d->minus;
        else if (strcmp(name, "lx") == 0) v = c->lim_med - d->minus;
        else if (strcmp(name, "mper") == 0) v = (c->med - d->minus) * per;
        else if (strcmp(name, "lper") == 0) v = (c->lim_med - d->minus) * per;
        else if (strcmp(name, "r") == 0) {
            snprintf(t, sizeof t, "%.2f×", c->ratio);
            text = true;
        } else if (strcmp(name, "n") == 0) {
            fmt_count(c->tasks, t, sizeof t);
            text = true;
        } else if (strcmp(name, "model") == 0) {
            str_copy(t, sizeof t, c->model);
            text = true;
        } else if (name[0] == 'x' && name[1] >= '0' && name[1] <= '9') {
            unsigned k = (unsigned)(name[1] - '0');
            snprintf(t, sizeof t, "%.2f", k < c->nextra ? c->extra_med[k] : NAN);
            text = true;
        }
        if (!text)
            perf_fmt(u, v, t, sizeof t);
        str_append(buf, len, "%s", t);
        p = e;
    }
}

static bool told(const struct perf_check *c)
{
    return c->def->story && c->verdict != PERF_SKIPPED && c->verdict != PERF_FAILED &&
           c->rounds > 0;
}

static void paragraph(FILE *f, const char *title, const char *cost, const struct perf_check *c,
                      size_t n, const char *model)
{
    char s[1024];
    bool any = false;
    for (size_t i = 0; i < n; i++) {
        if (!told(&c[i]) || strcmp(c[i].model, model) != 0)
            continue;
        story(&c[i], s, sizeof s);
        if (!any)
            fprintf(f, "- **%s**%s%s%s: ", title, cost ? " (" : "", cost ? cost : "",
                    cost ? ")" : "");
        fprintf(f, "%s%s", any ? "; " : "", s);
        any = true;
    }
    if (any)
        fprintf(f, ".\n");
}

int perf_publish(const char *dir, const struct perf_session *s, struct perf_check *c, size_t n)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/performance.md", dir);
    struct afile a;
    int e = afile_open(&a, path);
    if (e < 0)
        return e;
    FILE *f = a.f;
    char m[96], l[128], r[16], b[64], v[40], sh[16], k[160];
    fprintf(f, "# concbench — performance, measured\n\n"
               "Written by `concbench perf --publish docs` (`make perf`); do not edit by hand: "
               "run it again. Each check is measured %u times (rounds interleaved across "
               "checks), beside the machine's own limit measured in the same session by a "
               "minimal probe (`concbench perf --probe`, harness/perf_probes.c), the run's "
               "ideal, or a promised figure. A check is judged only when a 50 ms single-thread "
               "spin around it got at least %.0f %% of a CPU (median over its rounds); "
               "otherwise it is inconclusive, with what the figures alone would say in "
               "brackets.\n\n",
            s->runs, PERF_BUSY_SHARE * 100);
    fprintf(f, "- machine: %s, %u CPUs, %s\n- date: %s\n- revision: %s\n"
               "- load average: %s before, %s after (perf's own checks raise it)\n"
               "- session: %.0f s\n\n",
            s->machine, s->cores, s->kernel, s->date, s->revision, s->load_before,
            s->load_after, s->seconds);
    fprintf(f, "| check | what | measured: median (min–max) | limit | ratio | budget | CPU "
               "share | verdict | noise |\n|---|---|---|---|---:|---|---:|---|---|\n");
    for (size_t i = 0; i < n; i++) {
        if (c[i].verdict == PERF_SKIPPED)
            continue;
        fprintf(f, "| %s | %s (`%s`) | %s | %s | %s | %s | %s | %s | %s |\n", c[i].name,
                c[i].def->what, c[i].run_cmd, measured_text(&c[i], m, sizeof m),
                limit_text(&c[i], l, sizeof l), ratio_text(&c[i], r, sizeof r),
                perf_budget_text(&c[i], b, sizeof b), share_text(&c[i], sh, sizeof sh),
                verdict_text(&c[i], v, sizeof v), c[i].noise[0] ? c[i].noise : "");
    }
    counts(c, n, k, sizeof k);
    fprintf(f, "\n%s.\n", k);
    for (size_t i = 0; i < n; i++)
        if (c[i].error[0])
            fprintf(f, "\n- %s failed: %s\n", c[i].name, c[i].error);
    bool skipped = false;
    for (size_t i = 0; i < n; i++)
        if (c[i].verdict == PERF_SKIPPED) {
            fprintf(f, "%s- %s: %s\n", skipped ? "" : "\nSkipped:\n\n", c[i].name, c[i].skip);
            skipped = true;
        }
    fprintf(f, "\n## Where the time goes\n\nEvery figure below is from the table above.\n\n");
    for (const struct model *const *mo = models; *mo; mo++)
        paragraph(f, (*mo)->name, (*mo)->cost_text, c, n, (*mo)->name);
    paragraph(f, "outside the models", NULL, c, n, "");
    fprintf(f, "\nNoise: \"outliers\" are runs with a modified z-score (MAD-based) above 3.5; "
               "\"bimodal\" means the largest gap between the sorted runs exceeds 3 MADs with "
               "at least 2 runs on each side (harness/noise.c).\n");
    return afile_commit(&a);
}
