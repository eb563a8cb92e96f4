/* test_compare.c — the regression gate's statistics: Mann–Whitney U against published values and
 * brute force, the bootstrap on fixed data and seed, and the verdict at each boundary. */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "harness/compare.h"
#include "tests/helpers.h"

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

/* scipy.stats.mannwhitneyu's documented example (Conover): U = 17, exact two-sided p = 1/9
 * (2 × 7 of the 126 arrangements); its normal approximation gives 0.11134688653314041. */
static void test_mw_scipy_example(void **state)
{
    (void)state;
    const double males[] = { 19, 22, 16, 29, 24 }, females[] = { 20, 11, 17, 12 };
    struct compare_mw mw;
    assert_int_equal(compare_mann_whitney(males, 5, females, 4, &mw), 0);
    assert_true(mw.exact);
    assert_true(fabs(mw.u - 17) < 1e-12);
    assert_true(fabs(mw.p - 1.0 / 9) < 1e-12);
    /* The other way round: U' = 20 - 17 = 3, the same p. */
    assert_int_equal(compare_mann_whitney(females, 4, males, 5, &mw), 0);
    assert_true(fabs(mw.u - 3) < 1e-12);
    assert_true(fabs(mw.p - 1.0 / 9) < 1e-12);
}

/* R's ?wilcox.test example (Hollander & Wolfe, p. 110): W = 35, exact one-sided p = 0.1272,
 * so the two-sided p is 0.2544 (to the 4 digits R prints). */
static void test_mw_hollander_wolfe(void **state)
{
    (void)state;
    const double x[] = { 0.80, 0.83, 1.89, 1.04, 1.45, 1.38, 1.91, 1.64, 0.73, 1.46 };
    const double y[] = { 1.15, 0.88, 0.90, 0.74, 1.21 };
    struct compare_mw mw;
    assert_int_equal(compare_mann_whitney(x, N_OF(x), y, N_OF(y), &mw), 0);
    assert_true(mw.exact);
    assert_true(fabs(mw.u - 35) < 1e-12);
    assert_true(fabs(mw.p - 0.2544) < 0.00005);
}

/* With ties: x = 1 2 2 3 5, y = 2 3 4 4 6 7. Mid-ranks 1, 3, 3, 5.5, 9 for x: R = 21.5,
 * U = 21.5 - 15 = 6.5. Ties: one group of 3, two of 2: sum(t^3 - t) = 24 + 6 + 6 = 36.
 * var = 5·6/12 · (12 - 36/(11·10)) = 29.1818..., z = (|6.5 - 15| - 0.5) / sqrt(var) = 1.480928,
 * p = erfc(z/√2) = 0.1386259 (normal approximation, continuity and tie corrections). */
static void test_mw_ties(void **state)
{
    (void)state;
    const double x[] = { 1, 2, 2, 3, 5 }, y[] = { 2, 3, 4, 4, 6, 7 };
    struct compare_mw mw;
    assert_int_equal(compare_mann_whitney(x, N_OF(x), y, N_OF(y), &mw), 0);
    assert_false(mw.exact);
    assert_true(fabs(mw.u - 6.5) < 1e-12);
    assert_true(fabs(mw.p - 0.13862587987892772) < 1e-9);

    /* Everything tied: no evidence, p = 1. */
    const double same[] = { 3, 3, 3 };
    assert_int_equal(compare_mann_whitney(same, 3, same, 3, &mw), 0);
    assert_true(fabs(mw.p - 1) < 1e-12);
    assert_int_equal(compare_mann_whitney(same, 0, same, 3, &mw), -EINVAL);
}

/* The exact distribution against brute force: every way of choosing which m of m+n ranks
 * belong to x, U counted directly. */
