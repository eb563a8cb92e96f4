/* compare.c — Mann–Whitney U, percentile bootstrap of a ratio of medians, and the gate's verdict. */
#include "harness/compare.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "harness/stats.h"

/* ---- PRNG ---- */

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

void compare_rng_seed(struct compare_rng *r, uint64_t seed)
{
    for (int k = 0; k < 4; k++)
        r->s[k] = splitmix64(&seed);
}

static uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

uint64_t compare_rng_next(struct compare_rng *r)
{
    uint64_t *s = r->s;
    uint64_t out = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return out;
}

uint64_t compare_rng_below(struct compare_rng *r, uint64_t n)
{
    if (n <= 1)
        return 0;
    /* Reject the top partial block so every residue is equally likely. */
    uint64_t limit = UINT64_MAX - UINT64_MAX % n;
    uint64_t x;
    do
        x = compare_rng_next(r);
    while (x >= limit);
    return x % n;
}

/* ---- Mann–Whitney U ---- */

/* Counts of arrangements of m x's and n y's by U (0..m*n), in out[0..m*n]: the recurrence
 * f(i, j, u) = f(i-1, j, u-j) + f(i, j-1, u) (the largest value is an x, beating all j y's, or
 * a y), kept as one row per i and updated in place for j = 1..n. Returns 0 or -ENOMEM. */
static int mw_counts(unsigned m, unsigned n, double *out)
{
    size_t width = (size_t)m * n + 1;
    double *f = calloc((size_t)(m + 1) * width, sizeof *f);
    if (!f)
        return -ENOMEM;
    for (unsigned i = 0; i <= m; i++)
        f[(size_t)i * width] = 1;               /* j = 0: U = 0 only */
    for (unsigned j = 1; j <= n; j++)
        for (unsigned i = 1; i <= m; i++) {
            double *row = f + (size_t)i * width, *prev = f + (size_t)(i - 1) * width;
            /* row[u] holds f(i, j-1, u); prev[u] already holds f(i-1, j, u). Go down in u so
             * nothing is read after it is overwritten (row only reads itself at u). */
            for (size_t u = (size_t)i * j + 1; u-- > 0;)
                row[u] += u >= j ? prev[u - j] : 0;
        }
    memcpy(out, f + (size_t)m * width, width * sizeof *out);
    free(f);
    return 0;
}

double compare_mw_exact_cdf(unsigned m, unsigned n, double u)
{
    if (m == 0 || n == 0 || m > COMPARE_MW_EXACT_MAX || n > COMPARE_MW_EXACT_MAX)
        return NAN;
    size_t width = (size_t)m * n + 1;
    double *c = malloc(width * sizeof *c);
    if (!c || mw_counts(m, n, c) < 0) {
        free(c);
        return NAN;
    }
    double total = 0, below = 0;
    for (size_t k = 0; k < width; k++) {
        total += c[k];
        if ((double)k <= u + 1e-9)
            below += c[k];
    }
    free(c);
    return below / total;
}

struct ranked {
    double v;
    int from_x;
};

static int cmp_ranked(const void *a, const void *b)
{
    return stats_cmp_double(&((const struct ranked *)a)->v, &((const struct ranked *)b)->v);
}

int compare_mann_whitney(const double *x, size_t nx, const double *y, size_t ny,
                         struct compare_mw *out)
{
    if (nx == 0 || ny == 0)
        return -EINVAL;
    size_t n = nx + ny;
    struct ranked *all = malloc(n * sizeof *all);
    if (!all)
        return -ENOMEM;
    for (size_t i = 0; i < nx; i++)
        all[i] = (struct ranked){ x[i], 1 };
    for (size_t j = 0; j < ny; j++)
        all[nx + j] = (struct ranked){ y[j], 0 };
    qsort(all, n, sizeof *all, cmp_ranked);

    /* Mid-ranks; the tie term sum(t^3 - t) over groups of equal values. */
    double rank_x = 0, ties = 0;
    for (size_t i = 0; i < n;) {
        size_t k = i;
        while (k + 1 < n && all[k + 1].v == all[i].v)
            k++;
        double t = (double)(k - i + 1), mid = ((double)i + (double)k) / 2 + 1;
        for (size_t q = i; q <= k; q++)
            if (all[q].from_x)
                rank_x += mid;
        ties += t * t * t - t;
        i = k + 1;
    }
    free(all);

