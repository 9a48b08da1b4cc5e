#include "elementwise.cuh"
INSTANTIATE(double, f64)
