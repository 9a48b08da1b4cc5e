#include "elementwise.cuh"
// bool is stored as one byte 0/1; its ops run as u8 (the host maps them).
INSTANTIATE(unsigned char, u8)