    double dx = (double)nx, dy = (double)ny, dn = (double)n;
    out->u = rank_x - dx * (dx + 1) / 2;
    if (ties == 0 && nx <= COMPARE_MW_EXACT_MAX && ny <= COMPARE_MW_EXACT_MAX) {
        size_t width = nx * ny + 1;
        double *c = malloc(width * sizeof *c);
        if (!c)
            return -ENOMEM;
        int err = mw_counts((unsigned)nx, (unsigned)ny, c);
        if (err < 0) {
            free(c);
            return err;
        }
        /* U is a whole number here; P(U <= u) and P(U >= u). */
        size_t u = (size_t)llround(out->u);
        double total = 0, le = 0, ge = 0;
        for (size_t k = 0; k < width; k++) {
            total += c[k];
            if (k <= u)
                le += c[k];
            if (k >= u)
                ge += c[k];
        }
        free(c);
        double p = 2 * (le < ge ? le : ge) / total;
        out->p = p > 1 ? 1 : p;
        out->exact = true;
        return 0;
    }
    double mu = dx * dy / 2;
    double var = dx * dy / 12 * ((dn + 1) - ties / (dn * (dn - 1)));
    out->exact = false;
    if (var <= 0) {             /* every value equal: no evidence either way */
        out->p = 1;
        return 0;
    }
    double z = (fabs(out->u - mu) - 0.5) / sqrt(var);
    if (z < 0)
        z = 0;
    out->p = erfc(z / sqrt(2.0));
    return 0;
}

/* ---- bootstrap ---- */

static double median_sorted(const double *s, size_t n)
{
    return n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

/* Median of a resample of x (n values) drawn with replacement into buf. */
static double resample_median(struct compare_rng *r, const double *x, size_t n, double *buf)
{
    for (size_t i = 0; i < n; i++)
        buf[i] = x[compare_rng_below(r, n)];
    qsort(buf, n, sizeof *buf, stats_cmp_double);
    return median_sorted(buf, n);
}

/* Quantile q of sorted s (type 7, as stats_quantile). */
static double quantile_sorted(const double *s, size_t n, double q)
{
    double h = (double)(n - 1) * q;
    size_t lo = (size_t)floor(h), hi = lo + 1 < n ? lo + 1 : lo;
    return s[lo] + (h - (double)lo) * (s[hi] - s[lo]);
}

int compare_bootstrap_ratio(const double *num, size_t nn, const double *den, size_t nd,
                            unsigned resamples, uint64_t seed, double level, double *lo,
                            double *hi)
{
    if (nn == 0 || nd == 0 || resamples == 0 || !(level > 0 && level < 1))
        return -EINVAL;
    double *ratios = malloc(resamples * sizeof *ratios);
    double *buf = malloc((nn > nd ? nn : nd) * sizeof *buf);
    int err = 0;
    if (!ratios || !buf) {
        err = -ENOMEM;
        goto out;
    }
    struct compare_rng rng;
    compare_rng_seed(&rng, seed);
    for (unsigned k = 0; k < resamples; k++) {
        double a = resample_median(&rng, num, nn, buf);
        double b = resample_median(&rng, den, nd, buf);
        if (b == 0) {
            err = -EDOM;
            goto out;
        }
        ratios[k] = a / b;
    }
    qsort(ratios, resamples, sizeof *ratios, stats_cmp_double);
    *lo = quantile_sorted(ratios, resamples, (1 - level) / 2);
    *hi = quantile_sorted(ratios, resamples, (1 + level) / 2);
out:
    free(ratios);
    free(buf);
    return err;
}

/* ---- verdict ---- */

const char *compare_verdict_name(enum compare_verdict v)
{
    switch (v) {
    case VERDICT_NO_CHANGE: return "no change";
    case VERDICT_REGRESSED: return "REGRESSED";
    case VERDICT_IMPROVED: return "improved";
    case VERDICT_INCONCLUSIVE: return "inconclusive";
    }
    return "?";
}

enum compare_verdict compare_verdict(double p, double lo, double hi, double alpha, double t)
{
    if (p < alpha && lo > 1 + t)
        return VERDICT_REGRESSED;
    if (p < alpha && hi < 1 - t)
        return VERDICT_IMPROVED;
    if (lo >= 1 - t && hi <= 1 + t)
        return VERDICT_NO_CHANGE;
    return VERDICT_INCONCLUSIVE;
}

int compare_samples(const double *base, size_t nb, const double *head, size_t nh, double alpha,
                    double t, uint64_t seed, struct compare_result *out)
{
    struct compare_mw mw;
    int err;

    if (nb == 0 || nh == 0)
        return -EINVAL;
    out->base_median = stats_median(base, nb);
    out->head_median = stats_median(head, nh);
    if (!(out->base_median > 0))
        return -EDOM;
    out->ratio = out->head_median / out->base_median;
    if ((err = compare_bootstrap_ratio(head, nh, base, nb, COMPARE_BOOT_RESAMPLES, seed, 0.95,
                                       &out->lo, &out->hi)) < 0)
        return err;
    if ((err = compare_mann_whitney(head, nh, base, nb, &mw)) < 0)
        return err;
    out->p = mw.p;
    out->u = mw.u;
    out->exact = mw.exact;
    out->verdict = compare_verdict(out->p, out->lo, out->hi, alpha, t);
    return 0;
}
