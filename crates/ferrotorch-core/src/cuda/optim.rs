//! Optimizer updates on CUDA (`kernels/optim.cu`): one launch per parameter,
//! the per-step coefficients computed on the host by `crate::optim`.

use super::device::{arg, gpu};
use super::elementwise::dptr;
use crate::optim::{Algo, Coef, Common};
use crate::{bail, DType, Result, Tensor};

/// The kernels' `struct Hyper`.
#[repr(C)]
#[derive(Clone, Copy, Default)]
struct Hyper {
    lr: f64,
    weight_decay: f64,
    momentum: f64,
    dampening: f64,
    beta1: f64,
    beta2: f64,
    eps: f64,
    alpha: f64,
    rho: f64,
    a: f64,
    b: f64,
    c: f64,
    d: f64,
    maximize: i32,
    nesterov: i32,
    amsgrad: i32,
    centered: i32,
    decoupled: i32,
    fresh: i32,
}

/// The kernels' `enum Algo` code and the rule's hyperparameters.
fn hyper(algo: &Algo, c: &Common, k: Coef, fresh: bool) -> (i32, Hyper) {
    let mut h = Hyper {
        lr: c.lr,
        weight_decay: c.weight_decay,
        a: k.a,
        b: k.b,
        c: k.c,
        d: k.d,
        maximize: c.maximize as i32,
        fresh: fresh as i32,
        ..Hyper::default()
    };
    let code = match *algo {
        Algo::Sgd { momentum, dampening, nesterov } => {
            (h.momentum, h.dampening, h.nesterov) = (momentum, dampening, nesterov as i32);
            0
        }
        Algo::Adam { beta1, beta2, eps, amsgrad, decoupled } => {
            (h.beta1, h.beta2, h.eps, h.amsgrad, h.decoupled) = (beta1, beta2, eps, amsgrad as i32, decoupled as i32);
            1
        }
        Algo::RmsProp { alpha, eps, momentum, centered } => {
            (h.alpha, h.eps, h.momentum, h.centered) = (alpha, eps, momentum, centered as i32);
            2
        }
        Algo::Adagrad { eps, .. } => {
            h.eps = eps;
            3
        }
        Algo::Adadelta { rho, eps } => {
            (h.rho, h.eps) = (rho, eps);
            4
        }
        Algo::Adamax { beta1, beta2, eps } => {
            (h.beta1, h.beta2, h.eps) = (beta1, beta2, eps);
            5
        }
        Algo::NAdam { beta1, beta2, eps, decoupled, .. } => {
            (h.beta1, h.beta2, h.eps, h.decoupled) = (beta1, beta2, eps, decoupled as i32);
            6
        }
        Algo::RAdam { beta1, beta2, eps, decoupled } => {
            (h.beta1, h.beta2, h.eps, h.decoupled) = (beta1, beta2, eps, decoupled as i32);
            7
        }
    };
    (code, h)
}

/// Updates contiguous CUDA parameter `p` in place from `g` and the state `bufs`.
pub(crate) fn update(algo: &Algo, c: &Common, k: Coef, p: &Tensor, g: &Tensor, bufs: &[Tensor], fresh: bool) -> Result<()> {
    let name = match p.dtype() {
        DType::F32 => "optim_f32",
        DType::F64 => "optim_f64",
        d => bail!(not_implemented, "fused optimizer step is not implemented for '{}' parameters", d.legacy_name()),
    };
    let n = p.numel() as i64;
    if n == 0 {
        return Ok(());
    }
    let gp = gpu(p.device().index().unwrap_or(0))?;
    let (code, h) = hyper(algo, c, k, fresh);
    let s: Vec<u64> = (0..3).map(|j| bufs.get(j).map_or(Ok(0), dptr)).collect::<Result<_>>()?;
    let (pp, pg) = (dptr(p)?, dptr(g)?);
    let f = gp.function("optim", name)?;
    let grid = (n as u64).div_ceil(256).min(65_535 * 64) as u32;
    gp.launch(f, grid, 256, &mut [arg(&n), arg(&code), arg(&h), arg(&pp), arg(&pg), arg(&s[0]), arg(&s[1]), arg(&s[2])])
}
