#include "elementwise.cuh"
INSTANTIATE(short, i16)
