/* metadata.c — metadata.json of a sweep: the machine, the build, the tools, the sweep. */
#include <ctype.h>
#include <errno.h>
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "harness/atomic_file.h"
#include "harness/machine.h"
#include "harness/proc.h"
#include "harness/sweep.h"
#include "runtime/json.h"
#include "workloads/curl_dl.h"

/* The Makefile bakes the compiler and flags in (-DCONCBENCH_CC=... -DCONCBENCH_CFLAGS=...). */
#ifndef CONCBENCH_CC
#define CONCBENCH_CC "unknown"
#endif
#ifndef CONCBENCH_CFLAGS
#define CONCBENCH_CFLAGS "unknown"
#endif


/* The version and the revision the binary was built from (-DCONCBENCH_VERSION,
 * -DCONCBENCH_REVISION: "<commit>[-dirty]" or "unknown"). */
#ifndef CONCBENCH_VERSION
#define CONCBENCH_VERSION "unknown"
#endif
#ifndef CONCBENCH_REVISION
#define CONCBENCH_REVISION "unknown"
#endif

void sweep_collect_tools(struct sweep_tools *t)
{
    char *hf[] = { "hyperfine", "--version", NULL };
    char *gp[] = { "gnuplot", "--version", NULL };

    memset(t, 0, sizeof *t);
    proc_first_line(hf, t->hyperfine, sizeof t->hyperfine);
    proc_first_line(gp, t->gnuplot, sizeof t->gnuplot);
    /* The revision built in, not `git rev-parse` of whatever folder the binary runs in. */
    const char *rev = CONCBENCH_REVISION, *dirty = strstr(rev, "-dirty");
    t->git_dirty = -1;
    if (strcmp(rev, "unknown") != 0) {
        snprintf(t->git_revision, sizeof t->git_revision, "%.*s",
                 (int)(dirty ? (size_t)(dirty - rev) : strlen(rev)), rev);
        t->git_dirty = dirty != NULL;
    }
}

