/* test_thumbnail.c — the thumbnail workload through the binary: bad input in every model,
 * byte-identical outputs across models, the corpus command, output paths, the cache. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <png.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runtime/clock.h"
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

/* True when the file at path holds exactly these bytes. */
static bool same_bytes(const char *path, const uint8_t *p, size_t n)
{
    size_t len;
    uint8_t *q = slurp(path, &len);
    bool same = len == n && memcmp(p, q, n) == 0;
    free(q);
    return same;
}

/* --out may not be, hold or lie in --images or the corpus cache (real paths, after symbolic
 * links), may not be empty; and a thumbnail never replaces a file that is not one of ours. */
static void test_out_never_destroys_inputs(void **state)
{
    char dir[512], sub[600], link[512], cache[512], path[1200], out[512];
    uint8_t *orig[2];
    size_t olen[2];
    struct cb_out o;
    (void)state;
    fresh(dir, sizeof dir, "keep");
    make_corpus(dir, "2", "64x48");
    for (int k = 0; k < 2; k++) {
        snprintf(path, sizeof path, "%s/img-000%d.png", dir, k);
        orig[k] = slurp(path, &olen[k]);
    }
    snprintf(sub, sizeof sub, "%s/sub/deeper", dir);
    fresh(link, sizeof link, "keep-link");
    assert_int_equal(symlink(dir, link), 0);
    char via_link[700], dotdot[700];
    snprintf(via_link, sizeof via_link, "%s/", link);
    snprintf(dotdot, sizeof dotdot, "%s/new/../../keep", dir);
    const char *const refused[] = { dir, sub, tmp_root, via_link, dotdot };
    const char *const why[] = { "it is the --images folder", "it is inside the --images folder",
                                "it contains the --images folder", "it is the --images folder",
                                "it is the --images folder" };
    for (int k = 0; k < 5; k++) {
        assert_int_equal(cb_run(&o, "run", "-w", "thumbnail", "-m", "single", "-n", "2",
                                "--images", dir, "--out", refused[k], NULL), 2);
        if (!strstr(o.err, why[k]))
            fail_msg("--out %s: %s", refused[k], o.err);
        assert_string_equal(o.out, "");
        cb_out_free(&o);
    }
    snprintf(path, sizeof path, "%s/sub", dir);
    assert_int_equal(access(path, F_OK), -1);       /* nothing was created */
    assert_int_equal(cb_run(&o, "run", "-w", "thumbnail", "-m", "single", "--images", dir,
                            "--out", "", NULL), 2);
    assert_non_null(strstr(o.err, "--out is empty"));
    cb_out_free(&o);
    for (int k = 0; k < 2; k++) {
        snprintf(path, sizeof path, "%s/img-000%d.png", dir, k);
        assert_true(same_bytes(path, orig[k], olen[k]));
    }
    assert_int_equal(count_entries(dir), 2);

    /* The corpus cache: the default input, and refused whether or not it is the input. */
    fresh(cache, sizeof cache, "keep-cache");
    setenv("XDG_CACHE_HOME", cache, 1);
    char root[600], corpus[700];
    snprintf(root, sizeof root, "%s/concbench", cache);
    snprintf(corpus, sizeof corpus, "%s/corpus-2-40x30-seed1", root);
    const char *const cached[] = { root, corpus, cache };
    for (int k = 0; k < 3; k++) {
        assert_int_equal(cb_run(&o, "run", "-w", "thumbnail", "-m", "single", "-n", "2",
                                "--corpus-images", "2", "--corpus-size", "40x30", "--out",
                                cached[k], NULL), 2);
        assert_non_null(strstr(o.err, "refusing --out"));
        cb_out_free(&o);
        assert_int_equal(cb_run(&o, "run", "-w", "thumbnail", "-m", "single", "-n", "2",
                                "--images", dir, "--out", cached[k], NULL), 2);
        if (!strstr(o.err, "the corpus cache"))
            fail_msg("--out %s: %s", cached[k], o.err);
        cb_out_free(&o);
    }
    /* The cache is intact: a default run still works. */
    if (cb_run(&o, "run", "-w", "thumbnail", "-m", "single", "-n", "2", "--corpus-images", "2",
               "--corpus-size", "40x30", NULL) != 0)
        fail_msg("default run after refusals: exit %d: %s", o.status, o.err);
    cb_out_free(&o);
    assert_int_equal(count_entries(corpus), 2);
    unsetenv("XDG_CACHE_HOME");

    /* In a folder of its own: a user's file (or a corpus image) under an output's name is left
     * alone and that task fails; thumbnails of ours are replaced on the next run. */
    fresh(out, sizeof out, "keep-out");
    assert_int_equal(mkdir(out, 0755), 0);
    snprintf(path, sizeof path, "%s/img-0000.png", out);
    spit(path, "precious", 8);
    snprintf(path, sizeof path, "%s/img-0001.png", out);
    spit(path, orig[1], olen[1]);                   /* a corpus image, not a thumbnail */
    for (int pass = 0; pass < 2; pass++) {
        cb_run(&o, "run", "-w", "thumbnail", "-m", "single", "-n", "2", "--images", dir,
               "--out", out, "--json", NULL);
        assert_int_equal(o.status, 1);
        struct json_value *v = cb_json(&o);
        assert_int_equal((int)jnum(json_get(v, "error_kinds"), "would overwrite"), 2);
        assert_non_null(strstr(jstr(json_get(v, "task_errors"), "0"), "not a thumbnail of ours"));
        json_free(v);
        cb_out_free(&o);
        snprintf(path, sizeof path, "%s/img-0000.png", out);
        assert_true(same_bytes(path, (const uint8_t *)"precious", 8));
        snprintf(path, sizeof path, "%s/img-0001.png", out);
        assert_true(same_bytes(path, orig[1], olen[1]));
        assert_int_equal(count_entries(out), 2);    /* no temporary left behind */
    }
    snprintf(path, sizeof path, "%s/img-0000.png", out);
    unlink(path);
    snprintf(path, sizeof path, "%s/img-0001.png", out);
    unlink(path);
    for (int pass = 0; pass < 2; pass++) {
        if (cb_run(&o, "run", "-w", "thumbnail", "-m", "single", "-n", "2", "--images", dir,
                   "--out", out, NULL) != 0)
            fail_msg("pass %d over our own thumbnails: exit %d: %s %s", pass, o.status, o.err,
                     o.out);
        cb_out_free(&o);
    }
    assert_int_equal(count_entries(out), 2);
    free(orig[0]);
    free(orig[1]);
}

