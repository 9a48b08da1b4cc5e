//! Fused optimizer updates: one call updates every parameter of a group in
//! place, element by element, with PyTorch's formulas (the single-tensor
//! `_single_tensor_*` paths of torch.optim), in the parameter's dtype.
//!
//! Per-parameter state is a list of tensors in a fixed order per algorithm
//! (see [`Algo::state_len`]); scalar state (`step`, NAdam's `mu_product`) is a
//! 0-d tensor, as in PyTorch's state_dict, and is advanced here.

use crate::cpu::{Real, SendPtr};
use crate::{bail, DType, Result, Scalar, Tensor};

/// The update rule and its hyperparameters other than lr / weight decay.
#[derive(Clone, Debug, PartialEq)]
pub enum Algo {
    /// state: [momentum_buffer] when momentum != 0
    Sgd {
        momentum: f64,
        dampening: f64,
        nesterov: bool,
    },
    /// state: [step, exp_avg, exp_avg_sq, (max_exp_avg_sq)]; `decoupled` is AdamW
    Adam {
        beta1: f64,
        beta2: f64,
        eps: f64,
        amsgrad: bool,
        decoupled: bool,
    },
    /// state: [step, square_avg, (momentum_buffer), (grad_avg)]
    RmsProp {
        alpha: f64,
        eps: f64,
        momentum: f64,
        centered: bool,
    },
    /// state: [step, sum]
    Adagrad { lr_decay: f64, eps: f64 },
    /// state: [step, square_avg, acc_delta]
    Adadelta { rho: f64, eps: f64 },
    /// state: [step, exp_avg, exp_inf]
    Adamax { beta1: f64, beta2: f64, eps: f64 },
    /// state: [step, mu_product, exp_avg, exp_avg_sq]
    NAdam {
        beta1: f64,
        beta2: f64,
        eps: f64,
        momentum_decay: f64,
        decoupled: bool,
    },
    /// state: [step, exp_avg, exp_avg_sq]
    RAdam {
        beta1: f64,
        beta2: f64,
        eps: f64,
        decoupled: bool,
    },
}

/// Hyperparameters every rule shares.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Common {
    pub lr: f64,
    pub weight_decay: f64,
    pub maximize: bool,
}

impl Algo {
    /// Number of state tensors per parameter.
    pub fn state_len(&self) -> usize {
        match self {
            Algo::Sgd { momentum, .. } => usize::from(*momentum != 0.0),
            Algo::Adam { amsgrad, .. } => 3 + usize::from(*amsgrad),
            Algo::RmsProp {
                momentum, centered, ..
            } => 2 + usize::from(*momentum > 0.0) + usize::from(*centered),
            Algo::Adagrad { .. } => 2,
            Algo::Adadelta { .. } | Algo::Adamax { .. } | Algo::RAdam { .. } => 3,
            Algo::NAdam { .. } => 4,
        }
    }
    /// Leading 0-d scalar states (step, mu_product) before the elementwise ones.
    fn scalars(&self) -> usize {
        match self {
            Algo::Sgd { .. } => 0,
            Algo::NAdam { .. } => 2,
            _ => 1,
        }
    }
}

fn read(t: &Tensor) -> Result<f64> {
    Ok(t.item()?.to_f64())
}
fn write(t: &Tensor, v: f64) -> Result<()> {
    crate::autograd::no_grad(|| t.copy_(&Tensor::scalar(Scalar::Float(v), t.dtype())))
}

/// Per-step scalars of one parameter, computed once (PyTorch computes them in
/// Python floats, i.e. f64).
#[derive(Clone, Copy, Default)]
pub(crate) struct Coef {
    pub a: f64,
    pub b: f64,
    pub c: f64,
    pub d: f64,
}

/// Advances the scalar state and returns the step's coefficients.
fn coefficients(algo: &Algo, c: &Common, scalars: &[Tensor]) -> Result<Coef> {
    let step = match scalars.first() {
        Some(s) => {
            let t = read(s)? + 1.0;
            write(s, t)?;
            t
        }
        None => 0.0,
    };
    Ok(match *algo {
        Algo::Adam { beta1, beta2, .. } => {
            // step_size = lr / bc1, denominators divide by sqrt(bc2)
            Coef {
                a: c.lr / (1.0 - beta1.powf(step)),
                b: (1.0 - beta2.powf(step)).sqrt(),
                ..Coef::default()
            }
        }
        Algo::Adagrad { lr_decay, .. } => Coef {
            a: c.lr / (1.0 + (step - 1.0) * lr_decay),
            ..Coef::default()
        },
        Algo::Adamax { beta1, .. } => Coef {
            a: c.lr / (1.0 - beta1.powf(step)),
            ..Coef::default()
        },
        Algo::NAdam {
            beta1,
            beta2,
            momentum_decay,
            ..
        } => {
            let mu = beta1 * (1.0 - 0.5 * 0.96f64.powf(step * momentum_decay));
            let mu_next = beta1 * (1.0 - 0.5 * 0.96f64.powf((step + 1.0) * momentum_decay));
            let prod = read(&scalars[1])? * mu;
            write(&scalars[1], prod)?;
            Coef {
                a: c.lr * (1.0 - mu) / (1.0 - prod),
                b: c.lr * mu_next / (1.0 - prod * mu_next),
                c: 1.0 - beta2.powf(step),
                d: 0.0,
            }
        }
        Algo::RAdam { beta1, beta2, .. } => {
            let bc1 = 1.0 - beta1.powf(step);
            let bc2 = 1.0 - beta2.powf(step);
            let rho_inf = 2.0 / (1.0 - beta2) - 1.0;
            let rho_t = rho_inf - 2.0 * step * beta2.powf(step) / bc2;
            // rectified only once the variance estimate is tractable (rho_t > 5)
            let rect = if rho_t > 5.0 {
                ((rho_t - 4.0) * (rho_t - 2.0) * rho_inf
                    / ((rho_inf - 4.0) * (rho_inf - 2.0) * rho_t))
                    .sqrt()
            } else {
                0.0
            };
            Coef {
                a: c.lr / bc1,
                b: bc2.sqrt(),
                c: rect,
                d: f64::from(u8::from(rho_t > 5.0)),
            }
        }
        _ => Coef::default(),
    })
}

