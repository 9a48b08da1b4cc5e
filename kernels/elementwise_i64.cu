#include "elementwise.cuh"
INSTANTIATE(i64, i64)
