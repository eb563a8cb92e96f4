/* test_thumbnail.c — the thumbnail workload through the binary: bad input in every model,
 * byte-identical outputs across models, the corpus command, output paths, the cache. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/helpers.h"

static char tmp_root[] = "/tmp/concbench-test-thumb-XXXXXX";

static void rm_rf(const char *path)
{
    cb_rm_rf(path);
}

static int setup_root(void **state)
{
    (void)state;
    if (!mkdtemp(tmp_root))
        return -1;
    return 0;
}

static int teardown_root(void **state)
{
    (void)state;
    rm_rf(tmp_root);
    return 0;
}

/* A fresh folder under the test root. */
static void fresh(char *out, size_t len, const char *name)
{
    snprintf(out, len, "%s/%s", tmp_root, name);
    rm_rf(out);
}

static uint8_t *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        fail_msg("cannot open %s: %s", path, strerror(errno));
    size_t cap = 1 << 16, n = 0;
    uint8_t *p = malloc(cap);
    size_t got;
    while ((got = fread(p + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap)
            p = realloc(p, cap *= 2);
    }
    fclose(f);
    *len = n;
    return p;
}

static void spit(const char *path, const void *p, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        fail_msg("cannot create %s: %s", path, strerror(errno));
    assert_int_equal(fwrite(p, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

static void make_corpus(const char *dir, const char *n, const char *size)
{
    struct cb_out o;
    if (cb_run(&o, "corpus", dir, "-n", n, "--size", size, NULL) != 0)
        fail_msg("corpus %s failed: %s", dir, o.err);
    cb_out_free(&o);
}

static uint32_t crc_of(const uint8_t *p, size_t n)
{
    uint32_t c = 0xffffffffu;
    for (size_t k = 0; k < n; k++) {
        c ^= p[k];
        for (int b = 0; b < 8; b++)
            c = c & 1 ? (c >> 1) ^ 0xedb88320u : c >> 1;
    }
    return c ^ 0xffffffffu;
}

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24), p[1] = (uint8_t)(v >> 16), p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/* The model names `concbench list` prints. */
static unsigned list_models(char names[][32], unsigned max)
{
    return cb_list("models", names, max);
}

static unsigned count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    unsigned n = 0;
    if (!d)
        return 0;
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
            n++;
    closedir(d);
    return n;
}

/* Nine bad inputs beside two good images: each bad one is a per-task error naming
 * its file, the good ones still make thumbnails, the run exits 1 — in every model. */
static void test_bad_inputs_every_model(void **state)
{
    char dir[512], out[512], path[1024], models[16][32];
    size_t len;
    (void)state;
    fresh(dir, sizeof dir, "bad");
    make_corpus(dir, "2", "80x60");               /* img-0000.png, img-0001.png */
    snprintf(path, sizeof path, "%s/img-0000.png", dir);
    uint8_t *good = slurp(path, &len);
    uint8_t *bad = malloc(len);

    snprintf(path, sizeof path, "%s/a-empty.png", dir);
    spit(path, "", 0);
    snprintf(path, sizeof path, "%s/b-notpng.png", dir);
    spit(path, "hello, I am text\n", 17);
    snprintf(path, sizeof path, "%s/c-truncated.png", dir);
    spit(path, good, len / 2);
    memcpy(bad, good, len);
    bad[29] ^= 1;                                   /* the IHDR CRC */
    snprintf(path, sizeof path, "%s/d-badcrc.png", dir);
    spit(path, bad, len);
    /* Find IDAT, break its zlib header, fix its CRC. */
    size_t off = 8;
    while (memcmp(good + off + 4, "IDAT", 4) != 0)
        off += 12 + ((uint32_t)good[off] << 24 | good[off + 1] << 16 | good[off + 2] << 8 |
                     good[off + 3]);
    uint32_t n = (uint32_t)good[off] << 24 | good[off + 1] << 16 | good[off + 2] << 8 |
                 good[off + 3];
    memcpy(bad, good, len);
    bad[off + 8] ^= 0xff;
    put32(bad + off + 8 + n, crc_of(bad + off + 4, n + 4));
    snprintf(path, sizeof path, "%s/e-badzlib.png", dir);
    spit(path, bad, len);
    /* A header of 30000 x 20000 pixels (over the default limit of 10^8). */
    memcpy(bad, good, len);
    put32(bad + 16, 30000);
    put32(bad + 20, 20000);
    put32(bad + 29, crc_of(bad + 12, 17));
    snprintf(path, sizeof path, "%s/f-huge.png", dir);
    spit(path, bad, len);
    /* Unreadable (we may be root, so permissions prove nothing): a folder and a dangling
     * symbolic link with PNG names. */
    snprintf(path, sizeof path, "%s/g-folder.png", dir);
    assert_int_equal(mkdir(path, 0755), 0);
    snprintf(path, sizeof path, "%s/h-dangling.png", dir);
    assert_int_equal(symlink("/nonexistent/concbench/nothing.png", path), 0);
    snprintf(path, sizeof path, "%s/i-fifo.png", dir);     /* must not hang in open() */
    assert_int_equal(mkfifo(path, 0644), 0);
    free(good);
    free(bad);

    static const char *const expect[] = {
        "a-empty.png", "b-notpng.png", "c-truncated.png", "d-badcrc.png", "e-badzlib.png",
        "f-huge.png", "g-folder.png", "h-dangling.png", "i-fifo.png",
    };
    unsigned nm = list_models(models, 16);
    for (unsigned m = 0; m < nm; m++) {
        struct cb_out o;
        fresh(out, sizeof out, "bad-out");
        cb_run(&o, "run", "-w", "thumbnail", "-m", models[m], "-n", "11", "-j", "2",
               "--images", dir, "--out", out, "--json", NULL);
        if (o.status != 1)
            fail_msg("%s: exit %d, expected 1: %s", models[m], o.status, o.err);
        struct json_value *v = cb_json(&o);
        const struct json_value *kinds = json_get(v, "error_kinds");
        assert_int_equal((int)jnum(v, "errors"), 9);
        assert_int_equal((int)jnum(kinds, "bad PNG"), 5);
        assert_int_equal((int)jnum(kinds, "too many pixels"), 1);
        assert_int_equal((int)jnum(kinds, "unreadable"), 3);
        assert_int_equal((int)jnum(v, "thumbnails"), 2);
        assert_false(jbool(v, "verified"));
        const struct json_value *st = json_get(v, "task_status");
        const struct json_value *errs = json_get(v, "task_errors");
        for (unsigned i = 0; i < 9; i++) {
            char key[8];
            snprintf(key, sizeof key, "%u", i);
            assert_string_equal(st->items[i].string, "failed");
            const char *msg = jstr(errs, key);
            if (!strstr(msg, expect[i]))
                fail_msg("%s: task %u's message does not name %s: %s", models[m], i,
                         expect[i], msg);
        }
        assert_string_equal(st->items[9].string, "ok");
        assert_string_equal(st->items[10].string, "ok");
        assert_non_null(strstr(jstr(errs, "8"), "not a regular file"));
        assert_non_null(strstr(jstr(errs, "1"), "Not a PNG"));
        assert_non_null(strstr(jstr(errs, "2"), "truncated"));
        assert_non_null(strstr(jstr(errs, "3"), "CRC"));
        assert_non_null(strstr(jstr(errs, "5"), "600000000 pixels"));
        json_free(v);
        cb_out_free(&o);
        /* The good ones are there; nothing else is. */
        assert_int_equal(count_entries(out), 2);
        snprintf(path, sizeof path, "%s/img-0000.png", out);
        assert_int_equal(access(path, R_OK), 0);
    }
}

/* Every model makes the same bytes for the same task, and the files are what they claim. */
static void test_identical_across_models(void **state)
{
    char dir[512], out[512], models[16][32], first[16][20] = { { 0 } };
    (void)state;
    fresh(dir, sizeof dir, "same");
    make_corpus(dir, "4", "320x240");
    unsigned nm = list_models(models, 16);
    for (unsigned m = 0; m < nm; m++) {
        struct cb_out o;
        fresh(out, sizeof out, "same-out");
        if (cb_run(&o, "run", "-w", "thumbnail", "-m", models[m], "-n", "8", "-j", "2",
                   "--images", dir, "--out", out, "--json", NULL) != 0)
            fail_msg("%s: exit %d: %s %s", models[m], o.status, o.err, o.out);
        struct json_value *v = cb_json(&o);
        assert_true(jbool(v, "verified"));
        const struct json_value *sums = json_get(v, "output_fnv1a");
        assert_non_null(sums);
        assert_int_equal(sums->n, 8);
        for (unsigned i = 0; i < 8; i++) {
            assert_int_equal(sums->items[i].type, JSON_STRING);
            if (m == 0)
                snprintf(first[i], sizeof first[i], "%s", sums->items[i].string);
            else if (strcmp(first[i], sums->items[i].string) != 0)
                fail_msg("task %u: %s made %s, %s made %s", i, models[0], first[i], models[m],
                         sums->items[i].string);
        }
        /* Each image used twice: <base>-<task>.png, and task i and i+4 are the same image. */
        assert_string_equal(sums->items[0].string, sums->items[4].string);
        assert_true(strcmp(sums->items[0].string, sums->items[1].string) != 0);
        const struct json_value *stages = json_get(v, "stage_ms");
        assert_true(jnum(stages, "decode") > 0);
        assert_true(jnum(stages, "blur") > 0);
        assert_true(jnum(stages, "shrink") > 0);
        assert_true(jnum(stages, "encode") > 0);
        json_free(v);
        cb_out_free(&o);
        assert_int_equal(count_entries(out), 8);
        char path[1024];
        snprintf(path, sizeof path, "%s/img-0003-7.png", out);
        assert_int_equal(access(path, R_OK), 0);
    }
}

static void test_corpus_command(void **state)
{
    char a[512], b[512], c[512], pa[1024], pb[1024];
    struct cb_out o;
    (void)state;
    fresh(a, sizeof a, "corpus-a");
    fresh(b, sizeof b, "corpus-b/deeper");
    fresh(c, sizeof c, "corpus-c");
    make_corpus(a, "3", "64x40");
    make_corpus(b, "3", "64x40");
    assert_int_equal(cb_run(&o, "corpus", c, "-n", "3", "--size", "64x40", "--seed", "2", NULL),
                     0);
    cb_out_free(&o);
    for (int k = 0; k < 3; k++) {
        size_t la, lb, lc;
        snprintf(pa, sizeof pa, "%s/img-%04d.png", a, k);
        snprintf(pb, sizeof pb, "%s/img-%04d.png", b, k);
        uint8_t *x = slurp(pa, &la), *y = slurp(pb, &lb);
        assert_int_equal(la, lb);
        assert_memory_equal(x, y, la);
        snprintf(pb, sizeof pb, "%s/img-%04d.png", c, k);
        uint8_t *z = slurp(pb, &lc);
        assert_true(la != lc || memcmp(x, z, la) != 0);     /* another seed, other bytes */
        free(x), free(y), free(z);
    }
    assert_int_equal(count_entries(a), 3);
    /* Writing over its own images is fine; over anything else, refused, nothing touched. */
    make_corpus(a, "3", "64x40");
    snprintf(pa, sizeof pa, "%s/img-0001.png", a);
    spit(pa, "precious", 8);
    assert_int_equal(cb_run(&o, "corpus", a, "-n", "3", "--size", "64x40", NULL), 2);
    assert_non_null(strstr(o.err, "refusing to overwrite"));
    cb_out_free(&o);
    size_t l;
    uint8_t *p = slurp(pa, &l);
    assert_int_equal(l, 8);
    assert_memory_equal(p, "precious", 8);
    free(p);
    assert_int_equal(cb_run(&o, "corpus", a, "--size", "64", NULL), 2);
    cb_out_free(&o);
    assert_int_equal(cb_run(&o, "corpus", NULL), 2);
    cb_out_free(&o);
}

/* Input names with dots, spaces, newlines and dashes: every output lands inside --out under
 * a plain name, and nothing lands beside it. */
static void test_paths_stay_inside(void **state)
{
    char dir[512], parent[512], out[1024], src[1024], dst[1024];
    static const char *const names[] = { "..png", "...png", "a b.png", "a_b.png", "new\nline.png",
                                         "-rf.png", ".hidden.png", "\x01\x7f.png" };
    const unsigned nn = sizeof names / sizeof names[0];
    (void)state;
    fresh(dir, sizeof dir, "names");
    make_corpus(dir, "1", "40x30");
    snprintf(src, sizeof src, "%s/img-0000.png", dir);
    size_t len;
    uint8_t *png = slurp(src, &len);
    assert_int_equal(unlink(src), 0);
    for (unsigned k = 0; k < nn; k++) {
        snprintf(dst, sizeof dst, "%s/%s", dir, names[k]);
        spit(dst, png, len);
    }
    free(png);
    for (int pass = 0; pass < 2; pass++) {
        struct cb_out o;
        char tasks[8];
        unsigned n = pass == 0 ? nn : 2 * nn;
        snprintf(tasks, sizeof tasks, "%u", n);
        fresh(parent, sizeof parent, "names-parent");
        assert_int_equal(mkdir(parent, 0755), 0);
        snprintf(out, sizeof out, "%s/out", parent);
        if (cb_run(&o, "run", "-w", "thumbnail", "-m", "single", "-n", tasks, "--images", dir,
                   "--out", out, NULL) != 0)
            fail_msg("exit %d: %s %s", o.status, o.err, o.out);
        cb_out_free(&o);
        assert_int_equal(count_entries(parent), 1);
        assert_int_equal(count_entries(out), n);    /* no collision, no temporary left */
        DIR *d = opendir(out);
        struct dirent *e;
        while ((e = readdir(d))) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                continue;
            assert_true(e->d_name[0] != '.');
            for (const char *c = e->d_name; *c; c++)
                if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._+-",
                            *c))
                    fail_msg("output name '%s' has a byte %02x", e->d_name, (unsigned char)*c);
        }
        closedir(d);
    }
}

