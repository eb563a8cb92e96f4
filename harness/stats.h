/* stats.h — descriptive statistics over samples of run times. */
#ifndef CONCBENCH_STATS_H
#define CONCBENCH_STATS_H

#include <stddef.h>

/* All take n >= 1 samples (n == 0 returns NaN) and leave x unchanged. */
double stats_min(const double *x, size_t n);
double stats_max(const double *x, size_t n);
double stats_mean(const double *x, size_t n);
/* Sample standard deviation (n − 1); 0 for one sample. */
double stats_stddev(const double *x, size_t n);
/* Coefficient of variation: stddev / mean (0 when the mean is 0). */
double stats_cv(const double *x, size_t n);
/* Median: the middle value, or the mean of the two middle values. */
double stats_median(const double *x, size_t n);
/* Quantile q in [0, 1], linear interpolation between order statistics (type 7, as R and numpy). */
double stats_quantile(const double *x, size_t n, double q);
/* Sort a copy helper: qsort comparator for doubles, ascending. */
int stats_cmp_double(const void *a, const void *b);

#endif
