/* perf_verdict.c — from the figures of a check's rounds to its verdict: the figures read from
 * records, medians and ranges, the ratio to the limit or the ideal, the noise flags, met /
 * missed / inconclusive, and the exit code of a whole session. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "harness/noise.h"
#include "harness/perf.h"
#include "harness/stats.h"
#include "harness/text.h"

const char *perf_verdict_name(enum perf_verdict v)
{
    switch (v) {
    case PERF_MET: return "met";
    case PERF_MISSED: return "missed";
    case PERF_INCONCLUSIVE: return "inconclusive";
    case PERF_FAILED: return "failed";
    case PERF_SKIPPED: return "skipped";
    case PERF_INFO: return "info";
    }
    return "?";
}

enum perf_verdict perf_judge(enum perf_cmp cmp, double budget, double ratio, double cpu_share,
                             bool failed, enum perf_verdict *would_be)
{
    enum perf_verdict v;
    if (failed || (cmp != PERF_NONE && isnan(ratio)))
        v = PERF_FAILED;
    else if (cmp == PERF_NONE)
        v = PERF_INFO;
    else
        v = (cmp == PERF_LE ? ratio <= budget : ratio >= budget) ? PERF_MET : PERF_MISSED;
    if (would_be)
        *would_be = v;
    /* A busy machine leaves both outcomes in doubt: noise slows the run and the probe beside
     * it unequally, so neither a met nor a missed budget says anything about the code. */
    if ((v == PERF_MET || v == PERF_MISSED) && cpu_share < PERF_BUSY_SHARE)
        v = PERF_INCONCLUSIVE;
    return v;
}

int perf_exit_code(const enum perf_verdict *v, size_t n)
{
    bool missed = false, inconclusive = false;
    for (size_t i = 0; i < n; i++) {
        if (v[i] == PERF_MISSED || v[i] == PERF_FAILED)
            missed = true;
        else if (v[i] == PERF_INCONCLUSIVE)
            inconclusive = true;
    }
    return missed ? EXIT_TASKS : inconclusive ? EXIT_INCONCLUSIVE : EXIT_OK;
}

/* ---- figures of a record ---- */

/* The number after "key": at the top level (or within obj[0..end) when obj is given). */
static double json_key_num(const char *text, const char *end, const char *key)
{
    char pat[96];
    snprintf(pat, sizeof pat, "\"%s\":", key);
    size_t pl = strlen(pat);
    for (const char *p = text; (p = strstr(p, pat)) != NULL; p += pl) {
        if (end && p >= end)
            return NAN;
        const char *v = p + pl;
        while (*v == ' ')
            v++;
        if (strncmp(v, "null", 4) == 0)
            return NAN;
        if (strncmp(v, "true", 4) == 0)
            return 1;
        if (strncmp(v, "false", 5) == 0)
            return 0;
        char *e;
        double d = strtod(v, &e);
        return e == v ? NAN : d;
    }
    return NAN;
}

static double term(const char *json, const char *t)
{
    char name[96];
    const char *slash = strchr(t, '/');
    if (slash) {
        snprintf(name, sizeof name, "%.*s", (int)(slash - t), t);
        double a = term(json, name), b = term(json, slash + 1);
        return b != 0 ? a / b : NAN;
    }
    const char *dot = strchr(t, '.');
    if (dot) {
        char obj[96];
        snprintf(obj, sizeof obj, "\"%.*s\":{", (int)(dot - t), t);
        const char *o = strstr(json, obj);
        if (!o)
            return NAN;
        const char *end = strchr(o + strlen(obj), '}');
        return json_key_num(o + strlen(obj), end, dot + 1);
    }
    if (strcmp(t, "cpu_s") == 0 && !strstr(json, "\"cpu_s\":"))
        return json_key_num(json, NULL, "cpu_user_s") + json_key_num(json, NULL, "cpu_sys_s");
    return json_key_num(json, NULL, t);
}

double perf_figure(const char *json, const char *path)
{
    if (!json || !path)
        return NAN;
    double sum = 0;
    char buf[256];
    str_copy(buf, sizeof buf, path);
    char *save = NULL;
    int terms = 0;
    for (char *t = strtok_r(buf, "+", &save); t; t = strtok_r(NULL, "+", &save), terms++)
        sum += term(json, t);
    return terms ? sum : NAN;
}

/* ---- formatting ---- */

