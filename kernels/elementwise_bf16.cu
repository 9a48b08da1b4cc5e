#include "elementwise.cuh"
INSTANTIATE(bf16_t, bf16)