static void test_mw_exact_brute_force(void **state)
{
    (void)state;
    const unsigned m = 4, n = 6, total = m + n;
    unsigned counts[4 * 6 + 1] = { 0 }, ways = 0;
    for (unsigned mask = 0; mask < (1u << total); mask++) {
        if ((unsigned)__builtin_popcount(mask) != m)
            continue;
        unsigned u = 0, ys_below = 0;
        for (unsigned r = 0; r < total; r++) {
            if (mask & (1u << r))
                u += ys_below;      /* this x beats every y ranked below it */
            else
                ys_below++;
        }
        counts[u]++;
        ways++;
    }
    assert_int_equal(ways, 210);    /* C(10, 4) */
    unsigned cum = 0;
    for (unsigned u = 0; u <= m * n; u++) {
        cum += counts[u];
        double cdf = compare_mw_exact_cdf(m, n, u);
        assert_true(fabs(cdf - (double)cum / ways) < 1e-12);
    }
    /* Complete separation of two samples of 20: p = 2 / C(40, 20). */
    double a[20], b[20];
    for (int i = 0; i < 20; i++) {
        a[i] = 1 + i * 0.01;
        b[i] = 2 + i * 0.01;
    }
    struct compare_mw mw;
    assert_int_equal(compare_mann_whitney(b, 20, a, 20, &mw), 0);
    assert_true(mw.exact);
    assert_true(fabs(mw.u - 400) < 1e-12);
    assert_true(fabs(mw.p / (2 / 137846528820.0) - 1) < 1e-9);
}

/* Samples over COMPARE_MW_EXACT_MAX go to the normal approximation: a = 0..59, b = a + 9.5 gives
 * U = sum min(60, i + 10) = 2325, mu = 1800, var = 3600/12 · 121, z = 524.5 / 190.526 = 2.7529,
 * p = 0.0059068. */
static void test_mw_large_samples(void **state)
{
    (void)state;
    double a[60], b[60];
    for (int i = 0; i < 60; i++) {
        a[i] = i * 1.0;
        b[i] = i * 1.0 + 9.5;       /* no ties */
    }
    struct compare_mw mw;
    assert_int_equal(compare_mann_whitney(b, 60, a, 60, &mw), 0);
    assert_false(mw.exact);
    assert_true(fabs(mw.u - 2325) < 1e-9);
    assert_true(fabs(mw.p - 0.005906794153805787) < 1e-9);
}

static void test_rng(void **state)
{
    (void)state;
    struct compare_rng r1, r2;
    compare_rng_seed(&r1, 42);
    compare_rng_seed(&r2, 42);
    for (int i = 0; i < 1000; i++)
        assert_true(compare_rng_next(&r1) == compare_rng_next(&r2));
    /* splitmix64 from seed 0 gives 0xe220a8397b1dcdaf first: the seeding is the published one. */
    compare_rng_seed(&r1, 0);
    assert_true(r1.s[0] == 0xe220a8397b1dcdafULL);
    unsigned hist[7] = { 0 };
    for (int i = 0; i < 70000; i++) {
        uint64_t v = compare_rng_below(&r1, 7);
        assert_true(v < 7);
        hist[v]++;
    }
    for (int k = 0; k < 7; k++)
        assert_true(hist[k] > 9000 && hist[k] < 11000);
}

/* Fixed data: base ≈ 1.0, head ≈ 1.5 × base, with spread. */
static void make_samples(double *base, double *head, size_t n)
{
    struct compare_rng r;
    compare_rng_seed(&r, 7);
    for (size_t i = 0; i < n; i++) {
        double e1 = (double)(compare_rng_next(&r) >> 11) / 9007199254740992.0;
        double e2 = (double)(compare_rng_next(&r) >> 11) / 9007199254740992.0;
        base[i] = 1.0 + 0.1 * e1;
        head[i] = 1.5 * (1.0 + 0.1 * e2);
    }
}

