#include "elementwise.cuh"
INSTANTIATE(float, f32)
