// Fused optimizer updates, element by element in the parameter's dtype:
// the same formulas as ferrotorch_core::optim (PyTorch's single-tensor
// paths). One launch per parameter; per-step scalars come from the host.
#include "common.cuh"

enum Algo { SGD, ADAM, RMSPROP, ADAGRAD, ADADELTA, ADAMAX, NADAM, RADAM };

// Hyperparameters and this step's coefficients (ferrotorch_core::optim::Coef).
struct Hyper {
  double lr, weight_decay, momentum, dampening, beta1, beta2, eps, alpha, rho;
  double a, b, c, d;
  int maximize, nesterov, amsgrad, centered, decoupled, fresh;
};

template <typename T>
__device__ __forceinline__ void update(i64 n, int algo, const Hyper &h, T *__restrict__ p,
                                       const T *__restrict__ grad, T *__restrict__ s0,
                                       T *__restrict__ s1, T *__restrict__ s2) {
  for (i64 i = (i64)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += (i64)gridDim.x * blockDim.x) {
    T g = h.maximize ? -grad[i] : grad[i];
    T x = p[i];
    // weight decay before the moments: L2 into the grad, or decoupled (AdamW)
    const bool decoupled = h.decoupled && (algo == ADAM || algo == NADAM || algo == RADAM);
    if (h.weight_decay != 0) {
      if (decoupled) x = x * (T)(1 - h.lr * h.weight_decay);
      else g += (T)h.weight_decay * x;
    }
    switch (algo) {
      case SGD:
        if (h.momentum != 0) {
          s0[i] = h.fresh ? g : (T)h.momentum * s0[i] + (T)(1 - h.dampening) * g;
          g = h.nesterov ? g + (T)h.momentum * s0[i] : s0[i];
        }
        x = x - (T)h.lr * g;
        break;
      case ADAM: {
        s0[i] = s0[i] + (g - s0[i]) * (T)(1 - h.beta1);
        s1[i] = (T)h.beta2 * s1[i] + (T)(1 - h.beta2) * g * g;
        T vv = s1[i];
        if (h.amsgrad) {
          if (s1[i] > s2[i] || s1[i] != s1[i]) s2[i] = s1[i];
          vv = s2[i];
        }
        const T denom = sqrt(vv) / (T)h.b + (T)h.eps;
        x = x - (T)h.a * (s0[i] / denom);
        break;
      }
      case RMSPROP: {
        s0[i] = (T)h.alpha * s0[i] + (T)(1 - h.alpha) * g * g;
        T avg;
        if (h.centered) {
          T *ga = h.momentum > 0 ? s2 : s1;
          ga[i] = ga[i] + (g - ga[i]) * (T)(1 - h.alpha);
          avg = sqrt(s0[i] - ga[i] * ga[i]) + (T)h.eps;
        } else {
          avg = sqrt(s0[i]) + (T)h.eps;
        }
        if (h.momentum > 0) {
          s1[i] = (T)h.momentum * s1[i] + g / avg;
          x = x - (T)h.lr * s1[i];
        } else {
          x = x - (T)h.lr * (g / avg);
        }
        break;
      }
      case ADAGRAD:
        s0[i] += g * g;
        x = x - (T)h.a * (g / (sqrt(s0[i]) + (T)h.eps));
        break;
      case ADADELTA: {
        s0[i] = (T)h.rho * s0[i] + (T)(1 - h.rho) * g * g;
        const T delta = sqrt(s1[i] + (T)h.eps) / sqrt(s0[i] + (T)h.eps) * g;
        s1[i] = (T)h.rho * s1[i] + (T)(1 - h.rho) * delta * delta;
        x = x - (T)h.lr * delta;
        break;
      }
      case ADAMAX: {
        s0[i] = s0[i] + (g - s0[i]) * (T)(1 - h.beta1);
        const T a = fabs(g) + (T)h.eps, b = s1[i] * (T)h.beta2;
        s1[i] = (b > a || b != b) ? b : a;
        x = x - (T)h.a * (s0[i] / s1[i]);
        break;
      }
      case NADAM: {
        s0[i] = s0[i] + (g - s0[i]) * (T)(1 - h.beta1);
        s1[i] = (T)h.beta2 * s1[i] + (T)(1 - h.beta2) * g * g;
        const T denom = sqrt(s1[i] / (T)h.c) + (T)h.eps;
        x = x - (T)h.a * (g / denom);
        x = x - (T)h.b * (s0[i] / denom);
        break;
      }
      case RADAM: {
        s0[i] = s0[i] + (g - s0[i]) * (T)(1 - h.beta1);
        s1[i] = (T)h.beta2 * s1[i] + (T)(1 - h.beta2) * g * g;
        const T corrected = s0[i] * (T)h.a;
        if (h.d != 0) x = x - corrected * ((T)h.b / (sqrt(s1[i]) + (T)h.eps)) * (T)h.c;
        else x = x - corrected;
        break;
      }
    }
    p[i] = x;
  }
}

extern "C" __global__ void optim_f32(i64 n, int algo, Hyper h, float *p, const float *g, float *s0,
                                     float *s1, float *s2) {
  update<float>(n, algo, h, p, g, s0, s1, s2);
}
extern "C" __global__ void optim_f64(i64 n, int algo, Hyper h, double *p, const double *g,
                                     double *s0, double *s1, double *s2) {
  update<double>(n, algo, h, p, g, s0, s1, s2);
}
