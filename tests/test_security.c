/* test_security.c — no user input reaches a shell: the sources call neither system() nor popen(),
 * the chart scripts run no command, a results folder named with quotes and backquotes is drawn
 * without running anything, and thumbnails never land outside --out (symlinks planted in --out
 * or among the inputs). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "tests/helpers.h"

static char ts_root[4096];     /* the source tree: the parent of this file's folder */
static char ts_tmp[64];

static int setup(void **state)
{
    (void)state;
    snprintf(ts_root, sizeof ts_root, "%s", __FILE__);
    char *slash = strrchr(ts_root, '/');
    if (slash) {
        *slash = '\0';
        slash = strrchr(ts_root, '/');
    }
    if (slash)
        *slash = '\0';
    else
        snprintf(ts_root, sizeof ts_root, ".");     /* built as tests/test_security.c */
    snprintf(ts_tmp, sizeof ts_tmp, "/tmp/concbench-test-security-XXXXXX");
    return mkdtemp(ts_tmp) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    cb_rm_rf(ts_tmp);
    return 0;
}

static char *ts_slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 65536, n = 0, r;
    char *buf = malloc(cap + 1);
    assert_non_null(buf);
    while ((r = fread(buf + n, 1, cap - n, f)) > 0) {
        n += r;
        if (n == cap) {
            buf = realloc(buf, (cap *= 2) + 1);
            assert_non_null(buf);
        }
    }
    fclose(f);
    buf[n] = '\0';
    if (len)
        *len = n;
    return buf;
}

static void ts_spit(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

/* Does `text` call fn( — fn not part of a longer identifier, outside // and block comments? */
static int ts_calls(const char *text, const char *fn, int *line)
{
    size_t fl = strlen(fn);
    int ln = 1;
    bool in_block = false, in_line = false, in_str = false;
    for (const char *p = text; *p; p++) {
        if (*p == '\n') {
            ln++;
            in_line = false;
            continue;
        }
        if (in_line)
            continue;
        if (in_block) {
            if (p[0] == '*' && p[1] == '/')
                in_block = false, p++;
            continue;
        }
        if (in_str) {
            if (*p == '\\' && p[1])
                p++;
            else if (*p == '"')
                in_str = false;
            continue;
        }
        if (p[0] == '/' && p[1] == '/') {
            in_line = true;
            continue;
        }
        if (p[0] == '/' && p[1] == '*') {
            in_block = true, p++;
            continue;
        }
        if (*p == '"') {
            in_str = true;
            continue;
        }
        if (strncmp(p, fn, fl) == 0 &&
            (p == text || !(p[-1] == '_' || (p[-1] >= 'a' && p[-1] <= 'z') ||
                            (p[-1] >= 'A' && p[-1] <= 'Z') || (p[-1] >= '0' && p[-1] <= '9')))) {
            const char *q = p + fl;
            while (*q == ' ' || *q == '\t')
                q++;
            if (*q == '(') {
                *line = ln;
                return 1;
            }
        }
    }
    return 0;
}

static int ts_files, ts_hits;
static char ts_report[4096];

static int ts_scan(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)ftw;
    if (flag != FTW_F || !S_ISREG(st->st_mode))
        return 0;
    const char *dot = strrchr(path, '.');
    if (!dot || (strcmp(dot, ".c") != 0 && strcmp(dot, ".h") != 0))
        return 0;
    char *text = ts_slurp(path, NULL);
    assert_non_null(text);
    static const char *const banned[] = { "system", "popen" };
    for (size_t k = 0; k < 2; k++) {
        int line;
        if (ts_calls(text, banned[k], &line)) {
            size_t used = strlen(ts_report);
            snprintf(ts_report + used, sizeof ts_report - used, "  %s:%d calls %s()\n", path,
                     line, banned[k]);
            ts_hits++;
        }
    }
    ts_files++;
    free(text);
    return 0;
}

/* The scanner itself finds a call, and not a name in a comment, a string or a longer name. */
static void test_scanner(void **state)
{
    (void)state;
    int line = 0;
    assert_true(ts_calls("int f(void)\n{\n    return system (cmd);\n}\n", "system", &line));
    assert_int_equal(line, 3);
    assert_true(ts_calls("FILE *p = popen(\"ls\", \"r\");", "popen", &line));
    assert_false(ts_calls("/* system(x) */ // popen(y)\n", "system", &line));
    assert_false(ts_calls("puts(\"system(\");", "system", &line));
    assert_false(ts_calls("file_system(x); systemd(y);", "system", &line));
}

