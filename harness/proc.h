/* proc.h — the harness's one child-process runner: a program started without a shell in its own
 * process group, its output captured (or sent to a log file), killed with its whole group on a
 * time limit or when the run's stop event is set. Used by the sweep, the report (gnuplot) and
 * the gate (ci/regress). */
#ifndef CONCBENCH_PROC_H
#define CONCBENCH_PROC_H

#include <stdbool.h>
#include <stddef.h>

struct event;

struct proc_opts {
    bool search;            /* look argv[0] up in PATH */
    bool capture_out;       /* stdout into c->out; else to /dev/null (or log_path) */
    const char *cwd;        /* the child's working folder; NULL: ours */
    const char *log_path;   /* when set: stdout and stderr appended to this file instead */
    double timeout_s;       /* > 0: SIGTERM the group after this long, SIGKILL 1 s later */
    struct event *stop;     /* when set (Ctrl-C): the same, and c->interrupted; NULL: never */
};

struct proc_child {
    int exit_code;          /* exit code, or 128 + signal */
    int term_signal;        /* the signal that ended it, 0 when it exited */
    bool timed_out;         /* killed at its time limit */
    bool interrupted;       /* killed because the stop event was set */
    double elapsed_s;       /* fork to reap */
    char *out;              /* stdout, NUL-terminated (NULL when not captured) */
    size_t out_len;
    char *err;              /* stderr, NUL-terminated, the first 64 KiB ("" with log_path) */
    size_t err_len;
};

/* Run argv (stdin from /dev/null) and block until it ends. A second signal received by the
 * harness (sigwatch_count() >= 2) skips the grace period between SIGTERM and SIGKILL. After
 * the child ends, anything left in its group is killed, so no process outlives the call.
 * Returns 0 with *c filled (free with proc_child_free), or -errno when it could not start.
 * One thread at a time. */
int proc_run(char *const argv[], const struct proc_opts *o, struct proc_child *c);
void proc_child_free(struct proc_child *c);

/* The first line argv prints on stdout (or stderr when stdout is empty) when it exits 0, else
 * ""; into buf. PATH is searched; 10 s at most. */
const char *proc_first_line(char *const argv[], char *buf, size_t len);

#endif
