/* profile.h — the one profile format of the sweep (profiles/) and the gate (ci/profile*): a text
 * file of directives and `cell` lines, read and expanded into cells against this binary's
 * registries. The format is described in profiles/README. */
#ifndef CONCBENCH_PROFILE_H
#define CONCBENCH_PROFILE_H

#include <stdbool.h>
#include <stddef.h>

#include "models/model.h"
#include "workloads/workload.h"

/* A cell's part. The first six are the sweep's own (enum sweep_part has the same values). */
enum profile_part {
    PROFILE_HEADLINE,
    PROFILE_TASKS,
    PROFILE_CONCURRENCY,
    PROFILE_OVERHEAD,
    PROFILE_TIMELINE,
    PROFILE_USER,           /* cells a user names for a sweep of their own */
    PROFILE_GATE,           /* the regression gate's cells (ci/regress) */
    PROFILE_NPARTS
};
/* "headline", ..., "user", "gate"; "?" out of range. */
const char *profile_part_name(int part);

struct profile_cell {
    int part;                   /* enum profile_part */
    unsigned line;              /* the line of the profile that made it */
    char name[64];              /* the profile's name for it, or one made from its key */
    const struct workload *w;   /* from this binary's registry */
    const struct model *m;
    unsigned tasks;             /* -n */
    unsigned jobs;              /* -j given to run; 0: not given (always 0 for a model whose
                                 * concurrency is one) */
    unsigned concurrency;       /* model_concurrency(m, tasks, jobs, cores) */
    char args[160];             /* the other `run` arguments, space-separated: the workload's
                                 * and model's options and run options (--chunk ...) */
    char params[160];           /* catalog_params(w, m, args): part of the cell's key */
};

#define PROFILE_MAX_NOTES 64
struct profile {
    char path[4096];            /* the file read */
    unsigned runs;              /* `runs R`; 0 when the profile does not say */
    bool hyperfine;             /* `hyperfine on` */
    int scale;                  /* `scale quick|default`: WL_SCALE_*; default WL_SCALE_DEFAULT */
    struct profile_cell *cells; /* in the file's order; a line's cells in the order of its
                                 * workloads, then models, then -n, then -j */
    size_t ncells;
    /* Remarks (`note` lines, options left out of cells) and the pairs left out because this
     * binary lacks the workload or the model ("http x async: workload http not registered"). */
    char *notes[PROFILE_MAX_NOTES];
    unsigned nnotes;
    char *skipped[PROFILE_MAX_NOTES];
    unsigned nskipped;
};

/* Where profile `name` is: a path (it holds a '/' or names an existing file) as it is, else
 * profiles/NAME looked up from the running binary's folder upwards (bin/concbench finds
 * ../profiles; an installed one ../share/concbench/profiles). Returns 0 with the path in buf,
 * or -ENOENT (err says which profiles there are). */
int profile_find(const char *name, char *buf, size_t len, char *err, size_t errlen);

/* Parse profile text (path: for messages) and expand its cells with `cores` for `-j cores` and
 * the pools' default concurrency. Returns 0, -EINVAL with "PATH:LINE: reason" in err, or
 * -ENOMEM. Free with profile_free (also after a failure). */
int profile_parse(const char *text, const char *path, unsigned cores, struct profile *p,
                  char *err, size_t errlen);
/* profile_find + read + profile_parse. -EINVAL also for an unknown name or an unreadable file. */
int profile_load(const char *name, unsigned cores, struct profile *p, char *err, size_t errlen);
void profile_free(struct profile *p);

/* The `run` argument vector of a cell without the program name and --json: "-w W -m M -n N
 * [-j J] ARGS...", malloc'ed strings in argv[0..return), at most max. Returns the count or -1
 * (too many, or out of memory; nothing left allocated). */
int profile_cell_argv(const struct profile_cell *c, char **argv, int max);

#endif
