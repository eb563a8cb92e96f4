/* report_int.h — what the report's files share inside harness/: the CSV reader and writer, the
 * registry fill-in of old summaries, and the queries over loaded cells (order, the serial
 * reference, kinds, memory). Not for other parts of concbench: they use report.h. */
#ifndef CONCBENCH_REPORT_INT_H
#define CONCBENCH_REPORT_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "harness/report.h"
#include "runtime/json.h"

#define NOISY_CV 0.10               /* a cell whose runs vary more than this is flagged */
#define BUSY_BELOW 0.8              /* the serial reference got less of a core: a busy machine */

/* ---------------------------------------------------------------- CSV (report_csv.c) */

struct csv {
    char **head;
    size_t ncols;
    char ***rows;           /* rows[r][c]; every row has ncols fields ("" when short) */
    size_t nrows;
};

/* Read a CSV file with a header line (quoted fields may hold commas and ""). 0 or -errno
 * (-EINVAL: no header line). */
int csv_load(const char *path, struct csv *c);
void csv_free(struct csv *c);
/* The column named `name`, or -1. */
int csv_col(const struct csv *c, const char *name);
/* Append an empty column named `name`; returns its index or -ENOMEM. */
int csv_add_col(struct csv *c, const char *name);
/* Replace field (r, col) by a copy of v. 0 or -ENOMEM. */
int csv_set(struct csv *c, size_t r, int col, const char *v);
const char *csv_str(const struct csv *c, size_t r, int col);   /* "" for col < 0 */
double csv_num(const struct csv *c, size_t r, int col);        /* NaN when empty */
unsigned csv_uint(const struct csv *c, size_t r, int col);     /* 0 when empty */
/* Write the whole table (quoting fields that need it). */
void csv_write(const struct csv *c, FILE *f);

/* ---------------------------------------------------------------- old folders (report_upgrade.c) */

/* Add the registry columns a summary lacks and fill empty ideal_s/efficiency fields (see
 * report_upgrade). meta: metadata.json or NULL; cores: the machine's (0: unknown). *changed is
 * set when anything was added. 0 or -ENOMEM. */
int upgrade_summary(struct csv *c, const struct json_value *meta, unsigned cores, bool *changed);
/* The `params` key of a row written before the column existed: from metadata.json's
 * workload_args[part][workload] and the registry ("" when either is unknown). */
void upgrade_params(const struct json_value *meta, const char *part, const char *workload,
                    const char *model, char *buf, size_t len);
/* The machine's cores from metadata.json (cores_online, cores), or 0. */
unsigned meta_cores(const struct json_value *meta);

/* ---------------------------------------------------------------- metadata (report_data.c) */

/* A member found by key at any depth (first match, depth first), or NULL. */
const struct json_value *meta_find(const struct json_value *v, const char *key, int depth);

/* ---------------------------------------------------------------- queries (report_query.c) */

bool is(const char *a, const char *b);
/* The cell of workload w with these params (NULL: any), model m and part, with a median. */
const struct report_cell *find_cell(const struct report_data *d, const char *w,
                                    const char *params, const char *m, const char *part);
/* The distinct workloads, ordered by kind_order, workload_order, name; kind_order 0: all. */
size_t report_workloads(const struct report_data *d, unsigned kind_order, const char *out[],
                        size_t max);
/* The distinct params of the cells of workload w in part (first appearance order). */
size_t report_params_of(const struct report_data *d, const char *w, const char *part,
                        const char *out[], size_t max);
/* The distinct models, ordered by model_order, then name. */
size_t report_models(const struct report_data *d, const char *out[], size_t max);
/* The model's order (its first cell's model_order), for sorting; UINT_MAX when absent. */
unsigned report_model_rank(const struct report_data *d, const char *m);
/* The distinct kinds by kind_order: one cell of each in out[]. */
size_t report_kinds(const struct report_data *d, const struct report_cell *out[], size_t max);
/* The serial reference's name (the model of a row with serial = 1), or "the serial reference". */
const char *report_serial(const struct report_data *d);
/* True when the cell's kind of work waits rather than computes: its kind in this binary's
 * registry (any workload of that kind name); unknown kinds: the serial reference used under half
 * a core on it. */
bool kind_waits(const struct report_data *d, const char *kind);
/* "I/O" from "I/O-bound": the kind's label up to its first '-'. */
const char *kind_short(const struct report_cell *c, char *buf, size_t len);
/* Memory as the charts count it: for a model whose tasks ran in child processes
 * (children_sum_rss_kb > 0) their summed peaks, else the one process's peak; kB, NaN unknown. */
double cell_memory_kb(const struct report_cell *c);
bool cell_forks(const struct report_cell *c);
/* Cells of workload w (NULL: any) in `part` with a median exist. */
bool has_part(const struct report_data *d, const char *w, const char *part);
/* The serial reference's CPU time over wall time on the headline of work that computes: the
 * lowest over those workloads (its name in *w), or NaN. Well under 1: the machine was busy. */
double serial_busy(const struct report_data *d, const char **w);
/* What one task costs the model, from the registry (cost_text), or NULL when this binary does
 * not have the model. */
const char *model_cost(const char *m);

/* ---------------------------------------------------------------- a user's sweep (report_user.c) */

/* The charts of the `user` cells: user-W-DIM (wall time against each swept dimension DIM of
 * workload W, with the speed-up beside it when the serial reference was swept), drawn with
 * plots_dir/user.gp and added to ch. Returns the number that failed. */
int report_user_charts(const struct report_data *d, const char *plots_dir, const char *machine,
                       const char *vars, FILE *log, struct report_charts *ch);

/* ---------------------------------------------------------------- contended work and dispatch
 * styles (report_contended.c) */

/* A summary cell of the kind "contended" with its records' figures (medians over its good
 * runs; NaN when the records lack them). */
struct contended_row {
    const struct report_cell *cell;
    char sync[32];          /* the `sync` option: from params, else the registry's default */
    double increments, lost, lost_min, lost_max, contended, ns_per_increment;
    unsigned runs;
};
/* True for a cell of the kind "contended" (the registry's kind of its workload, else the
 * kind column). */
bool cell_contended(const struct report_cell *c);
/* Every contended cell of d (malloc'd into *out; free it). */
size_t contended_rows(const struct report_data *d, struct contended_row **out);
/* Write d->dir/contended.csv (atomically) when d has contended cells; *rows: how many. */
int contended_write_csv(const struct report_data *d, size_t *rows, char *err, size_t errlen);
bool finding_lock_cost(const struct report_data *d, char *out, size_t len);
bool finding_lost_updates(const struct report_data *d, char *out, size_t len);
bool finding_dispatch(const struct report_data *d, char *out, size_t len);

/* ---------------------------------------------------------------- markdown (report_md.c) */

void md_headline_grid(const struct report_data *d, FILE *f);
void md_hyperfine(const struct report_data *d, FILE *f);

/* ---------------------------------------------------------------- memory (report_memory.c) */

/* How memory is counted (one process, or the sum over the children of the models that fork). */
void report_md_memory_note(const struct report_data *d, FILE *f);
/* The table of memory per task in flight, models x headline workloads, and each model's figure
 * at its largest batch of waiting work. */
void report_md_memory_per_task(const struct report_data *d, FILE *f);

#endif
