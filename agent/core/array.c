#include "core/array.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"

int lc_array_grow(void *arrp, size_t n, size_t *cap, size_t size)
{
    void *old, *grown;
    size_t most, want;

    if (size == 0)
        return LC_E_INVALID;
    if (n < *cap)
        return 0;
    most = SIZE_MAX / size; /* the most elements whose size in bytes fits in a size_t */
    if (n >= most)
        return LC_E_NOMEM;
    want = *cap > most / 2 ? most : *cap * 2;
    if (want < LC_ARRAY_MIN)
        want = LC_ARRAY_MIN;
    if (want > most)
        want = most;
    if (want <= n) /* a count beyond the capacity: room for it all the same */
        want = n + 1;
    /* The array pointer is copied in and out as bytes: arrp points to a T *, not a void *. */
    memcpy(&old, arrp, sizeof(old));
    grown = realloc(old, want * size);
    if (!grown)
        return LC_E_NOMEM;
    memcpy(arrp, &grown, sizeof(grown));
    *cap = want;
    return 0;
}
