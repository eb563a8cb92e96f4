/* corpus.c — `concbench corpus DIR [-n N] [--size WxH] [--seed S]`: the thumbnail corpus. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/cli.h"
#include "workloads/image.h"

static void corpus_help(void)
{
    printf("usage: concbench corpus DIR [-n N] [--size WxH] [--seed S]\n\n"
           "Writes N PNG images (8-bit RGB, photograph-like: gradients, soft shapes, grain) named\n"
           "img-0000.png ... into DIR, creating it if missing. The same arguments always give the\n"
           "same bytes. Files it would replace must be corpus images it wrote; anything else\n"
           "makes it stop before writing.\n\n"
           "  -n, --images N     number of images (default 16)\n"
           "      --size WxH     width and height (default 1920x1080)\n"
           "      --seed S       seed (default 1)\n"
           "  -h, --help         this text\n");
}

int cmd_corpus(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "images", required_argument, NULL, 'n' },
        { "size", required_argument, NULL, 's' },
        { "seed", required_argument, NULL, 'S' },
        { "help", no_argument, NULL, 'h' },
        { 0 },
    };
    uint64_t n = 16, seed = 1, w = 1920, h = 1080;
    char err[512];
    int c;

    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":n:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'n':
            if (!cli_parse_uint(optarg, 1, 100000, &n))
                return cli_usage_error("corpus", "bad image count '%s' for -n: a whole number "
                                       "from 1 to 100000", optarg);
            break;
        case 's': {
            const char *x = strchr(optarg, 'x');
            char wb[16];
            if (!x || (size_t)(x - optarg) >= sizeof wb)
                return cli_usage_error("corpus", "bad --size '%s': WIDTHxHEIGHT", optarg);
            memcpy(wb, optarg, (size_t)(x - optarg));
            wb[x - optarg] = '\0';
            if (!cli_parse_uint(wb, 1, 65535, &w) || !cli_parse_uint(x + 1, 1, 65535, &h))
                return cli_usage_error("corpus", "bad --size '%s': WIDTHxHEIGHT, each from 1 "
                                       "to 65535", optarg);
            /* Each image is made whole in memory (3 bytes a pixel): refused before anything
             * is generated. */
            if (w * h > CORPUS_MAX_PIXELS)
                return cli_usage_error("corpus", "--size %s is %llu pixels, more than the "
                                       "ceiling of %llu (8192x8192)", optarg,
                                       (unsigned long long)(w * h),
                                       (unsigned long long)CORPUS_MAX_PIXELS);
            break;
        }
        case 'S':
            if (!cli_parse_uint(optarg, 0, UINT64_MAX, &seed))
                return cli_usage_error("corpus", "bad --seed '%s': a whole number", optarg);
            break;
        case 'h': corpus_help(); return EXIT_OK;
        case ':': return cli_usage_error("corpus", "option '%s' needs a value", argv[optind - 1]);
        default: return cli_usage_error("corpus", "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind >= argc)
        return cli_usage_error("corpus", "no folder given");
    if (optind + 1 < argc)
        return cli_usage_error("corpus", "unexpected argument '%s'", argv[optind + 1]);
    const char *dir = argv[optind];
    int rc = corpus_write(dir, (unsigned)n, (uint32_t)w, (uint32_t)h, seed, err, sizeof err);
    if (rc < 0) {
        fprintf(stderr, "concbench corpus: %s\n", err);
        return rc == -EEXIST ? EXIT_USAGE : EXIT_ENV;
    }
    printf("wrote %llu image%s of %llux%llu (seed %llu) to %s\n", (unsigned long long)n,
           n == 1 ? "" : "s", (unsigned long long)w, (unsigned long long)h,
           (unsigned long long)seed, dir);
    return EXIT_OK;
}
