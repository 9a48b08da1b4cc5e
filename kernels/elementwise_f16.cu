#include "elementwise.cuh"
INSTANTIATE(half_t, f16)
