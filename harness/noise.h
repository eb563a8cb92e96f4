/* noise.h — is a set of run times trustworthy? The diagnoses perf (and later the sweep and the
 * report) attach to a cell's runs: outliers by the modified z-score (hyperfine's test), a
 * two-clump (bimodal) pattern, and the share of a CPU a run actually got. */
#ifndef CONCBENCH_NOISE_H
#define CONCBENCH_NOISE_H

#include <stdbool.h>
#include <stddef.h>

/* The modified z-score threshold above which a run is an outlier (Iglewicz and Hoaglin; the
 * value hyperfine warns at). */
#define NOISE_Z_OUTLIER 3.5
/* A gap wider than this many MADs, with at least NOISE_BIMODAL_SIDE runs on each side, splits
 * the runs into two clumps. */
#define NOISE_BIMODAL_GAP_MADS 3.0
#define NOISE_BIMODAL_SIDE 2

/* The median absolute deviation from the median (unscaled). NaN for n == 0. */
double noise_mad(const double *x, size_t n);

/* The modified z-score of each run, 0.6745 (x - median) / MAD, into z[n] (may be NULL). When
 * the MAD is 0 a run equal to the median scores 0 and any other run +-infinity (as hyperfine,
 * which divides by it). Returns how many runs score |z| > NOISE_Z_OUTLIER. */
size_t noise_outliers(const double *x, size_t n, double *z);

/* True when the largest gap between neighbouring sorted runs exceeds NOISE_BIMODAL_GAP_MADS x
 * MAD and at least NOISE_BIMODAL_SIDE runs lie on each side of it (so n >= 4). When gap_at is
 * given it receives the midpoint of that gap (NaN when not bimodal). A MAD of 0 never splits:
 * then most runs are equal. An even split (half the runs in each clump) is not seen: the MAD is
 * then about half the gap; the rule finds a minority clump of at least 2 runs. */
bool noise_bimodal(const double *x, size_t n, double *gap_at);

/* The share of one CPU a run got: CPU seconds / wall seconds for a single-threaded run (1.0 =
 * a whole CPU). NaN when wall_s <= 0 or either figure is not a number. */
double noise_cpu_share(double cpu_s, double wall_s);

/* Spin one thread for `seconds` of wall time and return the share of a CPU it got (thread CPU
 * time / wall time): about 1.0 on an idle machine, less when others took the CPU. */
double noise_spin_share(double seconds);

/* The reasons a set of runs is noisy, as a short phrase into buf ("1 outlier, bimodal"), ""
 * when none. Returns buf. */
const char *noise_flags(const double *x, size_t n, char *buf, size_t len);

#endif