static void test_bootstrap(void **state)
{
    (void)state;
    double base[20], head[20], lo, hi, lo2, hi2;
    make_samples(base, head, 20);
    assert_int_equal(compare_bootstrap_ratio(head, 20, base, 20, 10000, 12345, 0.95, &lo, &hi), 0);
    assert_int_equal(compare_bootstrap_ratio(head, 20, base, 20, 10000, 12345, 0.95, &lo2, &hi2),
                     0);
    assert_true(lo == lo2 && hi == hi2);            /* same data and seed: same interval */
    assert_true(lo < hi);
    assert_true(lo <= 1.5 && 1.5 <= hi);            /* the true ratio is inside */
    assert_true(lo > 1.3 && hi < 1.7);              /* and the interval is tight */

    /* The interval holds the observed ratio of medians. */
    struct compare_result res;
    assert_int_equal(compare_samples(base, 20, head, 20, 0.01, 0.10, 12345, &res), 0);
    assert_true(res.lo <= res.ratio && res.ratio <= res.hi);
    assert_true(res.lo == lo && res.hi == hi);
    assert_int_equal(res.verdict, VERDICT_REGRESSED);
    assert_true(res.exact && res.p < 1e-6);

    /* The same samples the other way: improved. Against themselves: no change. */
    assert_int_equal(compare_samples(head, 20, base, 20, 0.01, 0.10, 1, &res), 0);
    assert_int_equal(res.verdict, VERDICT_IMPROVED);
    assert_int_equal(compare_samples(base, 20, base, 20, 0.01, 0.10, 1, &res), 0);
    assert_int_equal(res.verdict, VERDICT_NO_CHANGE);
    assert_true(fabs(res.ratio - 1) < 1e-12);

    /* A constant sample: a zero-width interval at the ratio. */
    const double two[] = { 2, 2, 2 }, four[] = { 4, 4, 4, 4 };
    assert_int_equal(compare_bootstrap_ratio(four, 4, two, 3, 100, 1, 0.95, &lo, &hi), 0);
    assert_true(lo == 2 && hi == 2);
    const double zero[] = { 0, 0 };
    assert_int_equal(compare_bootstrap_ratio(four, 4, zero, 2, 100, 1, 0.95, &lo, &hi), -EDOM);
    assert_int_equal(compare_bootstrap_ratio(four, 4, two, 3, 0, 1, 0.95, &lo, &hi), -EINVAL);
}

static void test_verdict_boundaries(void **state)
{
    (void)state;
    const double a = 0.01, t = 0.10, up = 1 + t, down = 1 - t;
    /* regressed: p < alpha and lo > 1 + t, both strict */
    assert_int_equal(compare_verdict(0.009, nextafter(up, 2), 1.4, a, t), VERDICT_REGRESSED);
    assert_int_equal(compare_verdict(0.009, up, 1.4, a, t), VERDICT_INCONCLUSIVE);
    assert_int_equal(compare_verdict(a, 1.3, 1.4, a, t), VERDICT_INCONCLUSIVE);
    assert_int_equal(compare_verdict(nextafter(a, 0), 1.3, 1.4, a, t), VERDICT_REGRESSED);
    /* improved: p < alpha and hi < 1 - t, both strict */
    assert_int_equal(compare_verdict(0.009, 0.6, nextafter(down, 0), a, t), VERDICT_IMPROVED);
    assert_int_equal(compare_verdict(0.009, 0.6, down, a, t), VERDICT_INCONCLUSIVE);
    assert_int_equal(compare_verdict(a, 0.6, 0.7, a, t), VERDICT_INCONCLUSIVE);
    /* no change: the interval inside [1 - t, 1 + t], ends included, whatever p */
    assert_int_equal(compare_verdict(0.5, down, up, a, t), VERDICT_NO_CHANGE);
    assert_int_equal(compare_verdict(1e-9, 1.02, 1.05, a, t), VERDICT_NO_CHANGE);
    assert_int_equal(compare_verdict(0.5, nextafter(down, 0), up, a, t), VERDICT_INCONCLUSIVE);
    assert_int_equal(compare_verdict(0.5, down, nextafter(up, 2), a, t), VERDICT_INCONCLUSIVE);
    /* a big shift without significance stays inconclusive */
    assert_int_equal(compare_verdict(0.2, 1.3, 1.5, a, t), VERDICT_INCONCLUSIVE);
    /* another threshold moves the boundary */
    assert_int_equal(compare_verdict(0.001, 1.15, 1.3, a, 0.20), VERDICT_INCONCLUSIVE);
    assert_int_equal(compare_verdict(0.001, 1.15, 1.3, a, 0.10), VERDICT_REGRESSED);
    assert_string_equal(compare_verdict_name(VERDICT_REGRESSED), "REGRESSED");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mw_scipy_example),
        cmocka_unit_test(test_mw_hollander_wolfe),
        cmocka_unit_test(test_mw_ties),
        cmocka_unit_test(test_mw_exact_brute_force),
        cmocka_unit_test(test_mw_large_samples),
        cmocka_unit_test(test_rng),
        cmocka_unit_test(test_bootstrap),
        cmocka_unit_test(test_verdict_boundaries),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
