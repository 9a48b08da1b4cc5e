// Every kernel of kernels/*.cu built for the host in one library (with
// tests/kernels_host.h), plus `launch_<kernel>(void **params)` entry points
// that unpack a cuLaunchKernel-style parameter array. Used by
// tests/test_cuda_kernels_host.py directly and, through
// FERROTORCH_CUDA_EMULATOR, by the Rust backend's host emulator.
#include "elementwise_u8.cu"
#include "elementwise_i8.cu"
#include "elementwise_i16.cu"
#include "elementwise_i32.cu"
#include "elementwise_i64.cu"
#include "elementwise_f16.cu"
#include "elementwise_bf16.cu"
#include "elementwise_f32.cu"
#include "elementwise_f64.cu"
#include "random.cu"
#include "reduce.cu"
#include "index.cu"
#include "compact.cu"
#include "optim.cu"
#include "conv.cu"
#include "pool.cu"
#include "softmax.cu"
#include "sort.cu"

#define ARG(T, k) (*(T *)p[k])
// A kernel whose threads cooperate: run on the launch's grid x block threads.
#define COOP(NAME, CALL) \
  extern "C" void coop_##NAME(void **p, unsigned grid, unsigned block) { ft_launch_blocks(grid, block, [&] { CALL; }); }
#define THUNKS(S, NAME)                                                                          \
  extern "C" void launch_binary_##NAME(void **p) {                                               \
    binary_##NAME(ARG(Geo, 0), ARG(int, 1), ARG(void *, 2), ARG(const S *, 3), ARG(const S *, 4), \
                  ARG(u64, 5), ARG(u64, 6), ARG(int, 7));                                        \
  }                                                                                              \
  extern "C" void launch_unary_##NAME(void **p) {                                                \
    unary_##NAME(ARG(Geo, 0), ARG(int, 1), ARG(void *, 2), ARG(const S *, 3));                   \
  }                                                                                              \
  extern "C" void launch_where_##NAME(void **p) {                                                \
    where_##NAME(ARG(Geo, 0), ARG(S *, 1), ARG(const unsigned char *, 2), ARG(const S *, 3),     \
                 ARG(const S *, 4), ARG(u64, 5), ARG(u64, 6), ARG(int, 7));                      \
  }                                                                                              \
  extern "C" void launch_cast_##NAME(void **p) {                                                 \
    cast_##NAME(ARG(Geo, 0), ARG(int, 1), ARG(void *, 2), ARG(const S *, 3));                    \
  }                                                                                              \
  extern "C" void launch_fill_##NAME(void **p) { fill_##NAME(ARG(Geo, 0), ARG(S *, 1), ARG(u64, 2)); } \
  COOP(reduce_##NAME, reduce_##NAME(ARG(RGeo, 0), ARG(int, 1), ARG(int, 2), ARG(void *, 3), ARG(const S *, 4))) \
  COOP(reduce_partials_##NAME,                                                                   \
       reduce_partials_##NAME(ARG(RGeo, 0), ARG(int, 1), ARG(int, 2), ARG(void *, 3), ARG(const void *, 4))) \
  extern "C" void launch_scan_##NAME(void **p) {                                                 \
    scan_##NAME(ARG(i64, 0), ARG(i64, 1), ARG(i64, 2), ARG(i64, 3), ARG(int, 4), ARG(S *, 5),      \
                ARG(const S *, 6), ARG(const Acc64 *, 7));                                       \
  }                                                                                              \
  extern "C" void launch_scan_totals_##NAME(void **p) {                                          \
    scan_totals_##NAME(ARG(i64, 0), ARG(i64, 1), ARG(i64, 2), ARG(i64, 3), ARG(int, 4),          \
                       ARG(Acc64 *, 5), ARG(const S *, 6));                                      \
  }                                                                                              \
  extern "C" void launch_scan_carry_##NAME(void **p) {                                           \
    scan_carry_##NAME(ARG(i64, 0), ARG(i64, 1), ARG(int, 2), ARG(Acc64 *, 3));                   \
  }                                                                                              \
  extern "C" void launch_gather_##NAME(void **p) {                                               \
    gather_##NAME(ARG(Geo, 0), ARG(S *, 1), ARG(const i64 *, 2), ARG(const S *, 3), ARG(i64, 4),  \
                  ARG(i64, 5), ARG(int *, 6));                                                   \
  }                                                                                              \
  extern "C" void launch_scatter_##NAME(void **p) {                                              \
    scatter_##NAME(ARG(Geo, 0), ARG(S *, 1), ARG(const i64 *, 2), ARG(const S *, 3), ARG(i64, 4), \
                   ARG(i64, 5), ARG(u64, 6), ARG(int, 7), ARG(int *, 8));                        \
  }                                                                                              \
  extern "C" void launch_sort_init_##NAME(void **p) {                                            \
    sort_init_##NAME(ARG(i64, 0), ARG(i64, 1), ARG(i64, 2), ARG(i64, 3), ARG(const S *, 4),       \
                     ARG(S *, 5), ARG(i64 *, 6));                                                \
  }                                                                                              \
  extern "C" void launch_sort_step_##NAME(void **p) {                                            \
    sort_step_##NAME(ARG(i64, 0), ARG(i64, 1), ARG(i64, 2), ARG(i64, 3), ARG(i64, 4), ARG(int, 5), \
                     ARG(S *, 6), ARG(i64 *, 7));                                                \
  }                                                                                              \
  extern "C" void launch_sort_finish_##NAME(void **p) {                                          \
    sort_finish_##NAME(ARG(i64, 0), ARG(i64, 1), ARG(i64, 2), ARG(i64, 3), ARG(const S *, 4),     \
                       ARG(const i64 *, 5), ARG(S *, 6), ARG(i64 *, 7));                         \
  }                                                                                              \
  extern "C" void launch_unique_flags_##NAME(void **p) {                                         \
    unique_flags_##NAME(ARG(i64, 0), ARG(const S *, 1), ARG(i64 *, 2));                          \
  }                                                                                              \
  extern "C" void launch_unique_scatter_##NAME(void **p) {                                       \
    unique_scatter_##NAME(ARG(i64, 0), ARG(const S *, 1), ARG(const i64 *, 2), ARG(const i64 *, 3), \
                          ARG(S *, 4), ARG(i64 *, 5), ARG(i64 *, 6));                            \
  }                                                                                              \
  extern "C" void launch_index_gather_##NAME(void **p) {                                         \
    index_gather_##NAME(ARG(Geo, 0), ARG(S *, 1), ARG(const i64 *, 2), ARG(const S *, 3));      \
  }                                                                                              \
  extern "C" void launch_index_put_##NAME(void **p) {                                            \
    index_put_##NAME(ARG(Geo, 0), ARG(S *, 1), ARG(const i64 *, 2), ARG(const S *, 3), ARG(int, 4)); \
  }                                                                                              \
  extern "C" void launch_masked_compact_##NAME(void **p) {                                       \
    masked_compact_##NAME(ARG(Geo, 0), ARG(i64, 1), ARG(i64, 2), ARG(const i64 *, 3),            \
                          ARG(const S *, 4), ARG(const unsigned char *, 5), ARG(S *, 6), ARG(i64, 7)); \
  }                                                                                              \
  extern "C" void launch_masked_expand_##NAME(void **p) {                                        \
    masked_expand_##NAME(ARG(Geo, 0), ARG(i64, 1), ARG(i64, 2), ARG(const i64 *, 3), ARG(S *, 4), \
                         ARG(const unsigned char *, 5), ARG(const S *, 6), ARG(i64, 7), ARG(int *, 8)); \
  }

