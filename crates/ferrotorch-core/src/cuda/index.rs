//! Indexing on CUDA (`kernels/index.cu`): along one dim, gather and
//! index_select read, scatter / scatter_add / index_add write; advanced
//! indexing (`aten::index` / `index_put_`) reads and writes at per-position
//! offsets computed from the index tensors on the device. Bad indices are
//! reported through the device's error flag at the next synchronization.

use super::device::{arg, gpu};
use super::elementwise::{dptr, empty, Geo};
use super::kernels::{dtype_index, per_dtype};
use crate::{Result, Scalar, Tensor};

const BLOCK: u32 = 256;

/// `t`'s strides over a walk of `shape` (same rank), with dim `d` left out.
fn strides_without(t: &Tensor, d: usize) -> Vec<isize> {
    let mut s = t.strides().to_vec();
    s[d] = 0;
    s
}

/// Strides of a 1-D index read along dim `d` of an `nd`-dim walk.
fn along(index: &Tensor, nd: usize, d: usize) -> Vec<isize> {
    let mut s = vec![0; nd];
    s[d] = index.strides().first().copied().unwrap_or(0);
    s
}

fn launch_gather(src: &Tensor, d: usize, index: &Tensor, out_shape: &[usize], index_strides: &[isize]) -> Result<Tensor> {
    const NAMES: [&str; 9] = per_dtype!("gather");
    let out = empty(out_shape, src.dtype(), src.device())?;
    let n = out.numel();
    if n == 0 {
        return Ok(out);
    }
    let g = gpu(src.device().index().unwrap_or(0))?;
    let geo = Geo::new(out_shape, [out.strides(), index_strides, &strides_without(src, d)])?;
    let (dstride, size) = (src.strides()[d] as i64, src.shape()[d] as i64);
    let (po, pi, ps, err) = (dptr(&out)?, dptr(index)?, dptr(src)?, g.error_flag()?);
    let f = g.function("index", NAMES[dtype_index(src.dtype())])?;
    let grid = n.div_ceil(BLOCK as usize * 4).min(i32::MAX as usize) as u32;
    g.launch(f, grid, BLOCK, &mut [arg(&geo), arg(&po), arg(&pi), arg(&ps), arg(&dstride), arg(&size), arg(&err)])?;
    Ok(out)
}

/// `src.gather(d, index)`: `index` (int64, same rank) already validated.
pub fn gather(src: &Tensor, d: usize, index: &Tensor) -> Result<Tensor> {
    launch_gather(src, d, index, index.shape(), index.strides())
}

/// `src.index_select(d, index)` for a 1-D int64 `index`.
pub fn index_select(src: &Tensor, d: usize, index: &Tensor) -> Result<Tensor> {
    let mut shape = src.shape().to_vec();
    shape[d] = index.numel();
    launch_gather(src, d, index, &shape, &along(index, src.ndim(), d))
}

/// Writes `src` (or `value`) into `dst` at `index` along `d`, adding with
/// `accumulate`. `walk` is the shape iterated, `index_strides` how the index
/// is read over it.
fn launch_scatter(
    dst: &Tensor,
    d: usize,
    index: &Tensor,
    index_strides: &[isize],
    walk: &[usize],
    src: Option<&Tensor>,
    value: Option<Scalar>,
    accumulate: bool,
) -> Result<()> {
    const NAMES: [&str; 9] = per_dtype!("scatter");
    let n: usize = walk.iter().product();
    if n == 0 {
        return Ok(());
    }
    let g = gpu(dst.device().index().unwrap_or(0))?;
    let src_strides = src.map_or_else(|| vec![0; walk.len()], |s| s.strides().to_vec());
    let geo = Geo::new(walk, [&strides_without(dst, d), index_strides, &src_strides])?;
    let (dstride, size) = (dst.strides()[d] as i64, dst.shape()[d] as i64);
    let bits = value.map_or(0, |v| super::elementwise::storage_bits(v, dst.dtype()));
    let (pd, pi, ps, err) = (dptr(dst)?, dptr(index)?, src.map_or(Ok(0), dptr)?, g.error_flag()?);
    let acc = accumulate_mode(dst.dtype(), accumulate);
    let f = g.function("index", NAMES[dtype_index(dst.dtype())])?;
    let grid = n.div_ceil(BLOCK as usize * 4).min(i32::MAX as usize) as u32;
    g.launch(
        f,
        grid,
        BLOCK,
        &mut [arg(&geo), arg(&pd), arg(&pi), arg(&ps), arg(&dstride), arg(&size), arg(&bits), arg(&acc), arg(&err)],
    )
}

/// In-place `scatter_`/`scatter_add_` over `index`'s shape (validated).
pub fn scatter(dst: &Tensor, d: usize, index: &Tensor, src: Option<&Tensor>, value: Option<Scalar>, accumulate: bool) -> Result<()> {
    launch_scatter(dst, d, index, index.strides(), index.shape(), src, value, accumulate)
}

