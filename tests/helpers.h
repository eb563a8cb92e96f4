/* helpers.h — what the tests share: running the concbench binary and reading its JSON record. */
#ifndef CONCBENCH_TEST_HELPERS_H
#define CONCBENCH_TEST_HELPERS_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "runtime/json.h"

/* The output of one run of the binary. */
struct cb_out {
    int status;         /* exit code, or 128 + signal */
    char *out, *err;    /* stdout and stderr, NUL-terminated; free with cb_out_free */
    double seconds;     /* wall time of the whole process */
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
void cb_out_free(struct cb_out *o);
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
