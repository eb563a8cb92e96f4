/* test_image.c — the image operations: PNG round trips of every colour type and bit depth,
 * bad input, the pixel limit, blur and shrink on known images, fuzz regression inputs. */
#include <dirent.h>
#include <errno.h>
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/fuzz/fuzz_thumbnail.h"
#include "tests/helpers.h"
#include "workloads/image.h"

/* ---- a PNG writer of our own, independent of image_encode ---- */

struct mem {
    uint8_t *p;
    size_t len, cap;
};

static void mem_write(png_structp png, png_bytep d, size_t n)
{
    struct mem *m = png_get_io_ptr(png);
    if (m->len + n > m->cap) {
        m->cap = (m->len + n) * 2;
        m->p = realloc(m->p, m->cap);
        assert_non_null(m->p);
    }
    memcpy(m->p + m->len, d, n);
    m->len += n;
}

static void mem_flush(png_structp png)
{
    (void)png;
}

static uint32_t rng_state = 12345;
static uint32_t rnd(void)
{
    rng_state = rng_state * 1103515245u + 12345u;
    return rng_state >> 8;
}

/* One test image in a PNG colour type and depth: samples[] holds each pixel's raw samples
 * (1..4 of them, each < 2^depth), expect[] the RGBA decode must give. */
struct case_img {
    int ctype, depth, interlace, trns;
    uint32_t w, h;
    unsigned ch;                /* samples a pixel in the file */
    uint16_t *samples;          /* w*h*ch */
    uint8_t expect[64 * 64 * 4];
    int expect_alpha;
    png_color pal[256];
    png_byte pal_alpha[256];
    png_color_16 trans;
};

static uint8_t scale_to_8(unsigned v, int depth)
{
    switch (depth) {
    case 1: return v ? 255 : 0;
    case 2: return (uint8_t)(v * 85);
    case 4: return (uint8_t)(v * 17);
    case 8: return (uint8_t)v;
    default: return (uint8_t)(v >> 8);   /* 16-bit samples are b * 257 here */
    }
}

static unsigned sample(int depth)
{
    if (depth == 16)
        return (rnd() & 255) * 257;
    return rnd() & ((1u << depth) - 1);
}

static void make_case(struct case_img *c, int ctype, int depth, int interlace, int trns)
{
    memset(c, 0, sizeof *c);
    c->ctype = ctype, c->depth = depth, c->interlace = interlace, c->trns = trns;
    c->w = 13, c->h = 11;
    c->ch = ctype == PNG_COLOR_TYPE_GRAY || ctype == PNG_COLOR_TYPE_PALETTE ? 1
          : ctype == PNG_COLOR_TYPE_GRAY_ALPHA ? 2 : ctype == PNG_COLOR_TYPE_RGB ? 3 : 4;
    unsigned max = depth == 16 ? 255 * 257 : (1u << depth) - 1;
    c->trans = (png_color_16){ .gray = (png_uint_16)(depth == 16 ? 100 * 257 : max / 3),
                               .red = (png_uint_16)max, .green = 0,
                               .blue = (png_uint_16)(depth == 16 ? 257 : 1) };
    c->samples = calloc((size_t)c->w * c->h * c->ch, sizeof *c->samples);
    assert_non_null(c->samples);
    unsigned npal = ctype == PNG_COLOR_TYPE_PALETTE ? 1u << depth : 0;
    for (unsigned k = 0; k < npal; k++) {
        c->pal[k] = (png_color){ (png_byte)rnd(), (png_byte)rnd(), (png_byte)rnd() };
        c->pal_alpha[k] = (png_byte)(k == 0 ? 0 : k == 1 ? 128 : 255);
    }
    int has_alpha = ctype == PNG_COLOR_TYPE_GRAY_ALPHA || ctype == PNG_COLOR_TYPE_RGB_ALPHA;
    c->expect_alpha = has_alpha || trns;
    for (uint32_t i = 0; i < c->w * c->h; i++) {
        uint16_t *s = c->samples + i * c->ch;
        uint8_t *e = c->expect + i * 4;
        for (unsigned k = 0; k < c->ch; k++)
            s[k] = (uint16_t)(ctype == PNG_COLOR_TYPE_PALETTE ? rnd() % npal : sample(depth));
        if (trns && ctype != PNG_COLOR_TYPE_PALETTE && i % 5 == 0) {
            /* Make this pixel the transparent colour. */
            for (unsigned k = 0; k < c->ch; k++)
                s[k] = ctype == PNG_COLOR_TYPE_GRAY ? c->trans.gray
                     : k == 0 ? c->trans.red : k == 1 ? c->trans.green : c->trans.blue;
        }
        if (ctype == PNG_COLOR_TYPE_PALETTE) {
            png_color p = c->pal[s[0]];
            e[0] = p.red, e[1] = p.green, e[2] = p.blue;
            e[3] = trns ? c->pal_alpha[s[0]] : 255;
        } else if (c->ch <= 2) {
            e[0] = e[1] = e[2] = scale_to_8(s[0], depth);
            e[3] = c->ch == 2 ? scale_to_8(s[1], depth) : 255;
        } else {
            e[0] = scale_to_8(s[0], depth), e[1] = scale_to_8(s[1], depth);
            e[2] = scale_to_8(s[2], depth);
            e[3] = c->ch == 4 ? scale_to_8(s[3], depth) : 255;
        }
        if (trns && ctype != PNG_COLOR_TYPE_PALETTE) {
            int same = c->ch == 1 ? s[0] == c->trans.gray
                     : s[0] == c->trans.red && s[1] == c->trans.green && s[2] == c->trans.blue;
            e[3] = same ? 0 : 255;
        }
    }
}