/* No source file of the program or the gate calls system() or popen(): everything it starts
 * (children, gnuplot, hyperfine, git, make) is started with an argument vector, no shell. */
static void test_no_shell_in_sources(void **state)
{
    (void)state;
    static const char *const dirs[] = { "runtime", "workloads", "models", "harness", "ci" };
    ts_files = ts_hits = 0;
    ts_report[0] = '\0';
    for (size_t k = 0; k < sizeof dirs / sizeof dirs[0]; k++) {
        char path[4200];
        snprintf(path, sizeof path, "%s/%s", ts_root, dirs[k]);
        if (nftw(path, ts_scan, 16, FTW_PHYS) != 0)
            fail_msg("cannot walk %s: %s", path, strerror(errno));
    }
    print_message("scanned %d source files\n", ts_files);
    assert_true(ts_files >= 20);
    if (ts_hits)
        fail_msg("system()/popen() in the sources:\n%s", ts_report);
}

/* The chart scripts neither call system() nor use backquotes (gnuplot runs those in a shell). */
static void test_no_shell_in_chart_scripts(void **state)
{
    (void)state;
    char path[8400];
    snprintf(path, sizeof path, "%s/plots", ts_root);
    DIR *d = opendir(path);
    struct dirent *e;
    int scripts = 0;
    assert_non_null(d);
    while ((e = readdir(d))) {
        const char *dot = strrchr(e->d_name, '.');
        if (!dot || strcmp(dot, ".gp") != 0)
            continue;
        snprintf(path, sizeof path, "%s/plots/%s", ts_root, e->d_name);
        char *text = ts_slurp(path, NULL);
        assert_non_null(text);
        int ln = 1;
        for (const char *p = text; *p; p++) {
            if (*p == '\n')
                ln++;
            if (*p == '#') {                    /* a comment (no '#' inside strings here) */
                while (p[1] && p[1] != '\n')
                    p++;
                continue;
            }
            /* "system(": the call (prose like "user + system (s)" is not one). */
            if (*p == '`' || strncmp(p, "system(", 7) == 0)
                fail_msg("%s:%d: a shell command in a chart script", path, ln);
        }
        free(text);
        scripts++;
    }
    closedir(d);
    assert_true(scripts >= 5);
}

/* A results folder whose name holds quotes and a backquoted command: the report draws its
 * charts into it and the command never runs. */
static void test_report_folder_name_is_not_code(void **state)
{
    (void)state;
    char dir[4200], src[4200], dst[8400];
    /* A name cannot hold '/': the command would touch the marker in gnuplot's folder (ours). */
    const char *marker = "concbench-security-marker";
    unlink(marker);
    snprintf(dir, sizeof dir, "%s/r\"'`touch %s`$(touch %s)'\"", ts_tmp, marker, marker);
    assert_int_equal(mkdir(dir, 0755), 0);
    static const char *const files[] = { "summary.csv", "runs.csv", "runs.jsonl",
                                         "timeline.csv", "metadata.json" };
    for (size_t k = 0; k < sizeof files / sizeof files[0]; k++) {
        size_t len;
        snprintf(src, sizeof src, "%s/tests/fixtures/bench/%s", ts_root, files[k]);
        char *text = ts_slurp(src, &len);
        if (!text)
            fail_msg("fixture %s missing", src);
        snprintf(dst, sizeof dst, "%s/%s", dir, files[k]);
        ts_spit(dst, text, len);
        free(text);
    }
    struct cb_out o;
    cb_run(&o, "report", dir, NULL);
    if (o.status != 0)
        fail_msg("report: exit %d: %s", o.status, o.err);
    cb_out_free(&o);
    if (access(marker, F_OK) == 0) {
        unlink(marker);
        fail_msg("a command in the folder name ran");
    }
    snprintf(dst, sizeof dst, "%s/io-vs-cpu.png", dir);
    struct stat st;
    if (stat(dst, &st) != 0 || st.st_size < 1000)
        fail_msg("the headline chart was not drawn into %s", dir);
}