/* --corpus-size is checked against --max-pixels, the generator's ceiling and the decode budget
 * before anything is generated: an immediate usage error, nothing in the cache. */
static void test_corpus_size_checked_first(void **state)
{
    char cache[512], dir[512];
    struct cb_out o;
    (void)state;
    fresh(cache, sizeof cache, "size-cache");
    setenv("XDG_CACHE_HOME", cache, 1);
    static const char *const cases[][5] = {
        { "20000x10000", "--max-pixels", "100000000", "more than --max-pixels", NULL },
        { "20000x10000", "--max-pixels", "300000000", "ceiling", NULL },
        { "8192x8192", "--decode-budget-mb", "100", "--decode-budget-mb 100", NULL },
        { "65535x65535", "--max-pixels", "4294967296", "ceiling", NULL },
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        double t0 = clock_now();
        assert_int_equal(cb_run(&o, "run", "-w", "thumbnail", "-m", "single", "-n", "1",
                                "--corpus-size", cases[k][0], cases[k][1], cases[k][2], NULL), 2);
        if (!strstr(o.err, cases[k][3]))
            fail_msg("--corpus-size %s: %s", cases[k][0], o.err);
        assert_true(clock_now() - t0 < 2.0);
        cb_out_free(&o);
    }
    assert_int_equal(access(cache, F_OK), -1);      /* nothing generated, not even the folder */
    unsetenv("XDG_CACHE_HOME");
    fresh(dir, sizeof dir, "size-corpus");
    assert_int_equal(cb_run(&o, "corpus", dir, "-n", "1", "--size", "65535x65535", NULL), 2);
    assert_non_null(strstr(o.err, "ceiling"));
    cb_out_free(&o);
    assert_int_equal(access(dir, F_OK), -1);
}