/// Applies one update to every parameter: `grads[i]` is the gradient of
/// `params[i]`, `state[i]` its state tensors (see [`Algo`]); `first[i]` marks
/// a fresh SGD momentum buffer, which starts as the gradient itself.
pub fn step(
    algo: &Algo,
    c: &Common,
    params: &[Tensor],
    grads: &[Tensor],
    state: &[Vec<Tensor>],
    first: &[bool],
) -> Result<()> {
    if grads.len() != params.len() || state.len() != params.len() {
        bail!(
            value,
            "optimizer step: {} params, {} grads and {} states",
            params.len(),
            grads.len(),
            state.len()
        );
    }
    for (i, p) in params.iter().enumerate() {
        let g = &grads[i];
        let st = &state[i];
        if st.len() != algo.state_len() {
            bail!(
                value,
                "optimizer step: parameter {i} has {} state tensors, expected {}",
                st.len(),
                algo.state_len()
            );
        }
        crate::ops::check_same_device(&[p, g])?;
        if g.shape() != p.shape() || g.dtype() != p.dtype() {
            bail!(
                runtime,
                "optimizer step: grad of shape {:?} ({}) for a parameter of shape {:?} ({})",
                g.shape(),
                g.dtype().name(),
                p.shape(),
                p.dtype().name()
            );
        }
        let (scalars, bufs) = st.split_at(algo.scalars());
        for b in bufs {
            if b.shape() != p.shape() || b.dtype() != p.dtype() || !b.is_contiguous() || b.device() != p.device() {
                bail!(runtime, "optimizer step: state tensor of shape {:?} ({}, {}) does not match its parameter {:?} ({}, {})", b.shape(), b.dtype().name(), b.device(), p.shape(), p.dtype().name(), p.device());
            }
        }
        let coef = coefficients(algo, c, scalars)?;
        // Work on contiguous data; a strided parameter is updated through a copy.
        let pc = if p.is_contiguous() {
            p.clone()
        } else {
            p.contiguous()?
        };
        let gc = g.contiguous()?;
        let fresh = first.get(i).copied().unwrap_or(false);
        match p.dtype() {
            _ if p.is_cuda() => crate::cuda::optim::update(algo, c, coef, &pc, &gc, bufs, fresh)?,
            DType::F32 => update::<f32>(algo, c, coef, &pc, &gc, bufs, fresh),
            DType::F64 => update::<f64>(algo, c, coef, &pc, &gc, bufs, fresh),
            d => bail!(
                not_implemented,
                "fused optimizer step is not implemented for '{}' parameters",
                d.legacy_name()
            ),
        }
        if !pc.same_tensor(p) {
            crate::autograd::no_grad(|| p.copy_(&pc))?;
        }
        p.bump_version();
        bufs.iter().for_each(Tensor::bump_version);
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
fn update<T: Real>(
    algo: &Algo,
    c: &Common,
    k: Coef,
    p: &Tensor,
    g: &Tensor,
    bufs: &[Tensor],
    fresh: bool,
) {
    let n = p.numel();
    // SAFETY: every pointer addresses n contiguous elements of dtype T; each
    // chunk touches only its own index range.
    let (pp, gp) = (
        SendPtr(unsafe { p.ptr::<T>() }),
        SendPtr(unsafe { g.ptr::<T>() }),
    );
    let sp: Vec<SendPtr<T>> = bufs
        .iter()
        .map(|b| SendPtr(unsafe { b.ptr::<T>() }))
        .collect();
    let t = |v: f64| T::from_f64(v);
    let (lr, wd, maximize) = (c.lr, c.weight_decay, c.maximize);
    let sqrt = |v: T| T::from_f64(v.to_f64().sqrt());
    // One loop per rule (the match stays outside), so each loop is a
    // straight-line body the compiler can vectorise.
    let s = |j: usize, i: usize| unsafe { sp[j].get().add(i) };
    // weight decay, PyTorch's order: before the moments; L2 (into the grad) or decoupled (AdamW)
    let decay = |p: *mut T, g: &mut T, decoupled: bool| unsafe {
        if wd != 0.0 {
            if decoupled {
                *p = *p * t(1.0 - lr * wd);
            } else {
                *g += t(wd) * *p;
            }
        }
    };
    // Adam-style first and second moment updates
    let moments = |m: *mut T, v: *mut T, g: T, beta1: f64, beta2: f64| unsafe {
        *m = *m + (g - *m) * t(1.0 - beta1);
        *v = t(beta2) * *v + t(1.0 - beta2) * g * g;
    };
    macro_rules! each {
        (|$p:ident, $g:ident, $i:ident| $body:block) => {
            crate::iter::parallel_ranges(n, |start, end| unsafe {
                for $i in start..end {
                    let $p = pp.get().add($i);
                    let mut $g = *gp.get().add($i);
                    if maximize {
                        $g = T::ZERO - $g;
                    }
                    $body
                }
            })
        };
    }
    match *algo {
        Algo::Sgd {
            momentum,
            dampening,
            nesterov,
        } => each!(|p, g, i| {
            decay(p, &mut g, false);
            if momentum != 0.0 {
                let b = s(0, i);
                *b = if fresh {
                    g
                } else {
                    t(momentum) * *b + t(1.0 - dampening) * g
                };
                g = if nesterov { g + t(momentum) * *b } else { *b };
            }
            *p = *p - t(lr) * g;
        }),
        Algo::Adam {
            beta1,
            beta2,
            eps,
            amsgrad,
            decoupled,
        } => each!(|p, g, i| {
            decay(p, &mut g, decoupled);
            let (m, v) = (s(0, i), s(1, i));
            moments(m, v, g, beta1, beta2);
            let vv = if amsgrad {
                let vm = s(2, i);
                if *v > *vm || v.read().is_nan() {
                    *vm = *v;
                }
                *vm
            } else {
                *v
            };
            let denom = sqrt(vv) / t(k.b) + t(eps);
            *p = *p - t(k.a) * (*m / denom);
        }),
        Algo::RmsProp {
            alpha,
            eps,
            momentum,
            centered,
        } => each!(|p, g, i| {
            decay(p, &mut g, false);
            let sq = s(0, i);
            *sq = t(alpha) * *sq + t(1.0 - alpha) * g * g;
            let avg = if centered {
                let ga = s(if momentum > 0.0 { 2 } else { 1 }, i);
                *ga = *ga + (g - *ga) * t(1.0 - alpha);
                sqrt(*sq - *ga * *ga) + t(eps)
            } else {
                sqrt(*sq) + t(eps)
            };
            if momentum > 0.0 {
                let b = s(1, i);
                *b = t(momentum) * *b + g / avg;
                *p = *p - t(lr) * *b;
            } else {
                *p = *p - t(lr) * (g / avg);
            }
        }),
        Algo::Adagrad { eps, .. } => each!(|p, g, i| {
            decay(p, &mut g, false);
            let sum = s(0, i);
            *sum += g * g;
            *p = *p - t(k.a) * (g / (sqrt(*sum) + t(eps)));
        }),
        Algo::Adadelta { rho, eps } => each!(|p, g, i| {
            decay(p, &mut g, false);
            let (sq, acc) = (s(0, i), s(1, i));
            *sq = t(rho) * *sq + t(1.0 - rho) * g * g;
            let delta = sqrt(*acc + t(eps)) / sqrt(*sq + t(eps)) * g;
            *acc = t(rho) * *acc + t(1.0 - rho) * delta * delta;
            *p = *p - t(lr) * delta;
        }),
        Algo::Adamax { beta1, beta2, eps } => each!(|p, g, i| {
            decay(p, &mut g, false);
            let (m, u) = (s(0, i), s(1, i));
            *m = *m + (g - *m) * t(1.0 - beta1);
            let a = t(g.to_f64().abs()) + t(eps);
            let b = *u * t(beta2);
            *u = if b > a || b.is_nan() { b } else { a };
            *p = *p - t(k.a) * (*m / *u);
        }),
        Algo::NAdam {
            beta1,
            beta2,
            eps,
            decoupled,
            ..
        } => each!(|p, g, i| {
            decay(p, &mut g, decoupled);
            let (m, v) = (s(0, i), s(1, i));
            moments(m, v, g, beta1, beta2);
            let denom = sqrt(*v / t(k.c)) + t(eps);
            *p = *p - t(k.a) * (g / denom);
            *p = *p - t(k.b) * (*m / denom);
        }),
        Algo::RAdam {
            beta1,
            beta2,
            eps,
            decoupled,
        } => each!(|p, g, i| {
            decay(p, &mut g, decoupled);
            let (m, v) = (s(0, i), s(1, i));
            moments(m, v, g, beta1, beta2);
            let corrected = *m * t(k.a);
            if k.d != 0.0 {
                let adaptive = t(k.b) / (sqrt(*v) + t(eps));
                *p = *p - corrected * adaptive * t(k.c);
            } else {
                *p = *p - corrected;
            }
        }),
    }
}
