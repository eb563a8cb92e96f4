/* compare.h — two-sample comparison for the regression gate: Mann–Whitney U, a percentile
 * bootstrap of the ratio of medians, a seeded PRNG, and the verdict rule of ci/regress. */
#ifndef CONCBENCH_COMPARE_H
#define CONCBENCH_COMPARE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- PRNG: xoshiro256** seeded through splitmix64 (same seed, same stream, any machine) ---- */

struct compare_rng {
    uint64_t s[4];
};

/* Seed the generator from one 64-bit seed (splitmix64 expands it). */
void compare_rng_seed(struct compare_rng *r, uint64_t seed);
/* The next 64 random bits. */
uint64_t compare_rng_next(struct compare_rng *r);
/* A uniform integer in [0, n), n >= 1, without modulo bias (rejection). */
uint64_t compare_rng_below(struct compare_rng *r, uint64_t n);

/* ---- Mann–Whitney U, two-sided ---- */

/* Samples up to this size each, without ties, get the exact null distribution of U. */
#define COMPARE_MW_EXACT_MAX 50

struct compare_mw {
    double u;           /* U of the first sample: pairs (x_i, y_j) with x_i > y_j, ties 1/2 */
    double p;           /* two-sided p-value */
    bool exact;         /* exact distribution (no ties, small samples) or normal approximation */
};

/* Two-sided Mann–Whitney U test of x (nx values) against y (ny values). Exact p when both
 * samples have at most COMPARE_MW_EXACT_MAX values and no value is tied; otherwise the normal
 * approximation with continuity correction and the tie correction of the variance. Returns 0,
 * or -EINVAL (an empty sample), -ENOMEM. Pure function; any thread. */
int compare_mann_whitney(const double *x, size_t nx, const double *y, size_t ny,
                         struct compare_mw *out);

/* P(U <= u) under the null for samples of sizes m and n without ties (exact; m, n <=
 * COMPARE_MW_EXACT_MAX). NaN on bad sizes or out of memory. */
double compare_mw_exact_cdf(unsigned m, unsigned n, double u);

/* ---- bootstrap ---- */

#define COMPARE_BOOT_RESAMPLES 10000
#define COMPARE_BOOT_SEED 0x636f6e6362656e63ULL    /* "concbenc": the gate's recorded seed */

/* Percentile-bootstrap confidence interval (level, e.g. 0.95) of median(num) / median(den):
 * `resamples` times, resample each sample with replacement to its own size, take the ratio of
 * the medians; the interval is the (1-level)/2 and (1+level)/2 quantiles of those ratios. The
 * same data, resamples and seed give the same interval. Returns 0, -EINVAL (empty sample, no
 * resamples, level outside (0,1)), -EDOM (a resampled median of den is 0) or -ENOMEM. */
int compare_bootstrap_ratio(const double *num, size_t nn, const double *den, size_t nd,
                            unsigned resamples, uint64_t seed, double level, double *lo,
                            double *hi);

/* ---- verdict ---- */

enum compare_verdict {
    VERDICT_NO_CHANGE,
    VERDICT_REGRESSED,
    VERDICT_IMPROVED,
    VERDICT_INCONCLUSIVE,
};
const char *compare_verdict_name(enum compare_verdict v);

/* The rule, for a ratio head/base where larger is worse, with interval [lo, hi]:
 * regressed when p < alpha and lo > 1 + t; improved when p < alpha and hi < 1 - t; no change
 * when [lo, hi] lies inside [1 - t, 1 + t]; otherwise inconclusive. */
enum compare_verdict compare_verdict(double p, double lo, double hi, double alpha, double t);

/* Everything the gate reports for one cell. */
struct compare_result {
    double base_median, head_median;
    double ratio;           /* head_median / base_median */
    double lo, hi;          /* bootstrap 95 % interval of the ratio */
    double p, u;            /* Mann–Whitney, head against base */
    bool exact;
    enum compare_verdict verdict;
};

/* Compare head samples against base samples (smaller is better): medians, ratio, bootstrap
 * (COMPARE_BOOT_RESAMPLES resamples, the given seed, 95 %), Mann–Whitney, verdict with alpha
 * and threshold t. Returns 0 or a negative errno from the parts above. */
int compare_samples(const double *base, size_t nb, const double *head, size_t nh, double alpha,
                    double t, uint64_t seed, struct compare_result *out);

#endif
