/* Growable arrays of elements (bytes grow in core/buf.h). The caller keeps the element count and
 * the capacity side by side; the capacity doubles, so n appends copy O(n) elements in all, not
 * O(n^2) as growing by one element at a time would. */
#ifndef LC_ARRAY_H
#define LC_ARRAY_H

#include <stddef.h>

#define LC_ARRAY_MIN 8 /* the capacity of an array's first allocation */

/* Make room for one more element in an array of n elements of size bytes with capacity *cap
 * (n <= *cap). arrp is the address of the array pointer (a T ** passed as void *, so any element
 * type fits; NULL with *cap 0 is an empty array). When n < *cap nothing changes; otherwise the
 * capacity doubles (LC_ARRAY_MIN at first) and the array may move. 0; LC_E_NOMEM when the memory
 * cannot be had or the new capacity in bytes would not fit in a size_t; LC_E_INVALID when size is
 * 0. On failure the array, its elements and *cap are unchanged. */
int lc_array_grow(void *arrp, size_t n, size_t *cap, size_t size);

/* lc_array_grow for the array arr (a T * lvalue) with its count n and capacity cap (cap a size_t
 * lvalue); the element size comes from arr's type. */
#define LC_ARRAY_GROW(arr, n, cap) lc_array_grow(&(arr), (n), &(cap), sizeof(*(arr)))

#endif
