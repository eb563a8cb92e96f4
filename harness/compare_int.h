/* compare_int.h — what the two halves of `concbench compare` share: compare_cmd.c (the command,
 * loading the two folders) and compare_out.c (the side-by-side note, order, Markdown, CSV,
 * chart). Internal to harness/compare_*.c. */
#ifndef CONCBENCH_COMPARE_INT_H
#define CONCBENCH_COMPARE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "harness/compare.h"
#include "runtime/json.h"

#define DEFAULT_ALPHA 0.01          /* the gate's (ci/regress) */
#define DEFAULT_THRESHOLD 0.10
#define FEW_RUNS 5

/* One cell of one side: its key and its ok runs' wall times. */
struct ccell {
    char workload[32], model[32], part[16], params[160];
    unsigned tasks, concurrency;
    double *x;
    size_t n, cap, total;       /* ok runs; all runs */
};

struct side {
    const char *dir;
    struct ccell *cells;
    size_t n, cap;
    struct json_value *meta;
    bool partial;
    char partial_why[200];
    bool params_derived;        /* runs.csv had no params column (a folder from before it) */
};

/* One row of the comparison. */
struct crow {
    const struct ccell *a, *b;
    bool ok;                    /* compared */
    char why[96];               /* when not */
    struct compare_result r;
    const char *verdict;        /* faster, slower, same, inconclusive */
    unsigned kind_order, workload_order, model_order;
    unsigned long rgb;
};

struct compare_out {
    const struct side *a, *b;
    struct crow *rows;
    size_t nrows;
    const struct ccell **only[2];
    size_t nonly[2];
    double alpha, t;
    unsigned counts[5];         /* faster, slower, same, inconclusive, not compared */
};


/* The two machines and builds side by side, when they differ (CPU, cores, kernel, compiler,
 * libraries). */
void compare_write_meta_note(FILE *f, const struct side *a, const struct side *b);
/* A row's chart and table order from the registry (model order, kind and workload order). */
void compare_fill_order(struct crow *r);
/* qsort comparator of rows: part, kind, workload, model, N, j, params. */
int compare_row_cmp(const void *x, const void *y);
/* The table (whole: with the notes compare.md has). */
void compare_write_markdown(FILE *f, const struct compare_out *o, bool whole);
void compare_write_csv(FILE *f, const struct compare_out *o);
/* compare.png/svg into out with plots/compare.gp; 0 or the gnuplot failure. */
int compare_draw_chart(const char *out, const struct compare_out *o, const char *plots);

#endif
