/* batch.h — one batch of one cell, the way `concbench run` does it: results in shared memory,
 * the workload's set-up, the timed model run with its resource usage, verification. */
#ifndef CONCBENCH_BATCH_H
#define CONCBENCH_BATCH_H

#include <stddef.h>

#include "harness/record.h"

/* Runs one batch of rec->workload under rec->model with the workload options rec->opts and the
 * parameters p (tasks, concurrency, cancel, ... filled by the caller; p->t0 and p->stats are
 * set here; p->stats points at rec->stats). Fills rec: params, results, ctx, wall_s, CPU,
 * memory, context switches, stats, model_error, verified, verify_error. rec->signal is the
 * caller's (it owns the signal watcher).
 * Returns 0: the batch ran (its tasks may have failed: record_exit_code says); write the record,
 * then call batch_end. Returns a negative errno when it could not run, with a message in err
 * (-EINVAL: the workload refused its input, a usage error); nothing is left to free then. */
int batch_run(struct record *rec, struct run_params *p, char *err, size_t errlen);

/* The workload's teardown and the results' memory, after the record was written. */
void batch_end(struct record *rec);

#endif