THUNKS(unsigned char, u8)
THUNKS(signed char, i8)
THUNKS(short, i16)
THUNKS(int, i32)
THUNKS(i64, i64)
THUNKS(half_t, f16)
THUNKS(bf16_t, bf16)
THUNKS(float, f32)
THUNKS(double, f64)

extern "C" void launch_uniform(void **p) {
  uniform(ARG(i64, 0), ARG(int, 1), ARG(void *, 2), ARG(u64, 3), ARG(u64, 4), ARG(double, 5),
          ARG(double, 6), ARG(double, 7));
}
extern "C" void launch_normal(void **p) {
  normal(ARG(i64, 0), ARG(int, 1), ARG(void *, 2), ARG(u64, 3), ARG(u64, 4), ARG(double, 5),
         ARG(double, 6));
}
extern "C" void launch_integers(void **p) {
  integers(ARG(i64, 0), ARG(int, 1), ARG(void *, 2), ARG(u64, 3), ARG(u64, 4), ARG(i64, 5),
           ARG(u64, 6));
}
extern "C" void launch_optim_f32(void **p) {
  optim_f32(ARG(i64, 0), ARG(int, 1), ARG(Hyper, 2), ARG(float *, 3), ARG(const float *, 4),
            ARG(float *, 5), ARG(float *, 6), ARG(float *, 7));
}
extern "C" void launch_optim_f64(void **p) {
  optim_f64(ARG(i64, 0), ARG(int, 1), ARG(Hyper, 2), ARG(double *, 3), ARG(const double *, 4),
            ARG(double *, 5), ARG(double *, 6), ARG(double *, 7));
}

