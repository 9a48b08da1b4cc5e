// Compiles the CUDA kernel sources as host C++ (g++ -DFT_HOST -include this)
// so tests can check the kernels' arithmetic against numpy on machines
// without a GPU.
//
// Two ways to run a kernel:
// - Plain kernels (`launch_<kernel>` thunks): one call with a 1x1 grid.
//   Such kernels are grid-stride loops, so one "thread" visits every element
//   in order. blockIdx/threadIdx are 0 and blockDim/gridDim 1.
// - Cooperative kernels (`coop_<kernel>` thunks, `ft_launch_blocks`): the
//   real grid and block sizes. The blocks run one after another; the
//   blockDim.x threads of a block are fibers (ucontext) on the calling
//   thread, switched at __syncthreads and at the warp-level syncs inside
//   warp shuffles. Fibers make a block deterministic and cheap on few cores,
//   and a barrier that not every live thread of its block (or warp) reaches
//   is reported as a deadlock instead of hanging. Since one block runs at a
//   time on one OS thread, `__shared__` is per-thread static storage and
//   atomics need no locking. Only 1-D blocks and grids (the .x fields).
#pragma once
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <math.h>
#include <type_traits>
#include <vector>

#define __global__
#define __device__
#define __forceinline__ inline
#define __restrict__ __restrict
#define __shared__ static thread_local
struct ft_dim3 { unsigned x, y, z; };
static thread_local ft_dim3 blockIdx = {0, 0, 0}, threadIdx = {0, 0, 0}, blockDim = {1, 1, 1}, gridDim = {1, 1, 1};
static const int warpSize = 32;

namespace ft_coop {
enum State { RUNNABLE, AT_BLOCK_BARRIER, AT_WARP_BARRIER, DONE };
const size_t STACK = 128 << 10;
struct Fiber { void *sp; State state; char *stack; };
// The block being run on this OS thread.
struct Block {
  unsigned n = 0;  // threads; 0 outside a cooperative launch
  unsigned cur = 0;
  std::vector<Fiber> fibers;  // grows to the largest block seen, stacks reused
  void *scheduler_sp = nullptr;
  void (*body)(void *) = nullptr;
  void *arg = nullptr;
  unsigned long long exchange[1024];  // a value per thread, for shuffles
};
static thread_local Block B;
}  // namespace ft_coop

// Context switch: saves the callee-saved registers on the current stack,
// stores its pointer in *save and resumes the stack `load` (ucontext's
// swapcontext would make a signal-mask syscall per switch, far slower).
extern "C" void ft_switch(void **save, void *load);
asm(R"(
.text
.p2align 4
.globl ft_switch
.hidden ft_switch
.type ft_switch,@function
ft_switch:
  pushq %rbp
  pushq %rbx
  pushq %r12
  pushq %r13
  pushq %r14
  pushq %r15
  movq %rsp, (%rdi)
  movq %rsi, %rsp
  popq %r15
  popq %r14
  popq %r13
  popq %r12
  popq %rbx
  popq %rbp
  ret
.size ft_switch, .-ft_switch
)");

namespace ft_coop {
static void fiber_main() {
  B.body(B.arg);
  Fiber &f = B.fibers[B.cur];
  f.state = DONE;
  ft_switch(&f.sp, B.scheduler_sp);  // never resumed
  abort();
}

// A fresh stack whose first switch "returns" into fiber_main.
static void *initial_sp(char *stack, unsigned i) {
  // staggered so that the stacks' hot tops do not all map to the same cache sets
  void **top = (void **)(((unsigned long long)(stack + STACK - (i % 61) * 576)) & ~15ull);
  top[-1] = nullptr;             // fiber_main's (unused) return address: entry sees rsp = 8 mod 16
  top[-2] = (void *)fiber_main;  // ft_switch's ret
  for (int k = 3; k <= 8; k++) top[-k] = nullptr;  // rbp rbx r12-r15
  return top - 8;
}

// Called by a fiber: wait at a barrier of kind `s` (no-op outside cooperative launches).
static inline void wait(State s) {
  if (B.n == 0) return;
  Fiber &f = B.fibers[B.cur];
  f.state = s;
  ft_switch(&f.sp, B.scheduler_sp);
}

// Runs every thread of block blockIdx.x to completion.
static void run_block(unsigned n) {
  if (n > 1024) { fprintf(stderr, "kernels_host: block of %u threads (max 1024)\n", n); abort(); }
  while (B.fibers.size() < n) B.fibers.push_back(Fiber{nullptr, DONE, (char *)malloc(STACK)});
  B.n = n;
  for (unsigned i = 0; i < n; i++) {
    B.fibers[i].sp = initial_sp(B.fibers[i].stack, i);
    B.fibers[i].state = RUNNABLE;
  }
  for (;;) {
    for (unsigned i = 0; i < n; i++) {
      if (B.fibers[i].state != RUNNABLE) continue;
      B.cur = i;
      threadIdx.x = i;
      ft_switch(&B.scheduler_sp, B.fibers[i].sp);
    }
    // nobody runnable: release a complete barrier
    unsigned done = 0, at_block = 0;
    bool released = false;
    for (unsigned i = 0; i < n; i++) {
      done += B.fibers[i].state == DONE;
      at_block += B.fibers[i].state == AT_BLOCK_BARRIER;
    }
    if (done == n) break;
    if (at_block + done == n) {
      for (unsigned i = 0; i < n; i++)
        if (B.fibers[i].state == AT_BLOCK_BARRIER) B.fibers[i].state = RUNNABLE;
      continue;
    }
    for (unsigned w = 0; w < n; w += 32) {
      unsigned end = w + 32 < n ? w + 32 : n, waiting = 0, live = 0;
      for (unsigned i = w; i < end; i++) {
        waiting += B.fibers[i].state == AT_WARP_BARRIER;
        live += B.fibers[i].state != DONE;
      }
      if (waiting > 0 && waiting == live) {
        for (unsigned i = w; i < end; i++)
          if (B.fibers[i].state == AT_WARP_BARRIER) B.fibers[i].state = RUNNABLE;
        released = true;
      }
    }
    if (!released) {
      fprintf(stderr, "kernels_host: deadlock in block %u: %u of %u threads at __syncthreads, %u done, the rest at a warp sync\n",
              blockIdx.x, at_block, n, done);
      abort();
    }
  }
  B.n = 0;
}
}  // namespace ft_coop