/* A PNG of w x h 8-bit RGB pixels written row by row (libpng's own height limit lifted), so a
 * header of millions of rows costs the test no memory: every row is the same. */
static void write_png(const char *path, uint32_t w, uint32_t h)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png_create_info_struct(png);
    assert_non_null(info);
    if (setjmp(png_jmpbuf(png)))
        fail_msg("libpng failed writing %s", path);
    png_init_io(png, f);
    png_set_user_limits(png, 0x7fffffff, 0x7fffffff);
    png_set_IHDR(png, info, w, h, 8, PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
    png_bytep row = calloc(w, 3);
    for (uint32_t x = 0; x < w; x++)
        row[3 * x] = (png_byte)x;
    for (uint32_t y = 0; y < h; y++)
        png_write_row(png, row);
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);
    free(row);
    assert_int_equal(fclose(f), 0);
}

/* Each task's memory is computed from the PNG header before decoding (pixels, row pointers,
 * libpng's row buffers, the blur's scratch): over --decode-budget-mb the task fails with a clear
 * error, in every model; within it, the real peak stays under the estimate. */
static void test_decode_budget(void **state)
{
    char dir[512], path[700], models[16][32];
    struct cb_out o;
    (void)state;
    fresh(dir, sizeof dir, "budget");
    assert_int_equal(mkdir(dir, 0755), 0);
    /* 1 x 4,000,000: 12 MB of pixels but 32 MB of row pointers. */
    snprintf(path, sizeof path, "%s/tall.png", dir);
    write_png(path, 1, 4000000);
    unsigned nm = list_models(models, 16);
    unsigned need_mb = 0;
    for (unsigned m = 0; m < nm; m++) {
        cb_run(&o, "run", "-w", "thumbnail", "-m", models[m], "-n", "2", "--images", dir,
               "--decode-budget-mb", "40", "--json", NULL);
        if (o.status != 1)
            fail_msg("%s: exit %d: %s", models[m], o.status, o.err);
        struct json_value *v = cb_json(&o);
        assert_int_equal((int)jnum(json_get(v, "error_kinds"), "over decode budget"), 2);
        const char *msg = jstr(json_get(v, "task_errors"), "1");
        const char *about = strstr(msg, "needs about ");
        if (!about || !strstr(msg, "tall.png") || !strstr(msg, "--decode-budget-mb") ||
            !strstr(msg, "1x4000000"))
            fail_msg("%s: %s", models[m], msg);
        need_mb = (unsigned)atoi(about + 12);
        json_free(v);
        cb_out_free(&o);
    }
    /* The estimate counts the row pointers (32 MB) and the pixels (12 MB): 42 MiB. */
    assert_true(need_mb >= 42 && need_mb < 60);
    /* Within the budget: verified, and the process's peak stays below a baseline plus the
     * estimate (measured: about 46 MB of the 47 estimated). */
    char budget[16];
    snprintf(budget, sizeof budget, "%u", need_mb);
    fresh(path, sizeof path, "budget-small");
    make_corpus(path, "1", "8x8");
    assert_int_equal(cb_run(&o, "run", "-w", "thumbnail", "-m", "single", "-n", "1", "--images",
                            path, "--json", NULL), 0);
    struct json_value *v = cb_json(&o);
    double base_kb = jnum(v, "max_rss_kb");
    json_free(v);
    cb_out_free(&o);
    if (cb_run(&o, "run", "-w", "thumbnail", "-m", "single", "-n", "1", "--images", dir,
               "--decode-budget-mb", budget, "--json", NULL) != 0)
        fail_msg("within the budget: exit %d: %s %s", o.status, o.err, o.out);
    v = cb_json(&o);
    assert_true(jbool(v, "verified"));
    double peak_kb = jnum(v, "max_rss_kb");
    print_message("  1x4000000: estimated %u MiB, measured %.1f MiB over a %.1f MiB baseline\n",
                  need_mb, (peak_kb - base_kb) / 1024, base_kb / 1024);
#if !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
    /* Memory figures hold in the plain build only: the sanitizers add their own shadow,
     * redzones and quarantine to every allocation. */
    assert_true(peak_kb - base_kb <= need_mb * 1024.0);
    assert_true(peak_kb - base_kb >= need_mb * 1024.0 / 2);    /* and not wildly over it */
#endif
    json_free(v);
    cb_out_free(&o);
}