#define CONV_THUNKS(S, NAME)                                                                          \
  extern "C" void launch_im2col_##NAME(void **p) { im2col_##NAME(ARG(CGeo, 0), ARG(S *, 1), ARG(const S *, 2)); } \
  extern "C" void launch_col2im_##NAME(void **p) { col2im_##NAME(ARG(CGeo, 0), ARG(S *, 1), ARG(const S *, 2)); }
CONV_THUNKS(float, f32)
CONV_THUNKS(double, f64)

#define POOL_THUNKS(S, NAME)                                                                           \
  extern "C" void launch_max_pool_##NAME(void **p) {                                                   \
    max_pool_##NAME(ARG(PGeo, 0), ARG(S *, 1), ARG(i64 *, 2), ARG(const S *, 3));                      \
  }                                                                                                    \
  extern "C" void launch_avg_pool_##NAME(void **p) { avg_pool_##NAME(ARG(PGeo, 0), ARG(S *, 1), ARG(const S *, 2)); } \
  extern "C" void launch_avg_pool_backward_##NAME(void **p) {                                          \
    avg_pool_backward_##NAME(ARG(PGeo, 0), ARG(S *, 1), ARG(const S *, 2));                            \
  }                                                                                                    \
  extern "C" void launch_max_pool_backward_##NAME(void **p) {                                          \
    max_pool_backward_##NAME(ARG(PGeo, 0), ARG(S *, 1), ARG(const S *, 2), ARG(const i64 *, 3));       \
  }
POOL_THUNKS(half_t, f16)
POOL_THUNKS(bf16_t, bf16)
POOL_THUNKS(float, f32)
POOL_THUNKS(double, f64)
#define SOFTMAX_THUNKS(S, NAME)                                                                  \
  COOP(softmax_##NAME, softmax_##NAME(ARG(SGeo, 0), ARG(int, 1), ARG(S *, 2), ARG(const S *, 3))) \
  COOP(softmax_backward_##NAME, softmax_backward_##NAME(ARG(SGeo, 0), ARG(int, 1), ARG(S *, 2),  \
                                                        ARG(const S *, 3), ARG(const S *, 4)))
SOFTMAX_THUNKS(half_t, f16)
SOFTMAX_THUNKS(bf16_t, bf16)
SOFTMAX_THUNKS(float, f32)
SOFTMAX_THUNKS(double, f64)
extern "C" void launch_adv_offset(void **p) {
  adv_offset(ARG(Geo, 0), ARG(i64 *, 1), ARG(const i64 *, 2), ARG(i64, 3), ARG(i64, 4), ARG(int, 5),
             ARG(int *, 6));
}
extern "C" void launch_compact_count(void **p) {
  compact_count(ARG(Geo, 0), ARG(i64, 1), ARG(i64, 2), ARG(const unsigned char *, 3), ARG(i64 *, 4));
}
extern "C" void launch_compact_scan(void **p) { compact_scan(ARG(i64, 0), ARG(i64 *, 1)); }
extern "C" void launch_nonzero_coords(void **p) {
  nonzero_coords(ARG(Dims, 0), ARG(i64, 1), ARG(i64, 2), ARG(i64, 3), ARG(const unsigned char *, 4),
                 ARG(const i64 *, 5), ARG(i64 *, 6));
}