/// In-place `index_add_` of `src` rows at the 1-D int64 `index` along `d`.
pub fn index_add(dst: &Tensor, d: usize, index: &Tensor, src: &Tensor) -> Result<()> {
    launch_scatter(dst, d, index, &along(index, src.ndim(), d), src.shape(), Some(src), None, true)
}

/// Advanced indexing: the element offset of every position of the broadcast
/// index shape `bshape`, from int64 index tensors `(index, dim size, dim
/// stride)` on this device. Out-of-range indices set the device error word
/// and mark their position skipped.
pub fn adv_offsets(bshape: &[usize], indices: &[(&Tensor, usize, isize)], device: crate::Device) -> Result<Tensor> {
    let off = empty(bshape, crate::DType::I64, device)?;
    let n = off.numel();
    if n == 0 {
        return Ok(off);
    }
    let g = gpu(device.index().unwrap_or(0))?;
    let f = g.function("index", "adv_offset")?;
    let grid = n.div_ceil(BLOCK as usize).min(i32::MAX as usize) as u32;
    for (k, &(ix, size, stride)) in indices.iter().enumerate() {
        let is = crate::cpu::map::broadcast_strides(ix, bshape);
        let geo = Geo::new(bshape, [off.strides(), &is])?;
        let (po, pi, err) = (dptr(&off)?, dptr(ix)?, g.error_flag()?);
        let (size, stride, first) = (size as i64, stride as i64, (k == 0) as i32);
        g.launch(f, grid, BLOCK, &mut [arg(&geo), arg(&po), arg(&pi), arg(&size), arg(&stride), arg(&first), arg(&err)])?;
    }
    Ok(off)
}

/// Strides of the walk over `[bshape..., rest...]` for the offsets tensor
/// (dense over the broadcast dims) and for `src`'s remaining dims.
fn adv_strides(adv: &Tensor, src: &Tensor, nadv: usize) -> (Vec<isize>, Vec<isize>) {
    let nb = adv.ndim();
    let rest = &src.strides()[nadv..];
    let a = adv.strides().iter().copied().chain(rest.iter().map(|_| 0)).collect();
    let s = std::iter::repeat_n(0, nb).chain(rest.iter().copied()).collect();
    (a, s)
}

/// `src[...]` read at `adv` offsets: `src` has its `nadv` indexed dims first;
/// the result (contiguous, `out_shape`) holds flat dim `perm[j]` at dim j.
pub fn index_gather(src: &Tensor, nadv: usize, adv: &Tensor, out_shape: &[usize], perm: &[i64]) -> Result<Tensor> {
    const NAMES: [&str; 9] = per_dtype!("index_gather");
    let out = empty(out_shape, src.dtype(), src.device())?;
    let n = out.numel();
    if n == 0 {
        return Ok(out);
    }
    let mut flat_shape = vec![0; out_shape.len()];
    let mut out_strides = vec![0; out_shape.len()];
    for (j, &p) in perm.iter().enumerate() {
        flat_shape[p as usize] = out_shape[j];
        out_strides[p as usize] = out.strides()[j];
    }
    let (adv_st, src_st) = adv_strides(adv, src, nadv);
    let g = gpu(src.device().index().unwrap_or(0))?;
    let geo = Geo::new(&flat_shape, [&out_strides, &adv_st, &src_st])?;
    let (po, pa, ps) = (dptr(&out)?, dptr(adv)?, dptr(src)?);
    let f = g.function("index", NAMES[dtype_index(src.dtype())])?;
    let grid = n.div_ceil(BLOCK as usize * 4).min(i32::MAX as usize) as u32;
    g.launch(f, grid, BLOCK, &mut [arg(&geo), arg(&po), arg(&pa), arg(&ps)])?;
    Ok(out)
}

/// In place: `dst` (indexed dims first) at `adv` offsets = (or accumulates)
/// `values` (dst's dtype), already laid out over `[bshape..., rest...]`.
pub fn index_put(dst: &Tensor, nadv: usize, adv: &Tensor, values: &Tensor, accumulate: bool) -> Result<()> {
    const NAMES: [&str; 9] = per_dtype!("index_put");
    let n = values.numel();
    if n == 0 {
        return Ok(());
    }
    let (adv_st, dst_st) = adv_strides(adv, dst, nadv);
    let g = gpu(dst.device().index().unwrap_or(0))?;
    let geo = Geo::new(values.shape(), [&dst_st, &adv_st, values.strides()])?;
    let (pd, pa, pv) = (dptr(dst)?, dptr(adv)?, dptr(values)?);
    let mode = accumulate_mode(dst.dtype(), accumulate);
    let f = g.function("index", NAMES[dtype_index(dst.dtype())])?;
    let grid = n.div_ceil(BLOCK as usize).min(i32::MAX as usize) as u32;
    g.launch(f, grid, BLOCK, &mut [arg(&geo), arg(&pd), arg(&pa), arg(&pv), arg(&mode)])
}

/// The kernels' accumulation mode: 0 store, 1 add, 2 or (bool).
fn accumulate_mode(dt: crate::DType, accumulate: bool) -> i32 {
    match (accumulate, dt) {
        (false, _) => 0,
        (true, crate::DType::Bool) => 2,
        (true, _) => 1,
    }
}
