/* test_json.c — what the tool writes is valid: every JSON string is UTF-8 (invalid bytes become
 * U+FFFD, and the parser refuses raw invalid UTF-8), runtime/utf8's repair, text output with no
 * control bytes from names or URLs, and a record that says when the processes model capped its
 * concurrency. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runtime/json.h"
#include "runtime/utf8.h"
#include "tests/helpers.h"

static char tmp_root[] = "/tmp/concbench-test-json-XXXXXX";

static int setup_root(void **state)
{
    (void)state;
    return mkdtemp(tmp_root) ? 0 : -1;
}

static int teardown_root(void **state)
{
    char cmd[200];
    (void)state;
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp_root);
    return system(cmd) == 0 ? 0 : -1;
}

/* Write a JSON string with the writer into memory; returns it (free it). */
static char *write_str(const char *s)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    struct json_out j;
    json_init(&j, f);
    json_object_begin(&j);
    json_key_str(&j, s, s);         /* as a key and as a value */
    json_object_end(&j);
    fclose(f);
    return buf;
}

static void test_utf8_repair(void **state)
{
    (void)state;
    static const struct { const char *in, *out; } cases[] = {
        { "plain", "plain" },
        { "caf\xc3\xa9 \xf0\x9f\x98\x80", "caf\xc3\xa9 \xf0\x9f\x98\x80" },    /* valid kept */
        { "caf\xe9", "caf\xef\xbf\xbd" },                       /* Latin-1 byte */
        { "\xc0\x80", "\xef\xbf\xbd\xef\xbf\xbd" },             /* overlong NUL */
        { "\xed\xa0\x80", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" },   /* a surrogate */
        { "\xf5\x80\x80\x80", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" },
        { "a\xe2\x82", "a\xef\xbf\xbd\xef\xbf\xbd" },           /* cut short */
        { "\x80x", "\xef\xbf\xbdx" },                           /* stray continuation */
    };
    char out[64];
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        utf8_sanitize(cases[k].in, out, sizeof out, 0);
        if (strcmp(out, cases[k].out) != 0)
            fail_msg("case %zu: got %s", k, out);
        assert_true(utf8_is_clean(out, 0));
        assert_int_equal(utf8_is_clean(cases[k].in, 0), strcmp(cases[k].in, cases[k].out) == 0);
    }
    /* For a terminal: ESC, CR, DEL and the C1 CSI become '?'. */
    utf8_sanitize("\x1b[2J\r\x7f\xc2\x9b" "1m ok \xc3\xa9", out, sizeof out, UTF8_NO_CONTROLS);
    assert_string_equal(out, "?[2J???1m ok \xc3\xa9");
    assert_false(utf8_is_clean("a\x1b", UTF8_NO_CONTROLS));
    assert_true(utf8_is_clean("a\x1b", 0));
    /* Cut at a character boundary, never inside one. */
    utf8_sanitize("ab\xc3\xa9", out, 4, 0);
    assert_string_equal(out, "ab");
    utf8_sanitize("\xff", out, 3, 0);
    assert_string_equal(out, "");
}

static void test_writer_and_parser(void **state)
{
    char err[128] = "";
    (void)state;
    char *text = write_str("caf\xe9 \x01 \xc3\xa9 \xed\xa0\x80");
    assert_true(utf8_is_clean(text, 0));
    struct json_value *v = json_parse(text, strlen(text), err, sizeof err);
    if (!v)
        fail_msg("%s: %s", text, err);
    assert_string_equal(v->keys[0], "caf\xef\xbf\xbd \x01 \xc3\xa9 \xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
    assert_string_equal(v->items[0].string, v->keys[0]);
    json_free(v);
    free(text);
    /* Raw invalid UTF-8 is not JSON (RFC 8259 section 8.1). */
    static const char *const bad[] = { "\"caf\xe9\"", "[\"\xc0\x80\"]", "{\"\xed\xa0\x80\":1}",
                                       "\"\xe2\x82\"" };
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        err[0] = '\0';
        v = json_parse(bad[k], strlen(bad[k]), err, sizeof err);
        assert_null(v);
        assert_non_null(strstr(err, "UTF-8"));
    }
    v = json_parse("\"\xf0\x9f\x98\x80\"", 6, err, sizeof err);
    assert_non_null(v);
    assert_string_equal(v->string, "\xf0\x9f\x98\x80");
    json_free(v);
}

static void spit(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fputs(text, f);
    assert_int_equal(fclose(f), 0);
}

/* No byte of text output is a control character (but the line ends) or invalid UTF-8. */
static void assert_terminal_safe(const char *s)
{
    for (const char *line = s; *line;) {
        size_t n = strcspn(line, "\n");
        char *copy = strndup(line, n);
        if (!utf8_is_clean(copy, UTF8_NO_CONTROLS))
            fail_msg("unsafe text line: %s", copy);
        free(copy);
        line += n + (line[n] == '\n');
    }
}

/* File names and URLs that are not UTF-8, or hold terminal escapes, through the binary: the JSON
 * record parses (strictly) and shows U+FFFD; the text output has no control byte. */
static void test_hostile_names_through_the_binary(void **state)
{
    char dir[512], path[700];
    struct cb_out o;
    (void)state;
    snprintf(dir, sizeof dir, "%s/names", tmp_root);
    assert_int_equal(mkdir(dir, 0755), 0);
    snprintf(path, sizeof path, "%s/caf\xe9.png", dir);
    spit(path, "junk");
    snprintf(path, sizeof path, "%s/\x1b[2J\x1b]0;owned\x07.png", dir);
    spit(path, "junk");
    snprintf(path, sizeof path, "%s/\xc2\x9b" "31m.png", dir);     /* C1 CSI, valid UTF-8 */
    spit(path, "junk");
    assert_int_equal(cb_run(&o, "run", "-w", "thumbnail", "-m", "single", "-n", "3", "--images",
                            dir, "--json", NULL), 1);
    struct json_value *v = cb_json(&o);         /* the parser refuses invalid UTF-8 */
    const struct json_value *errs = json_get(v, "task_errors");
    assert_int_equal(errs->n, 3);
    bool replaced = false;
    for (size_t k = 0; k < errs->n; k++)
        replaced |= strstr(errs->items[k].string, "caf\xef\xbf\xbd.png") != NULL;
    assert_true(replaced);
    json_free(v);
    cb_out_free(&o);
    assert_int_equal(cb_run(&o, "run", "-w", "thumbnail", "-m", "single", "-n", "3", "--images",
                            dir, NULL), 1);
    assert_terminal_safe(o.out);
    assert_non_null(strstr(o.out, "caf\xef\xbf\xbd.png"));
    cb_out_free(&o);
    /* A URL with an escape sequence and a Latin-1 byte, to a port nothing listens on. */
    const char *url = "http://127.0.0.1:9/\x1b[31m\xe9";
    assert_int_equal(cb_run(&o, "run", "-w", "http", "-m", "single", "-n", "1", "--url", url,
                            "--timeout-ms", "2000", "--json", NULL), 1);
    v = cb_json(&o);
    const struct json_value *argv = json_get(v, "argv");
    bool found = false;
    for (size_t k = 0; k < argv->n; k++)
        found |= strcmp(argv->items[k].string, "http://127.0.0.1:9/\x1b[31m\xef\xbf\xbd") == 0;
    assert_true(found);
    json_free(v);
    cb_out_free(&o);
    assert_int_equal(cb_run(&o, "run", "-w", "http", "-m", "single", "-n", "1", "--url", url,
                            "--timeout-ms", "2000", NULL), 1);
    assert_terminal_safe(o.out);
    cb_out_free(&o);
}

/* With few descriptors the processes model runs fewer children at once: the record says how
 * many it reached and why, beside the concurrency asked for. */
static void test_processes_cap_recorded(void **state)
{
    struct rlimit old, low = { 100, 100 };
    struct cb_out o;
    (void)state;
    assert_int_equal(getrlimit(RLIMIT_NOFILE, &old), 0);
    assert_int_equal(setrlimit(RLIMIT_NOFILE, &low), 0);
    cb_run(&o, "run", "-w", "probe", "-m", "processes", "-n", "80", "--sleep-ms", "5", "--json",
           NULL);
    struct cb_out t;
    cb_run(&t, "run", "-w", "probe", "-m", "processes", "-n", "80", "--sleep-ms", "5", NULL);
    setrlimit(RLIMIT_NOFILE, &old);
    assert_int_equal(o.status, 0);
    struct json_value *v = cb_json(&o);
    double asked = jnum(v, "concurrency"), reached = jnum(v, "concurrency_reached");
    print_message("  RLIMIT_NOFILE 100: asked %.0f, reached %.0f (%s)\n", asked, reached,
                  jstr(v, "concurrency_cap"));
    assert_int_equal((int)asked, 80);
    assert_true(reached >= 1 && reached < 80);
    assert_true(reached >= jnum(v, "probe_max_in_flight"));
    assert_non_null(strstr(jstr(v, "concurrency_cap"), "RLIMIT_NOFILE"));
    json_free(v);
    cb_out_free(&o);
    assert_int_equal(t.status, 0);
    assert_non_null(strstr(t.out, "capped from 80"));
    assert_non_null(strstr(t.out, "RLIMIT_NOFILE"));
    cb_out_free(&t);
    /* Uncapped: reached is what was asked, and no reason. */
    v = NULL;
    assert_int_equal(cb_run(&o, "run", "-w", "probe", "-m", "processes", "-n", "8", "--sleep-ms",
                            "5", "--json", NULL), 0);
    v = cb_json(&o);
    assert_int_equal((int)jnum(v, "concurrency_reached"), 8);
    assert_int_equal(json_get(v, "concurrency_cap")->type, JSON_NULL);
    json_free(v);
    cb_out_free(&o);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_utf8_repair),
        cmocka_unit_test(test_writer_and_parser),
        cmocka_unit_test(test_hostile_names_through_the_binary),
        cmocka_unit_test(test_processes_cap_recorded),
    };
    return cmocka_run_group_tests(tests, setup_root, teardown_root);
}
