//! Pooling on CUDA (`kernels/pool.cu`): max (with argmax indices) and average
//! pooling and their backwards over a [planes, h, w] view of contiguous
//! inputs, for the floating dtypes (float16/bfloat16 compute in float32, as
//! on the CPU). The kernels recompute the plan's windows from their rules.

use super::device::{arg, gpu};
use super::elementwise::{dptr, empty};
use crate::cpu::pool::{Rule, Windows};
use crate::ops::pool::Plan;
use crate::{bail, DType, Result, Tensor};

const BLOCK: u32 = 256;

/// The kernels' `struct PDim`.
#[repr(C)]
#[derive(Clone, Copy)]
struct PDim {
    len: i64,
    out: i64,
    k: i64,
    s: i64,
    p: i64,
    d: i64,
    adaptive: i32,
    count_pad: i32,
}

/// The kernels' `struct PGeo`.
#[repr(C)]
#[derive(Clone, Copy)]
struct PGeo {
    planes: i64,
    dim: [PDim; 2],
    has_over: i32,
    over: f64,
}

fn pdim(len: usize, w: &Windows) -> PDim {
    let (k, s, p, d, adaptive, count_pad) = match w.rule {
        Rule::Fixed { k, s, p, d, count_pad } => (k, s, p, d, 0, count_pad as i32),
        Rule::Adaptive => (1, 1, 0, 1, 1, 0),
    };
    let i = |v: usize| v as i64;
    PDim { len: i(len), out: i(w.start.len()), k: i(k), s: i(s), p: i(p), d: i(d), adaptive, count_pad }
}

fn geo(plan: &Plan) -> PGeo {
    PGeo {
        planes: plan.lead.iter().product::<usize>() as i64,
        dim: [pdim(plan.hw.0, &plan.wh), pdim(plan.hw.1, &plan.ww)],
        has_over: plan.over.is_some() as i32,
        over: plan.over.unwrap_or(0.0),
    }
}

/// `<kernel>_<dtype>` names for float16, bfloat16, float32, float64.
macro_rules! floats {
    ($f:literal) => {
        [concat!($f, "_f16"), concat!($f, "_bf16"), concat!($f, "_f32"), concat!($f, "_f64")]
    };
}

/// The kernel of `names` for a floating dtype; other dtypes get the CPU's error for `op`.
fn pick(names: [&'static str; 4], op: &str, dt: DType) -> Result<&'static str> {
    Ok(match dt {
        DType::F16 => names[0],
        DType::BF16 => names[1],
        DType::F32 => names[2],
        DType::F64 => names[3],
        _ => bail!(not_implemented, "\"{op}\" not implemented for '{}'", dt.legacy_name()),
    })
}

fn launch(name: &'static str, device: crate::Device, threads: usize, args: &mut [*mut std::ffi::c_void]) -> Result<()> {
    let g = gpu(device.index().unwrap_or(0))?;
    let f = g.function("pool", name)?;
    let grid = threads.div_ceil(BLOCK as usize).clamp(1, i32::MAX as usize) as u32;
    g.launch(f, grid, BLOCK, args)
}

/// (values, int64 flat argmax within each plane), shaped like the output.
pub(crate) fn max_pool(x: &Tensor, plan: &Plan) -> Result<(Tensor, Tensor)> {
    let name = pick(floats!("max_pool"), "max_pool2d", x.dtype())?;
    let x = x.contiguous()?;
    let shape = plan.out_shape();
    let (vals, idx) = (empty(&shape, x.dtype(), x.device())?, empty(&shape, DType::I64, x.device())?);
    if vals.numel() > 0 {
        let (g, pv, pi, px) = (geo(plan), dptr(&vals)?, dptr(&idx)?, dptr(&x)?);
        launch(name, x.device(), vals.numel(), &mut [arg(&g), arg(&pv), arg(&pi), arg(&px)])?;
    }
    Ok((vals, idx))
}

/// The window averages, shaped like the output.
pub(crate) fn avg_pool(x: &Tensor, plan: &Plan) -> Result<Tensor> {
    let name = pick(floats!("avg_pool"), "avg_pool2d", x.dtype())?;
    let x = x.contiguous()?;
    let out = empty(&plan.out_shape(), x.dtype(), x.device())?;
    if out.numel() > 0 {
        let (g, po, px) = (geo(plan), dptr(&out)?, dptr(&x)?);
        launch(name, x.device(), out.numel(), &mut [arg(&g), arg(&po), arg(&px)])?;
    }
    Ok(out)
}

/// Input-shaped gradient of max pooling from the output grads `gy` and the
/// saved argmax `idx`.
pub(crate) fn max_pool_backward(gy: &Tensor, idx: &Tensor, plan: &Plan) -> Result<Tensor> {
    let name = pick(floats!("max_pool_backward"), "max_pool2d_backward", gy.dtype())?;
    let (gy, idx) = (gy.contiguous()?, idx.contiguous()?);
    let gx = empty(&plan.in_shape(), gy.dtype(), gy.device())?;
    if gx.numel() > 0 {
        let (g, pg, py, pi) = (geo(plan), dptr(&gx)?, dptr(&gy)?, dptr(&idx)?);
        launch(name, gy.device(), gx.numel(), &mut [arg(&g), arg(&pg), arg(&py), arg(&pi)])?;
    }
    Ok(gx)
}

/// Input-shaped gradient of average pooling.
pub(crate) fn avg_pool_backward(gy: &Tensor, plan: &Plan) -> Result<Tensor> {
    let name = pick(floats!("avg_pool_backward"), "avg_pool2d_backward", gy.dtype())?;
    let gy = gy.contiguous()?;
    let gx = empty(&plan.in_shape(), gy.dtype(), gy.device())?;
    if gx.numel() > 0 {
        let (g, pg, py) = (geo(plan), dptr(&gx)?, dptr(&gy)?);
        launch(name, gy.device(), gx.numel(), &mut [arg(&g), arg(&pg), arg(&py)])?;
    }
    Ok(gx)
}