/* Pack the samples into PNG rows and write the file with libpng. */
static struct mem write_case(struct case_img *c)
{
    struct mem m = { 0 };
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png_create_info_struct(png);
    assert_non_null(info);
    if (setjmp(png_jmpbuf(png)))
        fail_msg("libpng could not write the test image");
    png_set_write_fn(png, &m, mem_write, mem_flush);
    png_set_IHDR(png, info, c->w, c->h, c->depth, c->ctype, c->interlace,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    if (c->ctype == PNG_COLOR_TYPE_PALETTE) {
        png_set_PLTE(png, info, c->pal, 1 << c->depth);
        if (c->trns)
            png_set_tRNS(png, info, c->pal_alpha, 1 << c->depth, NULL);
    } else if (c->trns) {
        png_set_tRNS(png, info, NULL, 0, &c->trans);
    }
    png_write_info(png, info);
    size_t rowbytes = ((size_t)c->w * c->ch * c->depth + 7) / 8;
    png_bytep *rows = calloc(c->h, sizeof *rows);
    for (uint32_t y = 0; y < c->h; y++) {
        rows[y] = calloc(rowbytes, 1);
        for (uint32_t k = 0; k < c->w * c->ch; k++) {
            unsigned v = c->samples[y * c->w * c->ch + k];
            if (c->depth == 16) {
                rows[y][2 * k] = (png_byte)(v >> 8);
                rows[y][2 * k + 1] = (png_byte)v;
            } else if (c->depth == 8) {
                rows[y][k] = (png_byte)v;
            } else {
                size_t bit = (size_t)k * c->depth;
                rows[y][bit / 8] |= (png_byte)(v << (8 - c->depth - bit % 8));
            }
        }
    }
    png_write_image(png, rows);
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);
    for (uint32_t y = 0; y < c->h; y++)
        free(rows[y]);
    free(rows);
    return m;
}

static void check_case(int ctype, int depth, int interlace, int trns)
{
    struct case_img *c = malloc(sizeof *c);
    struct image im;
    char msg[IMAGE_MSG_LEN];

    assert_non_null(c);
    make_case(c, ctype, depth, interlace, trns);
    struct mem m = write_case(c);
    int rc = image_decode(m.p, m.len, 1000000, &im, msg);
    if (rc != 0)
        fail_msg("type %d depth %d interlace %d tRNS %d: %s", ctype, depth, interlace, trns, msg);
    assert_int_equal(im.w, c->w);
    assert_int_equal(im.h, c->h);
    assert_int_equal(im.ch, c->expect_alpha ? 4 : 3);
    for (uint32_t i = 0; i < c->w * c->h; i++)
        for (unsigned k = 0; k < im.ch; k++)
            if (im.px[i * im.ch + k] != c->expect[i * 4 + k])
                fail_msg("type %d depth %d interlace %d tRNS %d: pixel %u sample %u is %u, "
                         "expected %u", ctype, depth, interlace, trns, i, k,
                         im.px[i * im.ch + k], c->expect[i * 4 + k]);
    uint32_t w, h;
    assert_int_equal(image_png_size(m.p, m.len, &w, &h, msg), 0);
    assert_int_equal(w, c->w);
    assert_int_equal(h, c->h);
    image_free(&im);
    free(m.p);
    free(c->samples);
    free(c);
}

