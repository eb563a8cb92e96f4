/* cli.h — what every subcommand shares: strict number parsing, usage errors, exit codes. */
#ifndef CONCBENCH_CLI_H
#define CONCBENCH_CLI_H

#include <stdbool.h>
#include <stdint.h>

/* Exit codes; the first that applies wins. */
enum {
    EXIT_OK = 0,
    EXIT_TASKS = 1,         /* a task failed or verification failed */
    EXIT_USAGE = 2,         /* bad command line or input */
    EXIT_ENV = 3,           /* the environment failed: folder, bind, library init */
    EXIT_INTERRUPTED = 130, /* SIGINT or SIGTERM */
};

/* Parse a decimal unsigned number in [min, max]: digits only, no sign, no overflow. Returns true
 * on success. */
bool cli_parse_uint(const char *s, uint64_t min, uint64_t max, uint64_t *out);
/* Parse a whole decimal number strictly between lo and hi. Returns true on success. */
bool cli_parse_double(const char *s, double lo, double hi, double *out);

/* Print "concbench CMD: <message>" and a hint to stderr; returns EXIT_USAGE. */
int cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A subcommand: argv[0] is its name. Returns the process exit code. */
struct command {
    const char *name, *summary;
    int (*main)(int argc, char **argv);
};
extern const struct command *const commands[];

int cmd_list(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_sweep(int argc, char **argv);    /* harness/sweep.c */
int cmd_corpus(int argc, char **argv);   /* harness/corpus.c */
int cmd_serve(int argc, char **argv);    /* harness/serve.c */
int cmd_report(int argc, char **argv);   /* harness/report.c */
int cmd_compare(int argc, char **argv);  /* harness/compare_cmd.c */

/* Online CPUs (at least 1). */
unsigned cli_online_cpus(void);
/* The cores a run, a sweep or perf counts with: the size of this process's CPU affinity set
 * (`--cpus`, taskset), at least 1: the pools' default -j, the CPU ideals, the charts' core
 * line. */
unsigned cli_cores(void);
/* `--cpus LIST` of command cmd: pin this process, and everything it starts, to the CPUs of LIST
 * ("0", "0-1", "0,1"). Call it before any thread or child is started. Returns EXIT_OK, or
 * EXIT_USAGE (a bad list, or a CPU that is not online, named) or EXIT_ENV (sched_setaffinity
 * refused) with the message printed. */
int cli_set_cpus(const char *cmd, const char *list);

#endif