static void test_usage_errors(void **state)
{
    char dir[1024], empty[512];
    struct cb_out o;
    (void)state;
    snprintf(dir, sizeof dir, "%s/does-not-exist", tmp_root);
    assert_int_equal(cb_run(&o, "run", "-w", "thumbnail", "-m", "single", "--images", dir, NULL),
                     2);
    assert_non_null(strstr(o.err, "does-not-exist"));
    assert_string_equal(o.out, "");
    cb_out_free(&o);
    fresh(empty, sizeof empty, "no-png");
    assert_int_equal(mkdir(empty, 0755), 0);
    snprintf(dir, sizeof dir, "%s/readme.txt", empty);
    spit(dir, "x", 1);
    assert_int_equal(cb_run(&o, "run", "-w", "thumbnail", "-m", "single", "--images", empty,
                            NULL), 2);
    assert_non_null(strstr(o.err, "no *.png"));
    cb_out_free(&o);
    assert_int_equal(cb_run(&o, "run", "-w", "thumbnail", "-m", "single", "--corpus-size",
                            "12by3", NULL), 2);
    cb_out_free(&o);
    assert_int_equal(cb_run(&o, "run", "-w", "thumbnail", "-m", "single", "--thumb-size", "0",
                            NULL), 2);
    cb_out_free(&o);
}

