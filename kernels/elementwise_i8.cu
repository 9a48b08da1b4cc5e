#include "elementwise.cuh"
INSTANTIATE(signed char, i8)