/* A run's temporary output folder is named concbench-thumbs-PID-XXXXXX. SIGHUP, SIGTERM and
 * SIGINT: the run removes it. SIGKILL: it stays, and the next run removes it since its process
 * is gone, leaving a live run's folder (and any other name) alone. */
static void test_temp_folder_cleanup(void **state)
{
    char dir[512], tmpdir[512], live[700], other[700], path[1024];
    struct cb_out o;
    (void)state;
    fresh(dir, sizeof dir, "slow");
    make_corpus(dir, "2", "640x480");
    fresh(tmpdir, sizeof tmpdir, "slow-tmp");
    assert_int_equal(mkdir(tmpdir, 0755), 0);
    setenv("TMPDIR", tmpdir, 1);
    char *argv[] = { (char *)cb_path(), "run", "-w", "thumbnail", "-m", "single", "-n", "100000",
                     "--images", dir, NULL };
    static const int sigs[] = { SIGHUP, SIGTERM, SIGINT };
    for (int k = 0; k < 3; k++) {
        cb_runv_signal(&o, argv, 0.5, sigs[k], NULL);
        if (o.status != 130)
            fail_msg("signal %d: exit %d: %s", sigs[k], o.status, o.err);
        cb_out_free(&o);
        if (count_entries(tmpdir) != 0)
            fail_msg("signal %d left %u entries in TMPDIR", sigs[k], count_entries(tmpdir));
    }
    /* A live run's folder (this test's own process id) and a name not of this form. */
    snprintf(live, sizeof live, "%s/concbench-thumbs-%d-abcdef", tmpdir, (int)getpid());
    snprintf(other, sizeof other, "%s/concbench-thumbs-Qx1234", tmpdir);
    assert_int_equal(mkdir(live, 0755), 0);
    assert_int_equal(mkdir(other, 0755), 0);
    snprintf(path, sizeof path, "%s/x.png", live);
    spit(path, "x", 1);
    cb_runv_signal(&o, argv, 0.5, SIGKILL, NULL);
    assert_int_equal(o.status, 128 + SIGKILL);
    cb_out_free(&o);
    /* The killed run's folder is there, named after its (now gone) process. */
    DIR *d = opendir(tmpdir);
    struct dirent *e;
    char dead[300] = "";
    while ((e = readdir(d))) {
        int pid;
        char rest[16];
        if (sscanf(e->d_name, "concbench-thumbs-%d-%15s", &pid, rest) == 2 &&
            pid != (int)getpid() && strlen(rest) == 6) {
            assert_int_equal(kill(pid, 0), -1);
            snprintf(dead, sizeof dead, "%s", e->d_name);
        }
    }
    closedir(d);
    if (!dead[0])
        fail_msg("SIGKILL left no concbench-thumbs-PID-XXXXXX folder");
    assert_int_equal(count_entries(tmpdir), 3);
    if (cb_run(&o, "run", "-w", "thumbnail", "-m", "single", "-n", "2", "--images", dir,
               NULL) != 0)
        fail_msg("the next run: exit %d: %s", o.status, o.err);
    cb_out_free(&o);
    snprintf(path, sizeof path, "%s/%s", tmpdir, dead);
    assert_int_equal(access(path, F_OK), -1);       /* removed */
    snprintf(path, sizeof path, "%s/x.png", live);
    assert_int_equal(access(path, F_OK), 0);        /* a live run's: untouched */
    assert_int_equal(access(other, F_OK), 0);
    assert_int_equal(count_entries(tmpdir), 2);
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
        cmocka_unit_test(test_out_never_destroys_inputs),
        cmocka_unit_test(test_corpus_size_checked_first),
        cmocka_unit_test(test_decode_budget),
        cmocka_unit_test(test_temp_folder_cleanup),
    };
    return cmocka_run_group_tests(tests, setup_root, teardown_root);
}