/* Without --images the corpus is made once in the cache folder and reused; without --out
 * the thumbnails go to a temporary folder that is gone afterwards. */
static void test_default_corpus_and_out(void **state)
{
    char cache[512], tmpdir[512], corpus[1024], path[1200];
    struct cb_out o;
    struct stat st1, st2;
    (void)state;
    fresh(cache, sizeof cache, "cache");
    fresh(tmpdir, sizeof tmpdir, "tmpdir");
    assert_int_equal(mkdir(tmpdir, 0755), 0);
    setenv("XDG_CACHE_HOME", cache, 1);
    setenv("TMPDIR", tmpdir, 1);
    for (int k = 0; k < 2; k++) {
        if (cb_run(&o, "run", "-w", "thumbnail", "-m", "single", "-n", "3", "--corpus-images",
                   "2", "--corpus-size", "64x48", "--corpus-seed", "5", NULL) != 0)
            fail_msg("exit %d: %s %s", o.status, o.err, o.out);
        cb_out_free(&o);
        snprintf(corpus, sizeof corpus, "%s/concbench/corpus-2-64x48-seed5", cache);
        assert_int_equal(count_entries(corpus), 2);
        snprintf(path, sizeof path, "%s/img-0001.png", corpus);
        assert_int_equal(stat(path, k == 0 ? &st1 : &st2), 0);
        assert_int_equal(count_entries(tmpdir), 0);
    }
    /* Reused, not rewritten. */
    assert_int_equal(st1.st_ino, st2.st_ino);
    assert_int_equal(st1.st_mtim.tv_nsec, st2.st_mtim.tv_nsec);
    unsetenv("XDG_CACHE_HOME");
    unsetenv("TMPDIR");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_usage_errors),
        cmocka_unit_test(test_corpus_command),
        cmocka_unit_test(test_paths_stay_inside),
        cmocka_unit_test(test_default_corpus_and_out),
        cmocka_unit_test(test_bad_inputs_every_model),
        cmocka_unit_test(test_identical_across_models),
    };
    return cmocka_run_group_tests(tests, setup_root, teardown_root);
}