// Runs body() as every thread of a grid x block launch.
template <typename F> static void ft_launch_blocks(unsigned grid, unsigned block, F &&body) {
  typedef typename std::remove_reference<F>::type Fn;
  ft_coop::B.body = [](void *a) { (*(Fn *)a)(); };
  ft_coop::B.arg = (void *)&body;
  gridDim = {grid, 1, 1};
  blockDim = {block, 1, 1};
  for (unsigned b = 0; b < grid; b++) {
    blockIdx.x = b;
    ft_coop::run_block(block);
  }
  blockIdx = {0, 0, 0}, threadIdx = {0, 0, 0}, blockDim = {1, 1, 1}, gridDim = {1, 1, 1};
}

static inline void __syncthreads() { ft_coop::wait(ft_coop::AT_BLOCK_BARRIER); }
static inline void __syncwarp(unsigned = 0xffffffffu) { ft_coop::wait(ft_coop::AT_WARP_BARRIER); }
static inline void __threadfence() {}
// Shuffles: every live lane of the warp must call them (full masks). A lane
// reading outside its `width` segment or past the block gets its own value.
template <typename T> static inline T ft_shfl(T v, int src_lane, int width) {
  static_assert(sizeof(T) <= 8, "shuffle of a value wider than 8 bytes");
  const unsigned tid = threadIdx.x, lane = tid % 32, seg = lane / width * width;
  std::memcpy(&ft_coop::B.exchange[tid], &v, sizeof(T));
  __syncwarp();
  T r = v;
  const unsigned src = tid - lane + seg + (unsigned)src_lane;
  if (src_lane >= 0 && src_lane < width && src < ft_coop::B.n) std::memcpy(&r, &ft_coop::B.exchange[src], sizeof(T));
  __syncwarp();  // every lane has read before the next shuffle writes
  return r;
}
template <typename T> static inline T __shfl_sync(unsigned, T v, int lane, int width = 32) {
  return ft_shfl(v, lane % width, width);
}
template <typename T> static inline T __shfl_down_sync(unsigned, T v, unsigned d, int width = 32) {
  return ft_shfl(v, (int)(threadIdx.x % 32 % width + d), width);
}
template <typename T> static inline T __shfl_up_sync(unsigned, T v, unsigned d, int width = 32) {
  return ft_shfl(v, (int)(threadIdx.x % 32 % width) - (int)d, width);
}
template <typename T> static inline T __shfl_xor_sync(unsigned, T v, int m, int width = 32) {
  return ft_shfl(v, (int)(threadIdx.x % 32 % width) ^ m, width);
}

static inline unsigned __umulhi(unsigned a, unsigned b) {
  return (unsigned)(((unsigned long long)a * b) >> 32);
}
static inline float __uint_as_float(unsigned u) { float f; std::memcpy(&f, &u, 4); return f; }
static inline unsigned __float_as_uint(float f) { unsigned u; std::memcpy(&u, &f, 4); return u; }
static inline float h2f(unsigned short h) { _Float16 x; std::memcpy(&x, &h, 2); return (float)x; }
static inline unsigned short f2h(float f) { _Float16 x = (_Float16)f; unsigned short h; std::memcpy(&h, &x, 2); return h; }
static inline unsigned short d2h(double d) { _Float16 x = (_Float16)d; unsigned short h; std::memcpy(&h, &x, 2); return h; }
// CUDA's erfinv has no libm twin: Newton steps on erf from a rough start.
static inline double erfinv(double y) {
  if (y <= -1) return y == -1 ? -INFINITY : NAN;
  if (y >= 1) return y == 1 ? INFINITY : NAN;
  double w = -std::log((1 - y) * (1 + y)), x = std::copysign(std::sqrt(w), y) * 0.9;
  for (int i = 0; i < 60; i++) x -= (std::erf(x) - y) / (1.1283791670955126 * std::exp(-x * x));
  return x;
}
static inline float erfinv(float y) { return (float)erfinv((double)y); }
// Atomics: one OS thread runs a launch (fibers switch only at syncs).
template <typename T> static inline T atomicAdd(T *p, T v) { T old = *p; *p = old + v; return old; }
static inline unsigned atomicCAS(unsigned *p, unsigned cmp, unsigned v) { unsigned old = *p; if (old == cmp) *p = v; return old; }
