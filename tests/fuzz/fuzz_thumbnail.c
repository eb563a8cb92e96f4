/* fuzz_thumbnail.c — libFuzzer target: one thumbnail task from memory (decode, blur, shrink,
 * encode; see fuzz_thumbnail.h). `make fuzz-thumbnail FUZZ_SECONDS=N`. */
#include "tests/fuzz/fuzz_thumbnail.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_thumbnail_one(data, size);
    return 0;
}
