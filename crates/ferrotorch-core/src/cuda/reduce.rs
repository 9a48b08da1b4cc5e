//! Reductions on CUDA (`kernels/reduce.cu`): one thread per output, or per
//! interleaved slice of it when there are few outputs and long reductions
//! (a second launch then reduces the slices); cumsum/cumprod, a thread per row.

use super::device::{arg, gpu};
use super::elementwise::{dptr, empty};
use super::kernels::{dtype_index, per_dtype};
use crate::{DType, Result, Tensor};

const MAX_DIMS: usize = 8;
const BLOCK: u32 = 256;
/// Enough threads to fill a large GPU when splitting long reductions.
const TARGET_THREADS: usize = 1 << 18;

/// The kernels' `struct RGeo`.
#[repr(C)]
#[derive(Clone, Copy)]
struct RGeo {
    m: i64,
    r: i64,
    splits: i64,
    kdim: i32,
    rdim: i32,
    kshape: [i64; MAX_DIMS],
    kst: [i64; MAX_DIMS],
    rshape: [i64; MAX_DIMS],
    rst: [i64; MAX_DIMS],
}

/// The kernels' `enum RedOp`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReduceOp {
    Sum = 0,
    Prod = 1,
    Max = 2,
    Min = 3,
    ArgMax = 4,
    ArgMin = 5,
    All = 6,
    Any = 7,
}

/// Merged (shape, strides) of the given dims of `t`.
fn dims_of(t: &Tensor, dims: &[usize]) -> Result<(Vec<usize>, Vec<isize>)> {
    let shape: Vec<usize> = dims.iter().map(|&d| t.shape()[d]).collect();
    let strides: Vec<isize> = dims.iter().map(|&d| t.strides()[d]).collect();
    let (s, [st]) = crate::iter::coalesce(&shape, [&strides]);
    if s.len() > MAX_DIMS {
        crate::bail!(not_implemented, "CUDA reductions support at most {MAX_DIMS} dimensions after merging contiguous ones");
    }
    Ok((s, st))
}

fn geo(m: usize, r: usize, splits: usize, kept: &(Vec<usize>, Vec<isize>), red: &(Vec<usize>, Vec<isize>)) -> RGeo {
    let mut g = RGeo {
        m: m as i64,
        r: r as i64,
        splits: splits as i64,
        kdim: kept.0.len() as i32,
        rdim: red.0.len() as i32,
        kshape: [1; MAX_DIMS],
        kst: [0; MAX_DIMS],
        rshape: [1; MAX_DIMS],
        rst: [0; MAX_DIMS],
    };
    for (d, (&s, &st)) in kept.0.iter().zip(&kept.1).enumerate() {
        g.kshape[d] = s as i64;
        g.kst[d] = st as i64;
    }
    for (d, (&s, &st)) in red.0.iter().zip(&red.1).enumerate() {
        g.rshape[d] = s as i64;
        g.rst[d] = st as i64;
    }
    g
}

fn launch(t: &Tensor, g: &RGeo, op: ReduceOp, out: &Tensor) -> Result<()> {
    const NAMES: [&str; 9] = per_dtype!("reduce");
    let threads = (g.m * g.splits) as usize;
    if threads == 0 {
        return Ok(());
    }
    let gp = gpu(t.device().index().unwrap_or(0))?;
    let f = gp.function("reduce", NAMES[dtype_index(t.dtype())])?;
    let (code, dst, po, pi) = (op as i32, out.dtype() as i32, dptr(out)?, dptr(t)?);
    let grid = threads.div_ceil(BLOCK as usize).min(i32::MAX as usize) as u32;
    gp.launch(f, grid, BLOCK, &mut [arg(g), arg(&code), arg(&dst), arg(&po), arg(&pi)])
}

/// `op` over `dims` (sorted) of CUDA tensor `t`: a contiguous tensor shaped
/// like the kept dims, of dtype `out` (the caller's result dtype).
pub fn reduce(t: &Tensor, dims: &[usize], op: ReduceOp, out: DType) -> Result<Tensor> {
    let kept_dims: Vec<usize> = (0..t.ndim()).filter(|d| !dims.contains(d)).collect();
    let kept_shape: Vec<usize> = kept_dims.iter().map(|&d| t.shape()[d]).collect();
    let (m, r): (usize, usize) = (kept_shape.iter().product(), dims.iter().map(|&d| t.shape()[d]).product());
    let (kept, red) = (dims_of(t, &kept_dims)?, dims_of(t, dims)?);
    let result = empty(&kept_shape, out, t.device())?;
    let arg = matches!(op, ReduceOp::ArgMax | ReduceOp::ArgMin);
    let splits = if arg || m >= TARGET_THREADS / 16 { 1 } else { (r / 256).clamp(1, TARGET_THREADS / m.max(1)) };
    if splits == 1 {
        launch(t, &geo(m, r, 1, &kept, &red), op, &result)?;
        return Ok(result);
    }
    // pass 1: `splits` partials per output, in the accumulation dtype
    let partial_dt = match op {
        ReduceOp::Sum | ReduceOp::Prod if t.dtype().is_floating_point() => DType::F64,
        ReduceOp::Sum | ReduceOp::Prod => DType::I64,
        ReduceOp::All | ReduceOp::Any => DType::Bool,
        _ => t.dtype(),
    };
    let partial = empty(&[m, splits], partial_dt, t.device())?;
    launch(t, &geo(m, r, splits, &kept, &red), op, &partial)?;
    // pass 2: reduce each output's partials (a contiguous row)
    let rows = (vec![m], vec![splits as isize]);
    let cols = (vec![splits], vec![1isize]);
    launch(&partial, &geo(m, splits, 1, &rows, &cols), op, &result)?;
    Ok(result)
}

/// Inclusive cumsum (or cumprod with `prod`) along dim `d` of the contiguous
/// CUDA tensor `x`, in `x`'s dtype (the caller's result dtype).
pub fn scan(x: &Tensor, d: usize, prod: bool) -> Result<Tensor> {
    const NAMES: [&str; 9] = per_dtype!("scan");
    let out = empty(x.shape(), x.dtype(), x.device())?;
    let (outer, n, inner): (usize, usize, usize) =
        (x.shape()[..d].iter().product(), x.shape()[d], x.shape()[d + 1..].iter().product());
    if outer * inner == 0 || n == 0 {
        return Ok(out);
    }
    let gp = gpu(x.device().index().unwrap_or(0))?;
    let f = gp.function("reduce", NAMES[dtype_index(x.dtype())])?;
    let (o, nn, i, p) = (outer as i64, n as i64, inner as i64, prod as i32);
    let (po, pi) = (dptr(&out)?, dptr(x)?);
    let grid = (outer * inner).div_ceil(BLOCK as usize).min(i32::MAX as usize) as u32;
    gp.launch(f, grid, BLOCK, &mut [arg(&o), arg(&nn), arg(&i), arg(&p), arg(&po), arg(&pi)])?;
    Ok(out)
}
