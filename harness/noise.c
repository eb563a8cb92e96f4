/* noise.c — outliers (modified z-score), bimodality and CPU share of a set of runs. */
#include "harness/noise.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "harness/stats.h"
#include "harness/text.h"

static double *sorted_copy(const double *x, size_t n)
{
    double *s = malloc((n ? n : 1) * sizeof *s);
    if (!s)
        return NULL;
    memcpy(s, x, n * sizeof *s);
    qsort(s, n, sizeof *s, stats_cmp_double);
    return s;
}

double noise_mad(const double *x, size_t n)
{
    if (n == 0)
        return NAN;
    double med = stats_median(x, n);
    double *d = malloc(n * sizeof *d);
    if (!d)
        return NAN;
    for (size_t i = 0; i < n; i++)
        d[i] = fabs(x[i] - med);
    double mad = stats_median(d, n);
    free(d);
    return mad;
}

size_t noise_outliers(const double *x, size_t n, double *z)
{
    if (n == 0)
        return 0;
    double med = stats_median(x, n), mad = noise_mad(x, n);
    size_t out = 0;
    for (size_t i = 0; i < n; i++) {
        double dev = x[i] - med, zi;
        if (mad > 0)
            zi = 0.6745 * dev / mad;
        else
            zi = dev == 0 ? 0 : (dev > 0 ? INFINITY : -INFINITY);
        if (z)
            z[i] = zi;
        if (fabs(zi) > NOISE_Z_OUTLIER)
            out++;
    }
    return out;
}

bool noise_bimodal(const double *x, size_t n, double *gap_at)
{
    if (gap_at)
        *gap_at = NAN;
    if (n < 2 * NOISE_BIMODAL_SIDE)
        return false;
    double mad = noise_mad(x, n);
    if (!(mad > 0))
        return false;
    double *s = sorted_copy(x, n);
    if (!s)
        return false;
    /* The largest gap whose both sides hold enough runs. */
    double best = -1;
    size_t at = 0;
    for (size_t i = NOISE_BIMODAL_SIDE; i + NOISE_BIMODAL_SIDE <= n; i++) {
        double g = s[i] - s[i - 1];
        if (g > best) {
            best = g;
            at = i;
        }
    }
    /* "The largest gap between sorted runs": a wider gap nearer an end (one lone run) is an
     * outlier, not a second clump; only when the largest gap of all is a central one does it
     * split the runs in two. */
    double widest = 0;
    for (size_t i = 1; i < n; i++)
        if (s[i] - s[i - 1] > widest)
            widest = s[i] - s[i - 1];
    bool bi = best > 0 && best >= widest && best > NOISE_BIMODAL_GAP_MADS * mad;
    if (bi && gap_at)
        *gap_at = (s[at] + s[at - 1]) / 2;
    free(s);
    return bi;
}

double noise_cpu_share(double cpu_s, double wall_s)
{
    if (!(wall_s > 0) || isnan(cpu_s))
        return NAN;
    return cpu_s / wall_s;
}

static double clock_s(clockid_t id)
{
    struct timespec t;
    clock_gettime(id, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

double noise_spin_share(double seconds)
{
    double w0 = clock_s(CLOCK_MONOTONIC), c0 = clock_s(CLOCK_THREAD_CPUTIME_ID), w1;
    volatile unsigned long sink = 0;
    do {
        for (int i = 0; i < 10000; i++)
            sink += i;
        w1 = clock_s(CLOCK_MONOTONIC);
    } while (w1 - w0 < seconds);
    return noise_cpu_share(clock_s(CLOCK_THREAD_CPUTIME_ID) - c0, w1 - w0);
}

const char *noise_flags(const double *x, size_t n, char *buf, size_t len)
{
    if (len)
        buf[0] = '\0';
    size_t o = noise_outliers(x, n, NULL);
    if (o)
        str_append(buf, len, "%zu outlier%s", o, o == 1 ? "" : "s");
    if (noise_bimodal(x, n, NULL))
        str_append(buf, len, "%sbimodal", buf[0] ? ", " : "");
    return buf;
}
