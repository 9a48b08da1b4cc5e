#include "elementwise.cuh"
INSTANTIATE(int, i32)