static void test_round_trips(void **state)
{
    static const struct { int ctype, depths[5]; } kinds[] = {
        { PNG_COLOR_TYPE_GRAY, { 1, 2, 4, 8, 16 } },
        { PNG_COLOR_TYPE_PALETTE, { 1, 2, 4, 8, 0 } },
        { PNG_COLOR_TYPE_RGB, { 8, 16, 0 } },
        { PNG_COLOR_TYPE_GRAY_ALPHA, { 8, 16, 0 } },
        { PNG_COLOR_TYPE_RGB_ALPHA, { 8, 16, 0 } },
    };
    (void)state;
    for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++)
        for (int d = 0; d < 5 && kinds[k].depths[d]; d++)
            for (int il = 0; il < 2; il++)
                for (int trns = 0; trns < 2; trns++) {
                    int ct = kinds[k].ctype;
                    if (trns && (ct == PNG_COLOR_TYPE_GRAY_ALPHA || ct == PNG_COLOR_TYPE_RGB_ALPHA))
                        continue;   /* tRNS is not allowed with an alpha channel */
                    check_case(ct, kinds[k].depths[d], il ? PNG_INTERLACE_ADAM7
                                                          : PNG_INTERLACE_NONE, trns);
                }
}

/* image_encode then image_decode gives the same pixels; the same pixels give the same bytes. */
static void test_encode_round_trip(void **state)
{
    (void)state;
    for (unsigned ch = 3; ch <= 4; ch++) {
        struct image im = { 37, 23, ch, malloc(37 * 23 * ch) }, back;
        char msg[IMAGE_MSG_LEN];
        uint8_t *a, *b;
        size_t alen, blen;
        for (size_t k = 0; k < 37u * 23 * ch; k++)
            im.px[k] = (uint8_t)rnd();
        struct image_text t = { "k", "v" };
        assert_int_equal(image_encode(&im, 6, &t, 1, &a, &alen, msg), 0);
        assert_int_equal(image_encode(&im, 6, &t, 1, &b, &blen, msg), 0);
        assert_int_equal(alen, blen);
        assert_memory_equal(a, b, alen);
        assert_int_equal(image_decode(a, alen, 1000, &back, msg), 0);
        assert_int_equal(back.w, 37);
        assert_int_equal(back.h, 23);
        assert_int_equal(back.ch, ch);
        assert_memory_equal(back.px, im.px, 37u * 23 * ch);
        image_free(&back);
        image_free(&im);
        free(a);
        free(b);
    }
}

/* CRC-32 as PNG chunks use it (ISO 3309), bit by bit. */
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

/* The offset of the first chunk of the given type in a PNG (its length field). */
static size_t find_chunk(const uint8_t *p, size_t len, const char *type)
{
    for (size_t off = 8; off + 12 <= len;) {
        uint32_t n = (uint32_t)p[off] << 24 | p[off + 1] << 16 | p[off + 2] << 8 | p[off + 3];
        if (memcmp(p + off + 4, type, 4) == 0)
            return off;
        off += 12 + n;
    }
    fail_msg("no %s chunk", type);
    return 0;
}

static void expect_bad(const uint8_t *p, size_t len, const char *needle, const char *what)
{
    struct image im;
    char msg[IMAGE_MSG_LEN];
    int rc = image_decode(p, len, 1000000, &im, msg);
    if (rc != IMAGE_EBAD)
        fail_msg("%s: expected IMAGE_EBAD, got %d (%s)", what, rc, msg);
    if (needle && !strstr(msg, needle))
        fail_msg("%s: message '%s' lacks '%s'", what, msg, needle);
    assert_null(im.px);
}

