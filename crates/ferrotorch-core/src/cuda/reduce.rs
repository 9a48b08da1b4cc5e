//! Reductions on CUDA (`kernels/reduce.cu`). Each output's reduction is an
//! item for a group of threads: a block for long contiguous rows, a warp for
//! short ones, one thread per output for columns (reduced dims strided, kept
//! dims contiguous: neighbouring threads read neighbouring columns). When
//! there are too few items to fill the GPU, each output is cut into slices
//! whose accumulators a second launch reduces (two passes).
//! cumsum/cumprod: a thread per row.

use super::device::{arg, gpu, Gpu};
use super::elementwise::{dptr, empty};
use super::kernels::{dtype_index, per_dtype};
use crate::{DType, Result, Tensor};

const MAX_DIMS: usize = 8;
const BLOCK: u32 = 256;
/// Elements per thread of a chunked scan (rows too few to fill the GPU).
const SCAN_CHUNK: usize = 1024;
/// Resident threads per multiprocessor to aim for (latency hiding).
const THREADS_PER_SM: usize = 2048;
/// Bytes of one partial accumulator (the kernels' largest `Red::A`).
const PARTIAL_BYTES: usize = 16;

/// The kernels' `struct RGeo`.
#[repr(C)]
#[derive(Clone, Copy)]
struct RGeo {
    m: i64,
    r: i64,
    splits: i64,
    group: i64,
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

type Dims = (Vec<usize>, Vec<isize>);

/// Merged (shape, strides) of the given dims of `t`.
fn dims_of(t: &Tensor, dims: &[usize]) -> Result<Dims> {
    let shape: Vec<usize> = dims.iter().map(|&d| t.shape()[d]).collect();
    let strides: Vec<isize> = dims.iter().map(|&d| t.strides()[d]).collect();
    let (s, [st]) = crate::iter::coalesce(&shape, [&strides]);
    if s.len() > MAX_DIMS {
        crate::bail!(not_implemented, "CUDA reductions support at most {MAX_DIMS} dimensions after merging contiguous ones");
    }
    Ok((s, st))
}

fn geo(m: usize, r: usize, splits: usize, group: usize, kept: &Dims, red: &Dims) -> RGeo {
    let mut g = RGeo {
        m: m as i64,
        r: r as i64,
        splits: splits as i64,
        group: group as i64,
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

/// Threads per item: a warp or block along contiguous rows (coalesced reads
/// within the group), one thread per output down columns.
fn group_size(m: usize, r: usize, kept: &Dims, red: &Dims) -> usize {
    let rows = red.1.last() == Some(&1) || kept.1.last() != Some(&1) || m == 1;
    match r {
        _ if !rows || r <= 16 => 1,
        r if r < 1024 => 32,
        _ => BLOCK as usize,
    }
}

/// Slices per output: enough items to fill the GPU, each slice long enough
/// to be worth a partial.
fn split_count(gp: &Gpu, m: usize, r: usize, group: usize) -> usize {
    let want_items = gp.multiprocessors() * THREADS_PER_SM / group;
    let min_slice = (group * 16).max(64);
    if m >= want_items || r < 2 * min_slice {
        return 1;
    }
    (want_items / m).min(r / min_slice).max(1)
}

fn launch(gp: &Gpu, kernel: &'static str, g: &RGeo, op: ReduceOp, dst: DType, out: u64, input: u64) -> Result<()> {
    let items = (g.m * g.splits) as usize;
    let f = gp.function("reduce", kernel)?;
    let blocks = (items * g.group as usize).div_ceil(BLOCK as usize).clamp(1, gp.multiprocessors() * 16) as u32;
    let (code, dst) = (op as i32, dst as i32);
    gp.launch(f, blocks, BLOCK, &mut [arg(g), arg(&code), arg(&dst), arg(&out), arg(&input)])
}

/// `op` over `dims` (sorted) of CUDA tensor `t`: a contiguous tensor shaped
/// like the kept dims, of dtype `out` (the caller's result dtype).
pub fn reduce(t: &Tensor, dims: &[usize], op: ReduceOp, out: DType) -> Result<Tensor> {
    const NAMES: [&str; 9] = per_dtype!("reduce");
    const PARTIALS: [&str; 9] = per_dtype!("reduce_partials");
    let kept_dims: Vec<usize> = (0..t.ndim()).filter(|d| !dims.contains(d)).collect();
    let kept_shape: Vec<usize> = kept_dims.iter().map(|&d| t.shape()[d]).collect();
    let (m, r): (usize, usize) = (kept_shape.iter().product(), dims.iter().map(|&d| t.shape()[d]).product());
    let (kept, red) = (dims_of(t, &kept_dims)?, dims_of(t, dims)?);
    let result = empty(&kept_shape, out, t.device())?;
    if m == 0 {
        return Ok(result);
    }
    let gp = gpu(t.device().index().unwrap_or(0))?;
    let di = dtype_index(t.dtype());
    let group = group_size(m, r, &kept, &red);
    let splits = split_count(gp, m, r, group);
    if splits == 1 {
        launch(gp, NAMES[di], &geo(m, r, 1, group, &kept, &red), op, out, dptr(&result)?, dptr(t)?)?;
        return Ok(result);
    }
    // pass 1: item (slice, o) writes its accumulator to partial[slice * m + o]
    let partial = empty(&[m * splits * PARTIAL_BYTES], DType::U8, t.device())?;
    launch(gp, NAMES[di], &geo(m, r, splits, group, &kept, &red), op, out, dptr(&partial)?, dptr(t)?)?;
    // pass 2: output o reduces partial[o], partial[m + o], ...
    let (rows, cols) = ((vec![m], vec![1isize]), (vec![splits], vec![m as isize]));
    let group = group_size(m, splits, &rows, &cols);
    launch(gp, PARTIALS[di], &geo(m, splits, 1, group, &rows, &cols), op, out, dptr(&result)?, dptr(&partial)?)?;
    Ok(result)
}

/// Inclusive cumsum (or cumprod with `prod`) along dim `d` of the contiguous
/// CUDA tensor `x`, in `x`'s dtype (the caller's result dtype).
pub fn scan(x: &Tensor, d: usize, prod: bool) -> Result<Tensor> {
    const SCAN: [&str; 9] = per_dtype!("scan");
    const TOTALS: [&str; 9] = per_dtype!("scan_totals");
    const CARRY: [&str; 9] = per_dtype!("scan_carry");
    let out = empty(x.shape(), x.dtype(), x.device())?;
    let (outer, n, inner): (usize, usize, usize) =
        (x.shape()[..d].iter().product(), x.shape()[d], x.shape()[d + 1..].iter().product());
    let rows = outer * inner;
    if rows == 0 || n == 0 {
        return Ok(out);
    }
    let gp = gpu(x.device().index().unwrap_or(0))?;
    let k = dtype_index(x.dtype());
    // Too few rows to fill the GPU: cut each row into chunks (three launches
    // through a carry buffer) rather than leave one thread a long serial scan.
    let wanted = gp.multiprocessors() * 2048;
    let chunk = if rows >= wanted || n <= 2 * SCAN_CHUNK { n } else { n.div_ceil(n.div_ceil(SCAN_CHUNK).min(wanted.div_ceil(rows))) };
    let chunks = n.div_ceil(chunk);
    let items = rows * chunks;
    let (o, nn, i, c, p) = (outer as i64, n as i64, inner as i64, chunk as i64, prod as i32);
    let (po, pi) = (dptr(&out)?, dptr(x)?);
    let grid = |work: usize| work.div_ceil(BLOCK as usize).min(i32::MAX as usize) as u32;
    let carry = if chunks > 1 {
        // one 64-bit accumulator (a double or an int64) per (row, chunk)
        let carry = empty(&[items], DType::I64, x.device())?;
        let pc = dptr(&carry)?;
        let f = gp.function("reduce", TOTALS[k])?;
        gp.launch(f, grid(items), BLOCK, &mut [arg(&o), arg(&nn), arg(&i), arg(&c), arg(&p), arg(&pc), arg(&pi)])?;
        let (r, ch) = (rows as i64, chunks as i64);
        let f = gp.function("reduce", CARRY[k])?;
        gp.launch(f, grid(rows), BLOCK, &mut [arg(&r), arg(&ch), arg(&p), arg(&pc)])?;
        Some(carry)
    } else {
        None
    };
    let pc = match &carry {
        Some(t) => dptr(t)?,
        None => 0,
    };
    let f = gp.function("reduce", SCAN[k])?;
    gp.launch(f, grid(items), BLOCK, &mut [arg(&o), arg(&nn), arg(&i), arg(&c), arg(&p), arg(&po), arg(&pi), arg(&pc)])?;
    Ok(out)
}
