/* main.c — concbench: the subcommand table and the top-level help. */
#include <errno.h>
#include <stdbool.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "harness/cli.h"
#include "harness/perf.h"

static const struct command cmd_list_ = { "list", "print every workload and model", cmd_list };
static const struct command cmd_run_ = { "run", "run one cell: N tasks of a workload under a model",
                                         cmd_run };
static const struct command cmd_corpus_ = { "corpus", "write the deterministic PNG corpus "
                                            "(thumbnail input)", cmd_corpus };
static const struct command cmd_serve_ = { "serve", "the embedded HTTP server (loopback, "
                                           "http workload target)", cmd_serve };

static const struct command cmd_sweep_ = { "sweep", "run the benchmark matrix repeatedly into "
                                           "results/<stamp>/ (make bench)", cmd_sweep };

static const struct command cmd_report_ = { "report", "draw the charts and write report.md for a "
                                            "results folder (make plots)", cmd_report };

static const struct command cmd_compare_ = { "compare", "compare two sweeps cell by cell "
                                             "(ratio, interval, verdict)", cmd_compare };

const struct command *const commands[] = {
    &cmd_list_,
    &cmd_run_,
    &cmd_sweep_,
    &cmd_corpus_,
    &cmd_serve_,
    &cmd_report_,
    &cmd_compare_,
    &cmd_perf_,
    NULL,
};

/* The Makefile bakes these in (-DCONCBENCH_VERSION, -DCONCBENCH_REVISION). */
#ifndef CONCBENCH_VERSION
#define CONCBENCH_VERSION "unknown"
#endif
#ifndef CONCBENCH_REVISION
#define CONCBENCH_REVISION "unknown"
#endif

static void usage(FILE *f)
{
    fprintf(f, "usage: concbench COMMAND [OPTIONS]\n\n"
               "Measures how concurrency models (single thread, threads, thread pool, processes,\n"
               "process pool, one epoll event loop) handle I/O-bound and CPU-bound work.\n\n"
               "commands:\n");
    for (const struct command *const *c = commands; *c; c++)
        fprintf(f, "  %-8s %s\n", (*c)->name, (*c)->summary);
    fprintf(f, "\n'concbench COMMAND --help' describes a command; 'concbench --version' (-V)\n"
               "prints the version and the git revision the binary was built from;\n"
               "'man concbench' describes them all.\n");
}

/* Did the output reach its destination? A full disk (ENOSPC), a closed pipe (EPIPE) or an I/O
 * error is an environment failure (exit 3), never a success: stdout is flushed and closed here,
 * once every command is done with it. */
static int finish_output(int rc)
{
    errno = 0;
    bool failed = fflush(stdout) != 0 || ferror(stdout);
    int err = errno;
    if (fclose(stdout) != 0 && !failed) {
        failed = true;
        err = errno;
    }
    if (!failed)
        return rc;
    fprintf(stderr, "concbench: cannot write the output: %s\n",
            err ? strerror(err) : "write error");
    return rc == EXIT_INTERRUPTED || rc == EXIT_USAGE ? rc : EXIT_ENV;
}

int main(int argc, char **argv)
{
    /* A closed pipe is a write error that finish_output reports, not a silent death. */
    signal(SIGPIPE, SIG_IGN);
    if (argc < 2) {
        usage(stderr);
        return EXIT_USAGE;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return finish_output(EXIT_OK);
    }
    if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0) {
        if (argc > 2) {
            fprintf(stderr, "concbench: %s takes no argument\n", argv[1]);
            return EXIT_USAGE;
        }
        printf("concbench %s (git revision %s)\n", CONCBENCH_VERSION, CONCBENCH_REVISION);
        return finish_output(EXIT_OK);
    }
    for (const struct command *const *c = commands; *c; c++)
        if (strcmp((*c)->name, argv[1]) == 0)
            return finish_output((*c)->main(argc - 1, argv + 1));
    fprintf(stderr, "concbench: unknown command '%s'; commands:", argv[1]);
    for (const struct command *const *c = commands; *c; c++)
        fprintf(stderr, "%s %s", c == commands ? "" : ",", (*c)->name);
    fprintf(stderr, "\n");
    return EXIT_USAGE;
}