static void test_bad_input(void **state)
{
    struct image im = { 64, 48, 3, malloc(64 * 48 * 3) };
    char msg[IMAGE_MSG_LEN];
    uint8_t *png;
    size_t len;
    (void)state;
    for (size_t k = 0; k < 64u * 48 * 3; k++)
        im.px[k] = (uint8_t)rnd();
    assert_int_equal(image_encode(&im, 6, NULL, 0, &png, &len, msg), 0);
    image_free(&im);

    expect_bad(png, 0, "empty", "empty file");
    expect_bad((const uint8_t *)"GIF89a, not a PNG at all", 24, "Not a PNG", "not a PNG");
    for (size_t cut = 1; cut < len; cut += cut < 64 ? 1 : 97)
        expect_bad(png, cut, NULL, "truncated");
    expect_bad(png, len - 5, NULL, "truncated before IEND's CRC");

    uint8_t *bad = malloc(len);
    size_t idat = find_chunk(png, len, "IDAT");
    uint32_t n = (uint32_t)png[idat] << 24 | png[idat + 1] << 16 | png[idat + 2] << 8 | png[idat + 3];
    /* A wrong CRC on the header chunk, and on the image data. */
    memcpy(bad, png, len);
    bad[29] ^= 0x55;
    expect_bad(bad, len, "CRC", "bad IHDR CRC");
    memcpy(bad, png, len);
    bad[idat + 8 + n] ^= 0x55;
    expect_bad(bad, len, "CRC", "bad IDAT CRC");
    /* A flipped byte in the zlib stream with the CRC made right: zlib sees a broken stream. */
    memcpy(bad, png, len);
    bad[idat + 8] ^= 0xff;      /* the zlib header */
    put32(bad + idat + 8 + n, crc_of(bad + idat + 4, n + 4));
    expect_bad(bad, len, NULL, "bad zlib header");
    memcpy(bad, png, len);
    memset(bad + idat + 8 + 2, 0xff, n > 40 ? 30 : n / 2);  /* garbage deflate blocks */
    put32(bad + idat + 8 + n, crc_of(bad + idat + 4, n + 4));
    expect_bad(bad, len, NULL, "bad deflate data");
    /* A header that lies about its width (IHDR CRC fixed). */
    memcpy(bad, png, len);
    put32(bad + 16, 0);
    put32(bad + 29, crc_of(bad + 12, 17));
    expect_bad(bad, len, NULL, "zero width");
    free(bad);
    free(png);
}

/* A header declaring too many pixels is refused before any pixel is read: the same file with
 * a higher limit fails later, on its (missing) pixel data. */
static void test_too_many_pixels(void **state)
{
    static const uint8_t sig[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };
    uint8_t f[8 + 25 + 12 + 12];
    struct image im;
    char msg[IMAGE_MSG_LEN];
    (void)state;
    memcpy(f, sig, 8);
    put32(f + 8, 13);
    memcpy(f + 12, "IHDR", 4);
    put32(f + 16, 30000);
    put32(f + 20, 20000);
    f[24] = 8, f[25] = 2, f[26] = 0, f[27] = 0, f[28] = 0;
    put32(f + 29, crc_of(f + 12, 17));
    put32(f + 33, 0);                       /* an empty IDAT */
    memcpy(f + 37, "IDAT", 4);
    put32(f + 41, crc_of(f + 37, 4));
    put32(f + 45, 0);
    memcpy(f + 49, "IEND", 4);
    put32(f + 53, crc_of(f + 49, 4));

    assert_int_equal(image_decode(f, sizeof f, 100000000, &im, msg), IMAGE_ETOOBIG);
    assert_non_null(strstr(msg, "600000000 pixels"));
    assert_null(im.px);
    assert_int_equal(image_decode(f, sizeof f, 600000000, &im, msg), IMAGE_EBAD);
    assert_null(im.px);

    /* The limit is inclusive. */
    struct image small = { 100, 100, 3, calloc(100 * 100 * 3, 1) };
    uint8_t *png;
    size_t len;
    assert_int_equal(image_encode(&small, 6, NULL, 0, &png, &len, msg), 0);
    assert_int_equal(image_decode(png, len, 9999, &im, msg), IMAGE_ETOOBIG);
    assert_int_equal(image_decode(png, len, 10000, &im, msg), 0);
    image_free(&im);
    image_free(&small);
    free(png);
}

static struct image random_image(uint32_t w, uint32_t h, unsigned ch)
{
    struct image im = { w, h, ch, malloc((size_t)w * h * ch) };
    assert_non_null(im.px);
    for (size_t k = 0; k < (size_t)w * h * ch; k++)
        im.px[k] = (uint8_t)rnd();
    return im;
}

static void test_blur_constant(void **state)
{
    static const uint32_t sizes[][2] = { { 1, 1 }, { 2, 2 }, { 37, 5 }, { 5, 37 }, { 64, 48 } };
    (void)state;
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++)
        for (unsigned ch = 3; ch <= 4; ch++)
            for (unsigned v = 0; v < 256; v += 85) {
                size_t n = (size_t)sizes[s][0] * sizes[s][1] * ch;
                struct image im = { sizes[s][0], sizes[s][1], ch, malloc(n) };
                memset(im.px, (int)v, n);
                assert_int_equal(image_blur(&im, 2.0), 0);
                for (size_t k = 0; k < n; k++)
                    if (im.px[k] != v)
                        fail_msg("%ux%u x%u of %u: sample %zu became %u", sizes[s][0],
                                 sizes[s][1], ch, v, k, im.px[k]);
                image_free(&im);
            }
}