const char *perf_fmt(enum perf_unit u, double v, char *buf, size_t len)
{
    if (!isfinite(v)) {
        snprintf(buf, len, "—");
        return buf;
    }
    switch (u) {
    case PERF_UNIT_S:
        if (fabs(v) >= 1)
            snprintf(buf, len, "%.3f s", v);
        else if (fabs(v) >= 1e-3)
            snprintf(buf, len, "%.1f ms", v * 1e3);
        else if (fabs(v) >= 1e-6)
            snprintf(buf, len, "%.2f µs", v * 1e6);
        else
            snprintf(buf, len, "%.1f ns", v * 1e9);
        break;
    case PERF_UNIT_MS:
        snprintf(buf, len, "%.2f ms", v);
        break;
    case PERF_UNIT_X:
        snprintf(buf, len, "%.2fx", v);
        break;
    case PERF_UNIT_COUNT: {
        char n[32];
        snprintf(buf, len, "%s", fmt_count((unsigned long long)llround(v), n, sizeof n));
        break;
    }
    case PERF_UNIT_KB:
        if (fabs(v) >= 1024)
            snprintf(buf, len, "%.1f MiB", v / 1024);
        else
            snprintf(buf, len, "%.*f KiB", fabs(v) >= 10 ? 1 : 2, v);
        break;
    case PERF_UNIT_RPS: {
        char n[32];
        snprintf(buf, len, "%s req/s", fmt_count((unsigned long long)llround(v), n, sizeof n));
        break;
    }
    }
    return buf;
}

const char *perf_budget_text(const struct perf_check *c, char *buf, size_t len)
{
    const struct perf_check_def *d = c->def;
    if (d->cmp == PERF_NONE) {
        snprintf(buf, len, "none (info)");
        return buf;
    }
    const char *op = d->cmp == PERF_LE ? "≤" : "≥";
    char v[40];
    switch (d->basis) {
    case PERF_BASIS_IDEAL:
        snprintf(buf, len, "%s %.2f × ideal", op, d->budget);
        break;
    case PERF_BASIS_LIMIT:
        if (d->limit_figure && d->limit_figure[0] == '=') {
            const char *dot = strrchr(d->limit_figure, '.');
            snprintf(buf, len, "%s %.2f × %s", op, d->budget, dot ? dot + 1 : d->limit_figure + 1);
        } else {
            snprintf(buf, len, "%s %.2f × %s%s", op, d->budget,
                     d->limit_label ? d->limit_label : "bare",
                     d->minus > 0 ? " (beyond the sleep)" : "");
        }
        break;
    case PERF_BASIS_CONST:
        snprintf(buf, len, "%s %s", op, perf_fmt(d->unit, d->budget * d->basis_value, v,
                                                  sizeof v));
        break;
    }
    return buf;
}

/* ---- a check's conclusion ---- */

static void range(const double *x, unsigned n, double *med, double *min, double *max)
{
    double y[PERF_MAX_RUNS];
    unsigned k = 0;
    for (unsigned i = 0; i < n; i++)
        if (!isnan(x[i]))
            y[k++] = x[i];
    *med = k ? stats_median(y, k) : NAN;
    *min = k ? stats_min(y, k) : NAN;
    *max = k ? stats_max(y, k) : NAN;
}

void perf_conclude(struct perf_check *c)
{
    const struct perf_check_def *d = c->def;
    if (c->skip[0]) {
        c->verdict = c->would_be = PERF_SKIPPED;
        return;
    }
    unsigned n = c->rounds;
    double lo, hi;
    range(c->measured, n, &c->med, &c->min, &c->max);
    range(c->limit, n, &c->lim_med, &c->lim_min, &c->lim_max);
    range(c->ideal, n, &c->ideal_med, &lo, &hi);
    range(c->share, n, &c->share_med, &lo, &hi);
    for (unsigned k = 0; k < c->nextra; k++)
        range(c->extra[k], n, &c->extra_med[k], &lo, &hi);
    c->basis = d->basis == PERF_BASIS_LIMIT   ? c->lim_med
               : d->basis == PERF_BASIS_IDEAL ? c->ideal_med
                                              : d->basis_value;
    c->ratio = (c->med - d->minus) / (c->basis - d->minus);
    if (!(c->basis - d->minus > 0))
        c->ratio = NAN;
    bool failed = c->error[0] != '\0' || n == 0;
    if (!failed && d->cmp != PERF_NONE && isnan(c->ratio))
        snprintf(c->error, sizeof c->error, "no %s figure", isnan(c->med) ? "measured"
                                                                          : "limit");
    /* Noise: the measured runs, and the limit's when it has its own. */
    c->noise[0] = '\0';
    double y[PERF_MAX_RUNS];
    unsigned k = 0;
    for (unsigned i = 0; i < n; i++)
        if (!isnan(c->measured[i]))
            y[k++] = c->measured[i];
    noise_flags(y, k, c->noise, sizeof c->noise);
    if (d->limit_probe) {
        char lim[48];
        k = 0;
        for (unsigned i = 0; i < n; i++)
            if (!isnan(c->limit[i]))
                y[k++] = c->limit[i];
        if (noise_flags(y, k, lim, sizeof lim)[0])
            str_append(c->noise, sizeof c->noise, "%slimit: %s", c->noise[0] ? "; " : "", lim);
    }
    c->verdict = perf_judge(d->cmp, d->budget, c->ratio, c->share_med,
                            failed || c->error[0] != '\0', &c->would_be);
}
