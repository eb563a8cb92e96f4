/* catalog.h — the registries written out as data: models.csv and workloads.csv beside a sweep's
 * summary.csv, the per-row columns the charts group and colour by, and the `params` key. */
#ifndef CONCBENCH_CATALOG_H
#define CONCBENCH_CATALOG_H

#include <stddef.h>

#include "models/model.h"
#include "workloads/workload.h"

/* Write DIR/models.csv (name,order,color,rgb,serial,pool,forks,cpu_inline,summary) and
 * DIR/workloads.csv (name,kind,kind_label,kind_order,order,label,summary), each atomically,
 * from this binary's registries (hidden workloads included: test sweeps use them). Returns 0
 * or -errno. */
int catalog_write(const char *dir);

/* The colour "#rrggbb" as the integer 0xRRGGBB gnuplot's `lc rgb variable` takes; 0 when it is
 * not one. */
unsigned long catalog_rgb(const char *color);

/* The `params` key of a cell: the options in `args` ("--sleep-ms 50 --chunk 4", as given to
 * `run`) that belong to w's or m's option table and differ from the table's default, as
 * "name=value" joined by ';' and sorted by name (a flag is "name=1"). Options of neither table
 * are left out. "" when none. Returns the length written (truncated to len - 1). */
size_t catalog_params(const struct workload *w, const struct model *m, const char *args,
                      char *buf, size_t len);

/* Split "--name value --flag ..." into o (names and values point into store[len], which the
 * text is copied to). Only options of w's or m's table are kept, so run options such as
 * --chunk are left out. Returns the number kept. */
unsigned catalog_options(const struct workload *w, const struct model *m, const char *args,
                         struct options *o, char *store, size_t len);

/* The one ideal-time rule, for every caller (sweep summary, report, gate baseline): the
 * workload's ideal for the options in args, with the parallelism the model gives it
 * (model_parallelism) at this concurrency. t1: the serial reference's median time per task
 * for the same workload and options (NaN: unknown). NaN when there is no known ideal. */
double catalog_ideal_s(const struct workload *w, const struct model *m, const char *args,
                       unsigned tasks, unsigned concurrency, unsigned cores, double t1);

#endif