/* The fast blur and the one-pixel-at-a-time reference agree exactly, on every shape that
 * exercises a different path: one pixel, one row, one column, partial row blocks. */
static void test_blur_matches_reference(void **state)
{
    static const uint32_t sizes[][2] = { { 1, 1 }, { 1, 17 }, { 17, 1 }, { 3, 2 }, { 2, 3 },
                                         { 40, 33 }, { 100, 50 }, { 19, 16 }, { 7, 70 } };
    (void)state;
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++)
        for (unsigned ch = 3; ch <= 4; ch++)
            for (double sigma = 0.5; sigma <= 5; sigma *= 2) {
                struct image a = random_image(sizes[s][0], sizes[s][1], ch);
                size_t n = (size_t)a.w * a.h * ch;
                struct image b = { a.w, a.h, ch, malloc(n) };
                memcpy(b.px, a.px, n);
                assert_int_equal(image_blur(&a, sigma), 0);
                assert_int_equal(image_blur_reference(&b, sigma), 0);
                if (memcmp(a.px, b.px, n) != 0)
                    fail_msg("%ux%u x%u sigma %.1f: fast and reference blur differ",
                             a.w, a.h, ch, sigma);
                image_free(&a);
                image_free(&b);
            }
}

static void test_blur_dot_symmetric(void **state)
{
    const uint32_t N = 21, c = 10;
    struct image im = { N, N, 3, calloc(N * N * 3, 1) };
    (void)state;
    memset(im.px + (c * N + c) * 3, 255, 3);
    assert_int_equal(image_blur(&im, 2.0), 0);
#define PX(x, y) im.px[((size_t)(y) * N + (x)) * 3]
    unsigned sum = 0;
    for (uint32_t y = 0; y < N; y++)
        for (uint32_t x = 0; x < N; x++) {
            assert_int_equal(PX(x, y), PX(N - 1 - x, y));
            assert_int_equal(PX(x, y), PX(x, N - 1 - y));
            assert_int_equal(PX(x, y), im.px[((size_t)y * N + x) * 3 + 1]);
            sum += PX(x, y);
            if (x > c)
                assert_true(PX(x, y) <= PX(x - 1, y));  /* falls away from the centre */
        }
#undef PX
    assert_true(im.px[(c * N + c) * 3] < 255);          /* it spread */
    assert_true(im.px[(c * N + c) * 3] > 0);
    assert_true(im.px[(c * N + c + 3) * 3] > 0);         /* at least 3 pixels away */
    assert_true(sum > 150 && sum < 360);                 /* most of the light is kept */
    image_free(&im);
}

static void test_thumb_size(void **state)
{
    static const uint32_t cases[][5] = {
        { 1920, 1080, 50, 50, 28 }, { 1080, 1920, 50, 28, 50 }, { 100, 50, 50, 50, 25 },
        { 30, 20, 50, 30, 20 }, { 50, 50, 50, 50, 50 }, { 51, 1, 50, 50, 1 },
        { 1, 1000, 50, 1, 50 }, { 60, 40, 50, 50, 33 }, { 320, 240, 50, 50, 38 },
    };
    (void)state;
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        uint32_t tw, th;
        image_thumb_size(cases[k][0], cases[k][1], cases[k][2], &tw, &th);
        if (tw != cases[k][3] || th != cases[k][4])
            fail_msg("%ux%u in %u gave %ux%u, expected %ux%u", cases[k][0], cases[k][1],
                     cases[k][2], tw, th, cases[k][3], cases[k][4]);
    }
}

