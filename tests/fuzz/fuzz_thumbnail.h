/* fuzz_thumbnail.h — one fuzz input through the thumbnail pipeline; shared by the libFuzzer
 * target (fuzz_thumbnail.c) and the regression replay in tests/test_image.c. Aborts when an
 * invariant breaks: a refusal without a message, a decoded size unlike the header's, a
 * failing blur/shrink/encode, or a thumbnail that does not decode back to its pixels. */
#ifndef CONCBENCH_FUZZ_THUMBNAIL_H
#define CONCBENCH_FUZZ_THUMBNAIL_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "workloads/image.h"

static uint32_t fuzz_crc(const uint8_t *p, size_t n)
{
    static uint32_t table[256];
    if (!table[1])
        for (uint32_t k = 0; k < 256; k++) {
            uint32_t c = k;
            for (int b = 0; b < 8; b++)
                c = c & 1 ? (c >> 1) ^ 0xedb88320u : c >> 1;
            table[k] = c;
        }
    uint32_t c = 0xffffffffu;
    for (size_t k = 0; k < n; k++)
        c = table[(c ^ p[k]) & 0xff] ^ (c >> 8);
    return c ^ 0xffffffffu;
}

/* Recompute the CRC of every whole chunk after the signature. */
static void fuzz_fix_crcs(uint8_t *p, size_t len)
{
    for (size_t off = 8; off + 12 <= len;) {
        uint32_t n = (uint32_t)p[off] << 24 | (uint32_t)p[off + 1] << 16 |
                     (uint32_t)p[off + 2] << 8 | p[off + 3];
        if (n > len - off - 12)
            break;
        uint32_t c = fuzz_crc(p + off + 4, (size_t)n + 4);
        p[off + 8 + n] = (uint8_t)(c >> 24), p[off + 9 + n] = (uint8_t)(c >> 16);
        p[off + 10 + n] = (uint8_t)(c >> 8), p[off + 11 + n] = (uint8_t)c;
        off += 12 + (size_t)n;
    }
}

/* One task on buf[0..size): decode, blur, shrink, encode, and check what comes out. */
static void fuzz_task(const uint8_t *buf, size_t size)
{
    struct image im, th, back;
    char msg[IMAGE_MSG_LEN];
    uint32_t tw, tht, hw, hh;
    uint8_t *png;
    size_t plen;

    /* Small limit: the fuzzer must not spend its time (or memory) on huge declared images. */
    int rc = image_decode(buf, size, 1u << 20, &im, msg);
    if (rc != 0) {
        if (rc != IMAGE_EBAD && rc != IMAGE_ETOOBIG)
            abort();
        if (!msg[0])
            abort();                    /* every refusal says why */
        return;
    }
    if (image_png_size(buf, size, &hw, &hh, msg) != 0 || hw != im.w || hh != im.h)
        abort();
    if (image_blur(&im, 2.0) != 0)
        abort();
    image_thumb_size(im.w, im.h, 50, &tw, &tht);
    if (tw > 50 && tw != im.w)
        abort();
    if (image_shrink(&im, tw, tht, &th) != 0)
        abort();
    if (image_encode(&th, 6, NULL, 0, &png, &plen, msg) != 0)
        abort();
    if (image_decode(png, plen, 1u << 20, &back, msg) != 0 || back.w != th.w ||
        back.h != th.h || back.ch != th.ch ||
        memcmp(back.px, th.px, (size_t)th.w * th.h * th.ch) != 0)
        abort();
    free(png);
    image_free(&back);
    image_free(&th);
    image_free(&im);
}

/* The input as given, then (if that changes it) with every chunk CRC made right, so that
 * mutations also reach the zlib stream and the row filters instead of stopping at a CRC. */
static void fuzz_thumbnail_one(const uint8_t *data, size_t size)
{
    fuzz_task(data, size);
    uint8_t *copy = malloc(size ? size : 1);
    memcpy(copy, data, size);
    fuzz_fix_crcs(copy, size);
    if (memcmp(copy, data, size) != 0)
        fuzz_task(copy, size);
    free(copy);
}

#endif
