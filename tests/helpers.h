/* helpers.h — what the tests share: running the concbench binary (with a signal on cue), reading
 * its JSON record and its list, naps, temporary folders, skips with a reason, and whether timing
 * bounds apply. */
#ifndef CONCBENCH_TEST_HELPERS_H
#define CONCBENCH_TEST_HELPERS_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <setjmp.h>
#include <cmocka.h>

#include "runtime/json.h"

/* The output of one run of the binary. */
struct cb_out {
    int status;         /* exit code, or 128 + signal */
    char *out, *err;    /* stdout and stderr, NUL-terminated; free with cb_out_free */
    double seconds;     /* wall time of the whole process */
    pid_t signalled;    /* the process the (first) signal went to; 0: none */
    double ready_s;     /* with a plan on_ready: seconds from the start to the ready byte; -1:
                         * none came (the signal was then sent at the plan's fallback) */
};

/* When to signal the binary (cb_runv_plan). */
struct cb_signal {
    int sig;            /* 0: never */
    int times;          /* how many (0 counts as 1), `gap` seconds apart: a second Ctrl-C */
    double gap;
    double after;       /* seconds after the start, or after the ready byte when on_ready */
    bool on_ready;      /* pass `--ready-fd N` (appended to argv) and count `after` from the
                         * first byte on it: the first task has started. No byte within 30 s
                         * (or the pipe closed): the signal goes anyway, ready_s stays -1. */
    /* Optional: the process to signal instead of the binary (one of its children, say), asked
     * when the signal is due; 0: none yet, asked again every 5 ms for up to 10 s. */
    pid_t (*target)(pid_t binary, void *arg);
    void *target_arg;
};

/* Path of the binary under test ($CONCBENCH, else bin/concbench). */
const char *cb_path(void);
/* Run concbench with the given arguments (NULL-terminated), no stdin, capture everything. */
int cb_run(struct cb_out *o, const char *arg, ...);
/* The same with a whole argv; argv[0] is the program run (cb_path() for the binary under test,
 * or a wrapper such as unshare). */
int cb_runv(struct cb_out *o, char *const argv[]);
/* The same, sending `sig` to the binary `after` seconds after it started (sig 0: never); when
 * exit_after is given, it receives the seconds from the signal to the end of the output. */
int cb_runv_signal(struct cb_out *o, char *const argv[], double after, int sig,
                   double *exit_after);
/* The same, sending `sig` `times` times, `gap` seconds apart (a second Ctrl-C). */
int cb_runv_signals(struct cb_out *o, char *const argv[], double after, int sig, int times,
                    double gap, double *exit_after);
/* The general form: run argv, signalling it as `plan` says (NULL: never). */
int cb_runv_plan(struct cb_out *o, char *const argv[], const struct cb_signal *plan,
                 double *exit_after);
void cb_out_free(struct cb_out *o);

/* Run concbench with args (NULL-terminated, without the binary) and parse the JSON record it
 * prints (the caller passes --json). Fails the test, printing the command and stderr, when the
 * output is not one JSON object or when want_exit >= 0 and the exit code differs. With o, the
 * output stays there (free it with cb_out_free); NULL: freed here. Free the value with
 * json_free. */
struct json_value *cb_run_json_v(struct cb_out *o, int want_exit, const char *const *args);
#define cb_run_json(o, want_exit, ...) \
    cb_run_json_v(o, want_exit, (const char *const[]){ __VA_ARGS__, NULL })

/* The most tasks whose [start, end] intervals overlap, from a record's timeline (task_start_s,
 * task_end_s; tasks never started left out). An end and a start at the same instant do not
 * overlap. */
unsigned cb_max_overlap(const struct json_value *v);

/* The names `concbench list` prints in its section "workloads" or "models" (in order), into
 * names; returns how many (asserts at least one). */
#define CB_NAME_MAX 32
unsigned cb_list(const char *section, char names[][CB_NAME_MAX], unsigned max);

/* Sleep that long, resuming after signals. */
void cb_nap(double seconds);
/* Remove path and everything under it (making unreadable folders readable first); a missing
 * path is no error. Never follows a symbolic link. */
void cb_rm_rf(const char *path);
/* False in the sanitizer builds (make asan / make tsan set CONCBENCH_SANITIZER=1): timing
 * bounds (upper bounds on wall time) are asserted only when this is true; outcomes always. */
bool cb_timing(void);
/* Skip the current test with a reason, which tests/run.sh lists with the skipped test. */
#define cb_skip(...) do { print_message(__VA_ARGS__); print_message("\n"); skip(); } while (0)
/* The folder tests/fuzz/NAME (seeds, regression inputs), found beside this source file so the
 * tests run from any working directory. */
void cb_fuzz_dir(const char *name, char *out, size_t len);
/* Parse o->out as one JSON object (asserts it parses). Free with json_free. */
struct json_value *cb_json(const struct cb_out *o);
/* A member as a number / string / bool, asserting it exists with that type. */
double jnum(const struct json_value *v, const char *key);
const char *jstr(const struct json_value *v, const char *key);
int jbool(const struct json_value *v, const char *key);
/* The number of live child processes of this process (the binary's orphans count, since cb_run
 * makes this process their subreaper), after up to 1 s for dying ones to go. Reaps zombies:
 * zombies of the binary's own children cannot outlive it. */
int cb_count_children(void);

#endif