static void test_shrink(void **state)
{
    struct image src = random_image(100, 50, 3), dst;
    (void)state;
    /* 100x50 to 50x25: each output pixel the rounded mean of its 2x2 block. */
    assert_int_equal(image_shrink(&src, 50, 25, &dst), 0);
    assert_int_equal(dst.w, 50);
    assert_int_equal(dst.h, 25);
    for (uint32_t y = 0; y < 25; y++)
        for (uint32_t x = 0; x < 50; x++)
            for (unsigned c = 0; c < 3; c++) {
                unsigned s = 0;
                for (unsigned dy = 0; dy < 2; dy++)
                    for (unsigned dx = 0; dx < 2; dx++)
                        s += src.px[((2 * y + dy) * 100 + 2 * x + dx) * 3 + c];
                assert_int_equal(dst.px[(y * 50 + x) * 3 + c], (s + 2) / 4);
            }
    image_free(&dst);
    /* 3 columns into 2: fractional coverage (1 + 1/2 and 1/2 + 1). */
    struct image row = { 3, 1, 3, malloc(9) };
    const uint8_t v[9] = { 0, 0, 0, 90, 90, 90, 255, 255, 255 };
    memcpy(row.px, v, 9);
    assert_int_equal(image_shrink(&row, 2, 1, &dst), 0);
    assert_int_equal(dst.px[0], (0 * 2 + 90 + 1) / 3);             /* (0 + 45) / 1.5 = 30 */
    assert_int_equal(dst.px[3], (90 + 255 * 2 + 1) / 3);           /* 200 */
    image_free(&dst);
    image_free(&row);
    /* A constant image stays constant whatever the ratio; never enlarged. */
    struct image k = { 1920, 1080, 4, malloc(1920 * 1080 * 4) };
    memset(k.px, 77, 1920 * 1080 * 4);
    assert_int_equal(image_shrink(&k, 50, 28, &dst), 0);
    for (size_t i = 0; i < 50 * 28 * 4; i++)
        assert_int_equal(dst.px[i], 77);
    image_free(&dst);
    assert_int_equal(image_shrink(&k, 1921, 10, &dst), -EINVAL);
    image_free(&k);
    image_free(&src);
}

static void replay_dir(const char *dir, int required)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    unsigned n = 0;
    if (!d && !required)
        return;
    if (!d)
        fail_msg("cannot open %s (run the tests from the source tree)", dir);
    while ((e = readdir(d))) {
        char path[1024];
        uint8_t *buf;
        size_t len;
        if (e->d_name[0] == '.')
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        assert_int_equal(image_read_file(path, &buf, &len), 0);
        fuzz_thumbnail_one(buf, len);     /* aborts when an invariant breaks */
        free(buf);
        n++;
    }
    closedir(d);
    assert_true(n > 0 || !required);
}

/* Every input the fuzzer once crashed on (and every seed) goes through without harm. */
static void test_fuzz_regressions(void **state)
{
    (void)state;
    replay_dir("tests/fuzz/thumbnail_seeds", 1);
    replay_dir("tests/fuzz/thumbnail_regress", 0);
}

static void test_corpus_deterministic(void **state)
{
    uint8_t *a, *b, *c;
    size_t alen, blen, clen;
    struct image im;
    char msg[IMAGE_MSG_LEN];
    (void)state;
    assert_int_equal(corpus_image(7, 3, 96, 64, &a, &alen), 0);
    assert_int_equal(corpus_image(7, 3, 96, 64, &b, &blen), 0);
    assert_int_equal(corpus_image(7, 4, 96, 64, &c, &clen), 0);
    assert_int_equal(alen, blen);
    assert_memory_equal(a, b, alen);
    assert_true(alen != clen || memcmp(a, c, alen) != 0);
    assert_int_equal(image_decode(a, alen, 100000, &im, msg), 0);
    assert_int_equal(im.w, 96);
    assert_int_equal(im.h, 64);
    assert_int_equal(im.ch, 3);
    /* Photograph-like: not flat, and zlib cannot squeeze it much. */
    unsigned distinct = 0;
    uint8_t seen[256] = { 0 };
    for (size_t k = 0; k < 96 * 64 * 3; k += 3)
        if (!seen[im.px[k]]++)
            distinct++;
    assert_true(distinct > 40);
    assert_true(alen > 96 * 64 * 3 / 4);
    image_free(&im);
    free(a), free(b), free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trips),
        cmocka_unit_test(test_encode_round_trip),
        cmocka_unit_test(test_bad_input),
        cmocka_unit_test(test_too_many_pixels),
        cmocka_unit_test(test_blur_constant),
        cmocka_unit_test(test_blur_matches_reference),
        cmocka_unit_test(test_blur_dot_symmetric),
        cmocka_unit_test(test_thumb_size),
        cmocka_unit_test(test_shrink),
        cmocka_unit_test(test_fuzz_regressions),
        cmocka_unit_test(test_corpus_deterministic),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