int sweep_write_metadata(const char *path, const struct sweep_meta *m)
{
    struct afile a;
    struct json_out j;
    struct utsname u;
    char buf[512];
    int err = afile_open(&a, path);
    if (err < 0)
        return err;

    json_init(&j, a.f);
    json_object_begin(&j);
    json_key_uint(&j, "schema", 1);
    json_key_str(&j, "tool", "concbench sweep");
    json_key_str(&j, "date", m->started_utc);
    json_key_str(&j, "stamp", m->stamp);
    json_key_str(&j, "profile", m->profile);
    json_key_uint(&j, "seed", m->seed);
    json_key_uint(&j, "runs_per_cell", m->runs);
    json_key_uint(&j, "cells", m->cells);
    json_key_double(&j, "estimated_s", m->estimated_s);
    json_key_double(&j, "duration_s", m->duration_s);
    json_key_bool(&j, "partial", m->partial);
    json_key_str(&j, "interrupted_by", sweep_signal_name(m->signal));
    json_key_bool(&j, "rebuilt_from_journal", m->rebuilt);
    json_key_uint(&j, "resumed", m->resumed);
    json_key_uint(&j, "runs_ok", m->runs_ok);
    json_key_uint(&j, "runs_not_ok", m->runs_not_ok);
    json_key_uint(&j, "runs_interrupted", m->runs_interrupted);
    json_key_bool(&j, "hyperfine_ran", m->hyperfine_ran);
    json_key_str(&j, "hyperfine_note", m->hyperfine_note);
    json_key_str(&j, "binary", m->exe);
    /* The files beside this one, each written whole before it: never one that is not there. */
    json_key(&j, "files");
    json_array_begin(&j);
    for (unsigned k = 0; k < m->nfiles; k++)
        json_str(&j, m->files[k]);
    json_array_end(&j);
    json_key(&j, "command");
    json_array_begin(&j);
    json_str(&j, "concbench");
    for (int k = 0; k < m->argc; k++)
        json_str(&j, m->argv[k]);
    json_array_end(&j);

    json_key(&j, "machine");
    json_object_begin(&j);
    machine_cpuinfo("model name", buf, sizeof buf);
    json_key_str(&j, "cpu_model", buf[0] ? buf : NULL);
    json_key_uint(&j, "cores_online", (uint64_t)sysconf(_SC_NPROCESSORS_ONLN));
    json_key_uint(&j, "cores_configured", (uint64_t)sysconf(_SC_NPROCESSORS_CONF));
    machine_cpuinfo("cpu MHz", buf, sizeof buf);
    json_key_str(&j, "cpu_mhz", buf[0] ? buf : NULL);
    json_key_int(&j, "mem_total_kb", machine_mem_total_kb());
    if (uname(&u) == 0) {
        json_key_str(&j, "kernel", u.release);
        json_key_str(&j, "kernel_version", u.version);
        json_key_str(&j, "arch", u.machine);
        json_key_str(&j, "hostname", u.nodename);
    }
    json_object_end(&j);

    json_key(&j, "build");
    json_object_begin(&j);
    json_key_str(&j, "version", CONCBENCH_VERSION);
    json_key_str(&j, "cc", CONCBENCH_CC);
    json_key_str(&j, "cflags", CONCBENCH_CFLAGS);
#ifdef __VERSION__
    json_key_str(&j, "compiler_version", __VERSION__);
#endif
    /* concbench does not link libcurl (the http workload dlopens it): the version of the
     * library a run would load, asked of it here, after the sweep's runs; null, with the
     * reason, when it cannot be loaded. */
    if (curl_dl_load(buf, sizeof buf) == 0) {
        json_key_str(&j, "libcurl", curl_dl.version());
    } else {
        json_key_str(&j, "libcurl", NULL);
        json_key_str(&j, "libcurl_error", buf);
    }
    json_key_str(&j, "libcurl_header", LIBCURL_VERSION);
    json_key_str(&j, "libpng", png_get_libpng_ver(NULL));
    json_key_str(&j, "libpng_header", PNG_LIBPNG_VER_STRING);
    json_object_end(&j);

    const struct sweep_tools *t = m->tools;
    json_key(&j, "tools");
    json_object_begin(&j);
    json_key_str(&j, "hyperfine", t && t->hyperfine[0] ? t->hyperfine : NULL);
    json_key_str(&j, "gnuplot", t && t->gnuplot[0] ? t->gnuplot : NULL);
    json_object_end(&j);

    json_key(&j, "git");
    if (t && t->git_revision[0]) {
        json_object_begin(&j);
        json_key_str(&j, "revision", t->git_revision);
        json_key_str(&j, "source", "built in (make)");
        json_key(&j, "dirty");
        if (t->git_dirty < 0)
            json_null(&j);
        else
            json_bool(&j, t->git_dirty == 1);
        json_object_end(&j);
    } else {
        json_null(&j);
    }

    const struct sweep_plan *p = m->plan;
    if (p) {
        json_key_uint(&j, "cores_used_for_cpu_bound", p->cores);
        json_key(&j, "skipped_pairs");
        json_array_begin(&j);
        for (unsigned k = 0; k < p->nskipped; k++)
            json_str(&j, p->skipped[k]);
        json_array_end(&j);
        json_key(&j, "notes");
        json_array_begin(&j);
        for (unsigned k = 0; k < p->nnotes; k++)
            json_str(&j, p->notes[k]);
        json_array_end(&j);
        /* Each part's workload arguments, so a reader knows D and C of every cell. */
        json_key(&j, "workload_args");
        json_object_begin(&j);
        for (int part = 0; part < SWEEP_NPARTS; part++) {
            bool opened = false;
            for (size_t c = 0; c < p->ncells; c++) {
                const struct sweep_cell *cell = &p->cells[c];
                bool seen = false;
                if (cell->part != part)
                    continue;
                for (size_t d = 0; d < c && !seen; d++)
                    seen = p->cells[d].part == part &&
                           strcmp(p->cells[d].workload, cell->workload) == 0;
                if (seen)
                    continue;
                if (!opened) {
                    json_key(&j, sweep_part_name(part));
                    json_object_begin(&j);
                    opened = true;
                }
                json_key_str(&j, cell->workload, cell->args);
            }
            if (opened)
                json_object_end(&j);
        }
        json_object_end(&j);
    }
    json_object_end(&j);
    fputc('\n', a.f);
    return afile_commit(&a);
}
