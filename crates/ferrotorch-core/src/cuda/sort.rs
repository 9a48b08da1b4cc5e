//! Sorting on CUDA (`kernels/sort.cu`): sort along a dim as a segmented
//! bitonic sort of (value, index) pairs, one launch per stage; unique and
//! unique_consecutive from run flags, their cumsum and one scatter. The
//! number of unique values is the one device-to-host read (PyTorch syncs
//! there too).

use super::device::{arg, gpu, Gpu};
use super::elementwise::{dptr, empty};
use super::kernels::{dtype_index, per_dtype};
use crate::{DType, Result, Tensor};

const BLOCK: u32 = 256;

fn grid(n: usize) -> u32 {
    n.div_ceil(BLOCK as usize).clamp(1, i32::MAX as usize) as u32
}

fn device_of(t: &Tensor) -> Result<&'static Gpu> {
    gpu(t.device().index().unwrap_or(0))
}

/// `(values, int64 indices)` of the contiguous CUDA tensor `x` sorted along
/// `d` (stable; NaN largest).
pub fn sort(x: &Tensor, d: usize, descending: bool) -> Result<(Tensor, Tensor)> {
    const INIT: [&str; 9] = per_dtype!("sort_init");
    const STEP: [&str; 9] = per_dtype!("sort_step");
    const FINISH: [&str; 9] = per_dtype!("sort_finish");
    debug_assert!(x.is_contiguous());
    let shape = x.shape();
    let vals = empty(shape, x.dtype(), x.device())?;
    let idx = empty(shape, DType::I64, x.device())?;
    let (n, inner) = (shape[d], shape[d + 1..].iter().product::<usize>());
    if x.numel() == 0 {
        return Ok((vals, idx));
    }
    let rows = x.numel() / n;
    let p2 = n.next_power_of_two();
    let g = device_of(x)?;
    let di = dtype_index(x.dtype());
    // scratch rows of p2 (key, index) pairs
    let keys = empty(&[rows * p2], x.dtype(), x.device())?;
    let order = empty(&[rows * p2], DType::I64, x.device())?;
    let (pk, po) = (dptr(&keys)?, dptr(&order)?);
    let (r, nn, inn, pp) = (rows as i64, n as i64, inner as i64, p2 as i64);
    let px = dptr(x)?;
    let f = g.function("sort", INIT[di])?;
    g.launch(f, grid(rows * p2), BLOCK, &mut [arg(&r), arg(&nn), arg(&inn), arg(&pp), arg(&px), arg(&pk), arg(&po)])?;
    let f = g.function("sort", STEP[di])?;
    let desc = descending as i32;
    let mut k = 2i64;
    while k <= pp {
        let mut j = k / 2;
        while j > 0 {
            g.launch(
                f,
                grid(rows * p2 / 2),
                BLOCK,
                &mut [arg(&r), arg(&nn), arg(&pp), arg(&j), arg(&k), arg(&desc), arg(&pk), arg(&po)],
            )?;
            j /= 2;
        }
        k *= 2;
    }
    let pv = dptr(&vals)?;
    let pi = dptr(&idx)?;
    let f = g.function("sort", FINISH[di])?;
    g.launch(
        f,
        grid(rows * n),
        BLOCK,
        &mut [arg(&r), arg(&nn), arg(&inn), arg(&pp), arg(&pk), arg(&po), arg(&pv), arg(&pi)],
    )?;
    Ok((vals, idx))
}

/// Runs of equal values of the 1-D contiguous CUDA tensor `v`: (each run's
/// value, each element's run at its original position `order[k]` (or k),
/// run lengths). `v` sorted makes this `unique`, unsorted `unique_consecutive`.
pub fn runs(v: &Tensor, order: Option<&Tensor>) -> Result<(Tensor, Tensor, Tensor)> {
    const FLAGS: [&str; 9] = per_dtype!("unique_flags");
    const SCATTER: [&str; 9] = per_dtype!("unique_scatter");
    let n = v.numel();
    let inverse = empty(&[n], DType::I64, v.device())?;
    if n == 0 {
        return Ok((empty(&[0], v.dtype(), v.device())?, inverse, empty(&[0], DType::I64, v.device())?));
    }
    let g = device_of(v)?;
    let di = dtype_index(v.dtype());
    let flags = empty(&[n], DType::I64, v.device())?;
    let (nn, pv, pf) = (n as i64, dptr(v)?, dptr(&flags)?);
    let f = g.function("sort", FLAGS[di])?;
    g.launch(f, grid(n), BLOCK, &mut [arg(&nn), arg(&pv), arg(&pf)])?;
    let gid = super::reduce::scan(&flags, 0, false)?;
    // the one read back: how many runs there are
    let m = gid.narrow(0, n as i64 - 1, 1)?.item()?.to_i64() as usize;
    let vals = empty(&[m], v.dtype(), v.device())?;
    let starts = empty(&[m + 1], DType::I64, v.device())?;
    let po = order.map_or(Ok(0), dptr)?;
    let (pg, pu, pi, ps) = (dptr(&gid)?, dptr(&vals)?, dptr(&inverse)?, dptr(&starts)?);
    let f = g.function("sort", SCATTER[di])?;
    g.launch(f, grid(n), BLOCK, &mut [arg(&nn), arg(&pv), arg(&po), arg(&pg), arg(&pu), arg(&pi), arg(&ps)])?;
    let counts = starts.narrow(0, 1, m as i64)?.sub(&starts.narrow(0, 0, m as i64)?)?;
    Ok((vals, inverse, counts))
}
