/* record.h — one run's record: the text line for people, the JSON line for scripts. */
#ifndef CONCBENCH_RECORD_H
#define CONCBENCH_RECORD_H

#include <stdbool.h>
#include <stdio.h>

#include "models/model.h"

#define RECORD_SCHEMA 1

struct record {
    const struct workload *workload;
    const struct model *model;
    const struct run_params *params;
    const struct options *opts;
    void *ctx;                      /* the workload's, for its report() */
    int argc;
    char **argv;
    unsigned long long timeout_ms;

    double wall_s, cpu_user_s, cpu_sys_s;
    long max_rss_kb, ctx_voluntary, ctx_involuntary;
    struct run_stats stats;
    /* Memory per task in flight (batch.c): VmRSS before the first dispatch, VmHWM after the
     * batch (its peak reset first through /proc/self/clear_refs), their difference, the most
     * tasks in flight (the concurrency, capped by N and by the model's own cap), and the growth
     * per task in flight; for a model whose tasks run in child processes, the children's summed
     * peak RSS per child. -1 (null in JSON): unknown (the peak could not be reset). */
    long rss_before_kb, rss_peak_kb, rss_growth_kb;
    unsigned tasks_in_flight, children;
    unsigned tasks_seen;            /* the most tasks whose [start, end] overlapped (0: unknown) */
    double rss_per_task_kb;
    const char *rss_basis;          /* "process" or "children" */
    char cpus[128];                 /* the CPUs the batch could run on ("0-1") */
    unsigned cores;                 /* how many */
    int signal;                     /* first SIGINT/SIGTERM received, 0 if none */
    int model_error;                /* negative errno from model->run, 0 if it ran */

    const struct task_result *results;
    bool verified;
    const char *verify_error;       /* NULL, or the reason (in verify_buf after batch_run) */
    char verify_buf[512];
};

/* Error kinds of a batch: kind → count, in order of first appearance. */
#define RECORD_MAX_KINDS 32
struct error_kinds {
    unsigned n, errors;
    struct { char kind[48]; unsigned count; } k[RECORD_MAX_KINDS];
};
void record_error_kinds(const struct task_result *rs, unsigned n, struct error_kinds *out);

void record_write_text(const struct record *r, FILE *f);
void record_write_json(const struct record *r, FILE *f);
/* 130 interrupted, 3 the model could not run, 1 a task failed or verification failed, else 0. */
int record_exit_code(const struct record *r);

#endif
