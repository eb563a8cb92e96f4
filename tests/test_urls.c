/* test_urls.c — the --urls list reader (workloads/urls.c): trimming, comments, bounds, errors,
 * and every fuzzer regression input in tests/fuzz/urls_regress/ replayed. */
#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tests/helpers.h"
#include "workloads/urls.h"

struct tu_list {
    char urls[16][URLS_MAX_LEN + 1];
    int n, total;
    int fail_at;    /* return fail_err on this URL; -1 never */
    int fail_err;
};

static int tu_add(void *arg, const char *url, size_t len)
{
    struct tu_list *l = arg;
    assert_true(len >= 1 && len <= URLS_MAX_LEN);
    assert_null(memchr(url, '\0', len));
    assert_null(memchr(url, '\n', len));
    if (l->total == l->fail_at)
        return l->fail_err;
    if (l->n < 16) {
        memcpy(l->urls[l->n], url, len);
        l->urls[l->n][len] = '\0';
        l->n++;
    }
    l->total++;
    return 0;
}

static int tu_read(const char *buf, size_t len, struct tu_list *l, char *err, size_t errlen)
{
    static char empty[1];
    FILE *f = len ? fmemopen((void *)buf, len, "r") : fmemopen(empty, 1, "r");
    assert_non_null(f);
    if (!len)
        fgetc(f);
    err[0] = '\0';
    int r = urls_read(f, "list.txt", tu_add, l, err, errlen);
    fclose(f);
    return r;
}

static void test_trim_and_comments(void **state)
{
    (void)state;
    static struct tu_list l = { .fail_at = -1 };
    char err[256];
    const char text[] = "# header\n\n  http://a/1  \r\n\t#x\nhttp://a/2\r\n   \nhttp://a/3";
    assert_int_equal(tu_read(text, sizeof text - 1, &l, err, sizeof err), 3);
    assert_string_equal(l.urls[0], "http://a/1");
    assert_string_equal(l.urls[1], "http://a/2");
    assert_string_equal(l.urls[2], "http://a/3");

    static struct tu_list e = { .fail_at = -1 };
    assert_int_equal(tu_read("", 0, &e, err, sizeof err), 0);
    assert_int_equal(tu_read("# only\n\n", 8, &e, err, sizeof err), 0);
    assert_int_equal(e.total, 0);
}

/* A line of exactly URLS_MAX_LEN characters is read; one more is an error naming the line. */
static void test_line_bound(void **state)
{
    (void)state;
    static char buf[2 * URLS_MAX_LEN + 16];
    static struct tu_list l = { .fail_at = -1 };
    char err[256];
    size_t n = 0;
    n += (size_t)sprintf(buf, "http://ok\n");
    memset(buf + n, 'x', URLS_MAX_LEN);
    n += URLS_MAX_LEN;
    buf[n++] = '\n';
    assert_int_equal(tu_read(buf, n, &l, err, sizeof err), 2);
    assert_int_equal((int)strlen(l.urls[1]), URLS_MAX_LEN);

    memset(buf + n, 'y', URLS_MAX_LEN + 1);
    n += URLS_MAX_LEN + 1;
    static struct tu_list m = { .fail_at = -1 };
    assert_int_equal(tu_read(buf, n, &m, err, sizeof err), -EINVAL);
    assert_non_null(strstr(err, "list.txt:3:"));
    assert_non_null(strstr(err, "longer than"));
}

static void test_nul_and_callback_errors(void **state)
{
    (void)state;
    static struct tu_list l = { .fail_at = -1 };
    char err[256];
    const char nul[] = "http://a\nhttp://b\0c\n";
    assert_int_equal(tu_read(nul, sizeof nul - 1, &l, err, sizeof err), -EINVAL);
    assert_non_null(strstr(err, "list.txt:2:"));
    assert_non_null(strstr(err, "NUL"));

    const char two[] = "http://a\nhttp://b\nhttp://c\n";
    static struct tu_list big = { .fail_at = 1, .fail_err = -E2BIG };
    assert_int_equal(tu_read(two, sizeof two - 1, &big, err, sizeof err), -EINVAL);
    assert_non_null(strstr(err, "list.txt:2: too many URLs"));
    assert_int_equal(big.total, 1);
    static struct tu_list oom = { .fail_at = 0, .fail_err = -ENOMEM };
    assert_int_equal(tu_read(two, sizeof two - 1, &oom, err, sizeof err), -ENOMEM);
    assert_int_equal(oom.total, 0);
}

/* More than URLS_MAX_COUNT URLs is refused, whatever the callback says. */
static void test_count_bound(void **state)
{
    (void)state;
    size_t cap = (size_t)(URLS_MAX_COUNT + 2) * 4;
    char *buf = malloc(cap);
    assert_non_null(buf);
    size_t n = 0;
    for (int i = 0; i < URLS_MAX_COUNT + 1; i++) {
        memcpy(buf + n, "h/\n", 3);
        n += 3;
    }
    static struct tu_list l = { .fail_at = -1 };
    char err[256];
    assert_int_equal(tu_read(buf, n, &l, err, sizeof err), -EINVAL);
    assert_int_equal(l.total, URLS_MAX_COUNT);
    assert_non_null(strstr(err, "too many URLs"));
    free(buf);
}

static void regress_dir(char *out, size_t len)
{
    cb_fuzz_dir("urls_regress", out, len);
}

/* Every input the fuzzer crashed on (and every seed) reads without crashing: a count or a
 * message naming the list and a line. */
static void test_regress_replay(void **state)
{
    (void)state;
    char dir[4096];
    regress_dir(dir, sizeof dir);
    DIR *d = opendir(dir);
    if (!d)
        fail_msg("regression folder %s is missing", dir);
    struct dirent *e;
    int files = 0;
    while ((e = readdir(d))) {
        char path[8192], err[512];
        if (e->d_name[0] == '.')
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        FILE *f = fopen(path, "rb");
        assert_non_null(f);
        static struct tu_list l;
        memset(&l, 0, sizeof l);
        l.fail_at = -1;
        err[0] = '\0';
        int r = urls_read(f, "list.txt", tu_add, &l, err, sizeof err);
        fclose(f);
        if (r >= 0)
            assert_int_equal(r, l.total);
        else
            assert_memory_equal(err, "list.txt:", 9);
        files++;
    }
    closedir(d);
    if (files < 5)
        fail_msg("only %d regression inputs in %s; the seeds belong there too", files, dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_trim_and_comments),
        cmocka_unit_test(test_line_bound),
        cmocka_unit_test(test_nul_and_callback_errors),
        cmocka_unit_test(test_count_bound),
        cmocka_unit_test(test_regress_replay),
    };
    return cmocka_run_group_tests_name("urls", tests, NULL, NULL);
}
