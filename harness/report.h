/* report.h — `concbench report DIR`: read a sweep's results folder (summary.csv, runs.csv,
 * timeline.csv, metadata.json, runs.jsonl, hyperfine/NAME.json), draw its charts with gnuplot and
 * write report.md with findings computed from the numbers. */
#ifndef CONCBENCH_REPORT_H
#define CONCBENCH_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "runtime/json.h"

/* One row of summary.csv (the columns are looked up by header name). NaN: the field was empty.
 * A cell's key is (workload, model, part, tasks, concurrency, params). */
struct report_cell {
    char workload[32], kind[16], model[32], part[16];
    char params[160];       /* "k=v;k=v": the options that differ from the defaults; "" none */
    unsigned tasks, concurrency, runs_ok, runs_total;
    /* From the registry, as the sweep wrote them (or the upgrade filled them in). */
    unsigned model_order, kind_order, workload_order, parallel;
    unsigned long model_rgb;    /* 0xRRGGBB */
    bool serial;                /* the serial reference: speed-ups are against it */
    char kind_label[32], workload_label[64];
    double min_s, median_s, max_s, cv, speedup, ideal_s, efficiency, cpu_s;
    double max_rss_kb, children_sum_rss_kb, ctx_voluntary, ctx_involuntary, server_cpu_s;
    double per_task_us;
    /* Appended by later sweeps (NaN / "" in older folders): memory per task in flight, and the
     * noise diagnosis of the cell's runs (sweep.h: outliers, bimodal 1/0, cpu_share, noise). */
    double rss_per_task_kb, outliers, bimodal, cpu_share;
    char noise[96];
    /* The event loop's system calls and CPU a task (NaN for models without a loop). */
    double loop_syscalls_per_task, loop_cpu_us_per_task;
};

/* One row of runs.csv. */
struct report_run {
    char workload[32], model[32], part[16], params[160];
    unsigned tasks, concurrency, run;
    double wall_s;
    bool ok;
    char why[160];          /* for a run not ok: the reason found in runs.jsonl, or "" */
};

/* One hyperfine result (whole-process timing of a headline cell). */
struct report_hf {
    char workload[32], model[32], params[160];
    double median_s, mean_s, min_s, max_s;
    unsigned runs;
};

struct report_data {
    char dir[4096];
    struct report_cell *cells;
    size_t ncells;
    struct report_run *runs;            /* empty when runs.csv is missing */
    size_t nruns;
    struct report_hf *hf;               /* empty when there is no hyperfine/NAME.json */
    size_t nhf;
    struct json_value *meta;            /* metadata.json, or NULL */
    struct { char workload[32]; unsigned tasks; } timeline[16];  /* workloads in timeline.csv */
    size_t ntimeline;
};

/* Read the results folder `dir`: summary.csv is required; the other files are optional. A
 * summary written before the registry columns existed is filled in memory the way
 * report_upgrade fills it on disk. Returns 0, or a negative errno with a message in err
 * (-ENOENT: no summary.csv, -EINVAL: a malformed file). Free with report_free. Any thread;
 * blocks on file I/O. */
int report_load(const char *dir, struct report_data *d, char *err, size_t errlen);
void report_free(struct report_data *d);

/* A metadata member found by key at any depth (first match, depth first), as a string (numbers
 * formatted), or NULL. The result lives in buf. */
const char *report_meta(const struct report_data *d, const char *key, char *buf, size_t len);
/* Cores of the machine: metadata (cores_online, cores), else the -j of a headline cell of work
 * that computes, else 0. */
unsigned report_cores(const struct report_data *d);
/* The one-line machine description for chart subtitles: "2 cores · CPU model · Linux 6.1". */
void report_machine_line(const struct report_data *d, char *buf, size_t len);

/* Up to max plain-language findings computed from d (never fixed text: each names the models and
 * numbers it was computed from), each a NUL-terminated line in out[k]. Returns how many. */
#define REPORT_FINDING_LEN 512
size_t report_findings(const struct report_data *d, char (*out)[REPORT_FINDING_LEN], size_t max);

/* The charts a results folder gets; drawn[] says which exist as PNG. */
#define REPORT_MAX_CHARTS 24
struct report_charts {
    size_t n;
    struct { char name[64]; bool drawn; } c[REPORT_MAX_CHARTS];
};

/* Draw every chart the data allows with gnuplot (proc_run, no shell): the scripts are in
 * plots_dir, the PNG and SVG land in d->dir. gnuplot's stderr goes to `log` prefixed with the
 * chart's name. Returns the number of charts that failed (0: all drawn), or -errno when gnuplot
 * could not be started at all. Main thread; blocks while gnuplot runs. */
int report_draw_charts(const struct report_data *d, const char *plots_dir, FILE *log,
                       struct report_charts *charts);

/* Write report.md for d to f; charts (may be NULL) says which images to show. */
void report_write_markdown(const struct report_data *d, const struct report_charts *charts,
                           FILE *f);

/* For README.md: copy d->dir/io-vs-cpu.png into docs/ and write docs/results.md (the machine,
 * findings, headline grid and hyperfine table, generated: never hand-typed). Both files appear
 * whole (temporary name, then rename). Returns 0 or -errno with a message in err. */
int report_publish(const struct report_data *d, const char *docs, char *err, size_t errlen);

/* The gnuplot scripts' folder: `given` (--plots) when not NULL, else $CONCBENCH_PLOTS, else
 * plots/ (the source tree) or share/concbench/plots/ (an installed binary) in the binary's
 * folder or one of the three above it, else "plots". */
void report_plots_dir(const char *given, char *buf, size_t len);

/* Run one gnuplot script: gnuplot [-e SET] -c script args... (proc_run: stdin from /dev/null,
 * stdout discarded, stderr captured into err, NUL-terminated, truncated to errlen). `set` (may
 * be NULL) is a gnuplot command run first, for numbers only (`busy_share=0.5`). Returns
 * gnuplot's exit code, or -errno when it could not be started (-ENOENT: no gnuplot). One thread
 * at a time. */
int report_run_gnuplot(const char *script, const char *set, char *const args[], char *err,
                       size_t errlen);

/* Bring a results folder written before the registry columns existed up to the data contract:
 * the summary.csv columns params, model_order, model_rgb, serial, parallel, kind_order,
 * kind_label, workload_order and workload_label that are missing are filled from this binary's
 * registries by model and workload name (model_find, workload_find; params from metadata.json's
 * workload_args), empty ideal_s (and efficiency) cells are computed (catalog_ideal_s), and
 * summary.csv is rewritten atomically; models.csv and workloads.csv are written (catalog_write)
 * when absent. *changed says whether summary.csv was rewritten. Returns 0 or -errno with a
 * message in err (-ENOENT: no summary.csv). Main thread. */
int report_upgrade(const char *dir, bool *changed, char *err, size_t errlen);

#endif
