/* test_install.c — an installable tool (issue 19, part 3): `make install` into a temporary
 * DESTDIR, then the installed binary run from another folder (not the source tree): --version,
 * list, run, a tiny sweep with the installed profiles and a sweep of its own, report with charts
 * from the installed gnuplot scripts; the man page installed and clean; `make uninstall` takes
 * it all away. */
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/helpers.h"

static bool exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

/* The program's path on PATH (in a static buffer), or NULL. */
static const char *on_path(const char *prog)
{
    static char found[4][PATH_MAX];
    static unsigned next;
    const char *path = getenv("PATH");
    char copy[8192], *save = NULL;
    snprintf(copy, sizeof copy, "%s", path ? path : "/usr/bin:/bin");
    for (char *d = strtok_r(copy, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
        char *out = found[next % 4];
        snprintf(out, PATH_MAX, "%s/%s", d, prog);
        if (access(out, X_OK) == 0) {
            next++;
            return out;
        }
    }
    return NULL;
}

/* Run argv (argv[0] a program on PATH or a path); exit code, output in o. */
static int run(struct cb_out *o, char *const argv[])
{
    cb_runv(o, argv);
    return o->status;
}

static void test_install(void **state)
{
    (void)state;
    char repo[PATH_MAX], bin[PATH_MAX], tmp[] = "/tmp/concbench-test-install-XXXXXX";
    char dest[PATH_MAX + 16], prefix_bin[PATH_MAX + 64], target[PATH_MAX + 32], cwd[PATH_MAX];
    char share[PATH_MAX + 64], man[PATH_MAX + 64], work[PATH_MAX + 16], res[PATH_MAX + 32];
    struct cb_out o;
    const char *make = on_path("make");
    if (!make)
        cb_skip("make is not installed");
    /* The source tree: this file's folder's parent. */
    char file[PATH_MAX], here[PATH_MAX + 8];
    snprintf(file, sizeof file, "%s", __FILE__);
    snprintf(here, sizeof here, "%s/..", dirname(file));
    assert_non_null(realpath(here, repo));
    assert_non_null(realpath(cb_path(), bin));
    snprintf(target, sizeof target, "%s", bin);     /* the binary under test, as built */
    *strrchr(bin, '/') = '\0';
    assert_non_null(mkdtemp(tmp));
    snprintf(dest, sizeof dest, "%s/dest", tmp);
    snprintf(work, sizeof work, "%s/elsewhere", tmp);
    assert_int_equal(mkdir(work, 0755), 0);

    /* make install, of the binary under test as it is (-o: not rebuilt here). */
    char a_bin[PATH_MAX + 8], a_dest[PATH_MAX + 32];
    snprintf(a_bin, sizeof a_bin, "BIN=%s", bin);
    snprintf(a_dest, sizeof a_dest, "DESTDIR=%s", dest);
    char *inst[] = { (char *)make, "-C", repo, "--no-print-directory", "-o", target, a_bin,
                     "PREFIX=/usr/local", a_dest, "install", NULL };
    if (run(&o, inst) != 0)
        fail_msg("make install: exit %d: %s%s", o.status, o.out, o.err);
    cb_out_free(&o);
    snprintf(prefix_bin, sizeof prefix_bin, "%s/usr/local/bin/concbench", dest);
    snprintf(share, sizeof share, "%s/usr/local/share/concbench", dest);
    snprintf(man, sizeof man, "%s/usr/local/share/man/man1/concbench.1", dest);
    assert_true(exists(prefix_bin));
    char p[PATH_MAX + 128];
    snprintf(p, sizeof p, "%s/plots/models.gp", share);
    assert_true(exists(p));
    snprintf(p, sizeof p, "%s/plots/user.gp", share);
    assert_true(exists(p));
    snprintf(p, sizeof p, "%s/profiles/test", share);
    assert_true(exists(p));
    assert_true(exists(man));

    /* From another folder, with nothing pointing at the source tree. */
    assert_non_null(getcwd(cwd, sizeof cwd));
    assert_int_equal(chdir(work), 0);
    unsetenv("CONCBENCH_PLOTS");
    char *ver[] = { prefix_bin, "--version", NULL };
    assert_int_equal(run(&o, ver), 0);
    assert_non_null(strstr(o.out, "concbench "));
    const char *rv = strstr(o.out, "git revision ");
    assert_non_null(rv);
    char rev[64];
    snprintf(rev, sizeof rev, "%.*s", (int)strcspn(rv + 13, "-)"), rv + 13);
    cb_out_free(&o);
    char *list[] = { prefix_bin, "list", NULL };
    assert_int_equal(run(&o, list), 0);
    assert_non_null(strstr(o.out, "sleep"));
    cb_out_free(&o);
    char *one[] = { prefix_bin, "run", "-w", "sleep", "-m", "async", "-n", "4", "--sleep-ms",
                    "1", "--json", NULL };
    assert_int_equal(run(&o, one), 0);
    cb_out_free(&o);
    /* The installed profiles are found by name. */
    char *dry[] = { prefix_bin, "sweep", "--profile", "test", "--dry-run", NULL };
    if (run(&o, dry) != 0)
        fail_msg("sweep --profile test --dry-run: exit %d: %s", o.status, o.err);
    assert_non_null(strstr(o.err, "cells"));
    cb_out_free(&o);
    /* A tiny sweep of its own, then the report with its charts from the installed scripts. */
    snprintf(res, sizeof res, "%s/results", work);
    char *sw[] = { prefix_bin, "sweep", "-w", "sleep", "-m", "single,async", "--tasks", "1,4",
                   "--set", "sleep-ms=1", "--runs", "2", "--no-hyperfine", "--out", "results",
                   NULL };
    if (run(&o, sw) != 0)
        fail_msg("installed sweep: exit %d: %s", o.status, o.err);
    cb_out_free(&o);
    char *rep[] = { prefix_bin, "report", "results/latest", NULL };
    if (on_path("gnuplot")) {
        if (run(&o, rep) != 0)
            fail_msg("installed report: exit %d: %s", o.status, o.err);
        cb_out_free(&o);
        snprintf(p, sizeof p, "%s/latest/user-sleep-tasks.png", res);
        assert_true(exists(p));
        static char text[65536];
        snprintf(p, sizeof p, "%s/latest/metadata.json", res);
        FILE *f = fopen(p, "r");
        assert_non_null(f);
        size_t n = fread(text, 1, sizeof text - 1, f);
        text[n] = '\0';
        fclose(f);
        /* The revision built in (this folder is no git checkout). */
        if (strcmp(rev, "unknown") != 0) {
            char want[128];
            snprintf(want, sizeof want, "\"revision\":\"%s\"", rev);
            assert_non_null(strstr(text, want));
            assert_non_null(strstr(text, "\"source\":\"built in (make)\""));
        }
    }
    assert_int_equal(chdir(cwd), 0);

    /* The man page renders without a warning. */
    const char *groff = on_path("groff");
    if (groff) {
        char *g[] = { (char *)groff, "-man", "-ww", "-z", man, NULL };
        assert_int_equal(run(&o, g), 0);
        if (o.err[0])
            fail_msg("groff -man -ww -z: %s", o.err);
        cb_out_free(&o);
    }

    /* make uninstall: nothing of it left. */
    char *un[] = { (char *)make, "-C", repo, "--no-print-directory", "-o", target, a_bin,
                   "PREFIX=/usr/local", a_dest, "uninstall", NULL };
    if (run(&o, un) != 0)
        fail_msg("make uninstall: exit %d: %s%s", o.status, o.out, o.err);
    cb_out_free(&o);
    assert_false(exists(prefix_bin));
    assert_false(exists(share));
    assert_false(exists(man));
    cb_rm_rf(tmp);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_install),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
