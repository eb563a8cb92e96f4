/* shm.c — anonymous shared mappings. */
#include "runtime/shm.h"

#include <sys/mman.h>

void *shm_alloc(size_t size)
{
    if (size == 0)
        size = 1;
    void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    return p == MAP_FAILED ? NULL : p;
}

void shm_free(void *p, size_t size)
{
    if (p)
        munmap(p, size == 0 ? 1 : size);
}