/* Thumbnails are written through a temporary file renamed into place: a symlink planted in
 * --out under an output's name is replaced, never followed, and an input that is a symlink to
 * a file elsewhere still gives an output inside --out. */
static void test_thumbnail_symlinks_do_not_escape(void **state)
{
    (void)state;
    char images[256], out[256], victim_dir[256], victim[300], path[400], target[400];
    struct cb_out o;
    snprintf(images, sizeof images, "%s/images", ts_tmp);
    snprintf(out, sizeof out, "%s/out", ts_tmp);
    snprintf(victim_dir, sizeof victim_dir, "%s/victim", ts_tmp);
    snprintf(victim, sizeof victim, "%s/victim/keep.png", ts_tmp);
    assert_int_equal(mkdir(out, 0755), 0);
    assert_int_equal(mkdir(victim_dir, 0755), 0);
    ts_spit(victim, "precious", 8);
    if (cb_run(&o, "corpus", images, "-n", "2", "--size", "40x30", NULL) != 0)
        fail_msg("corpus: %s", o.err);
    cb_out_free(&o);
    /* An input that is a link to a file in another folder. */
    snprintf(path, sizeof path, "%s/img-0001.png", images);
    snprintf(target, sizeof target, "%s/far.png", victim_dir);
    assert_int_equal(rename(path, target), 0);
    assert_int_equal(symlink("../victim/far.png", path), 0);
    /* Planted in --out: each output's name as a link, one to a file, one to a folder. */
    snprintf(path, sizeof path, "%s/img-0000.png", out);
    assert_int_equal(symlink(victim, path), 0);
    snprintf(path, sizeof path, "%s/img-0001.png", out);
    assert_int_equal(symlink(victim_dir, path), 0);

    if (cb_run(&o, "run", "-w", "thumbnail", "-m", "single", "-n", "2", "--images", images,
               "--out", out, NULL) != 0)
        fail_msg("thumbnail: exit %d: %s", o.status, o.err);
    cb_out_free(&o);
    size_t len;
    char *kept = ts_slurp(victim, &len);
    assert_non_null(kept);
    assert_int_equal(len, 8);
    assert_memory_equal(kept, "precious", 8);
    free(kept);
    /* The victim folder holds what it held; both outputs are plain files inside --out. */
    DIR *d = opendir(victim_dir);
    struct dirent *e;
    int n = 0;
    while ((e = readdir(d)))
        n += e->d_name[0] != '.';
    closedir(d);
    assert_int_equal(n, 2);     /* keep.png, far.png */
    for (int k = 0; k < 2; k++) {
        struct stat st;
        snprintf(path, sizeof path, "%s/img-000%d.png", out, k);
        assert_int_equal(lstat(path, &st), 0);
        assert_true(S_ISREG(st.st_mode));
        assert_true(st.st_size > 50);
    }
}

/* A PNG input larger than IMAGE_FILE_MAX (a sparse file: no disk used) fails its task with a
 * clear error instead of being read whole into memory. */
static void test_thumbnail_input_size_bounded(void **state)
{
    (void)state;
    char images[256], path[300];
    struct cb_out o;
    snprintf(images, sizeof images, "%s/big-images", ts_tmp);
    if (cb_run(&o, "corpus", images, "-n", "1", "--size", "40x30", NULL) != 0)
        fail_msg("corpus: %s", o.err);
    cb_out_free(&o);
    snprintf(path, sizeof path, "%s/zz-huge.png", images);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    assert_true(fd >= 0);
    assert_int_equal(ftruncate(fd, (1l << 30) + 1), 0);
    close(fd);
    cb_run(&o, "run", "-w", "thumbnail", "-m", "single", "-n", "2", "--images", images, NULL);
    if (o.status != 1 || !strstr(o.out, "File too large"))
        fail_msg("a 1 GiB + 1 input: exit %d, out %s, err %s", o.status, o.out, o.err);
    cb_out_free(&o);
    unlink(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scanner),
        cmocka_unit_test(test_no_shell_in_sources),
        cmocka_unit_test(test_no_shell_in_chart_scripts),
        cmocka_unit_test(test_report_folder_name_is_not_code),
        cmocka_unit_test(test_thumbnail_symlinks_do_not_escape),
        cmocka_unit_test(test_thumbnail_input_size_bounded),
    };
    return cmocka_run_group_tests_name("security", tests, setup, teardown);
}
