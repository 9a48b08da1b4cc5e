//! Stream compaction on CUDA (`kernels/compact.cu`): nonzero, masked_select
//! and masked_scatter. A thread per chunk of the mask counts its true
//! elements, one thread scans the (few) chunk counts, and each chunk then
//! writes its elements at its offset, so the output keeps row-major order.
//! Only nonzero / masked_select read the total back to the host (their output
//! size, as PyTorch syncs too).

use super::device::{arg, gpu, Gpu};
use super::elementwise::{dptr, empty, full, Geo};
use super::kernels::{dtype_index, per_dtype};
use crate::{bail, DType, Result, Scalar, Tensor};

const BLOCK: u32 = 256;
/// Chunks stay at most this many so the one-thread scan is short.
const MAX_CHUNKS: usize = 1 << 16;
const MIN_CHUNK: usize = 1024;
/// The kernels' `MAX_NZ_DIMS`.
const MAX_NZ_DIMS: usize = 16;

#[repr(C)]
#[derive(Clone, Copy)]
struct Dims {
    ndim: i64,
    s: [i64; MAX_NZ_DIMS],
}

/// The chunking of `n` elements and the exclusive-scanned chunk counts
/// (`nchunks + 1` int64 on the device, the total last).
struct Counts {
    chunk: i64,
    nchunks: i64,
    counts: Tensor,
}

impl Counts {
    /// Counts the true elements of the u8/bool `mask` walked over `shape`
    /// with `strides`, per chunk, and scans them.
    fn new(g: &Gpu, mask: &Tensor, shape: &[usize], strides: &[isize]) -> Result<Counts> {
        let n: usize = shape.iter().product();
        let chunk = n.div_ceil(MAX_CHUNKS).max(MIN_CHUNK);
        let nchunks = n.div_ceil(chunk);
        let counts = empty(&[nchunks + 1], DType::I64, mask.device())?;
        let pc = dptr(&counts)?;
        let (chunk, nc) = (chunk as i64, nchunks as i64);
        if nchunks > 0 {
            let geo = Geo::new(shape, [strides])?;
            let pm = dptr(mask)?;
            let f = g.function("compact", "compact_count")?;
            g.launch(f, grid(nchunks), BLOCK, &mut [arg(&geo), arg(&chunk), arg(&nc), arg(&pm), arg(&pc)])?;
        }
        let f = g.function("compact", "compact_scan")?;
        g.launch(f, 1, 1, &mut [arg(&nc), arg(&pc)])?;
        Ok(Counts { chunk, nchunks: nc, counts })
    }

    /// The number of true elements: one device-to-host copy.
    fn total(&self) -> Result<usize> {
        let t = self.counts.narrow(0, self.nchunks, 1)?.to_device(crate::Device::Cpu)?;
        Ok(unsafe { t.as_slice::<i64>() }[0] as usize)
    }
}

fn grid(threads: usize) -> u32 {
    threads.div_ceil(BLOCK as usize).clamp(1, i32::MAX as usize) as u32
}

fn device_gpu(t: &Tensor) -> Result<&'static Gpu> {
    gpu(t.device().index().unwrap_or(0))
}

/// `x.nonzero()`: `[count, ndim]` int64 coordinates in row-major order.
pub fn nonzero(x: &Tensor) -> Result<Tensor> {
    let nd = x.ndim();
    if nd > MAX_NZ_DIMS {
        bail!(not_implemented, "nonzero on CUDA supports at most {} dimensions (got {})", MAX_NZ_DIMS, nd);
    }
    let g = device_gpu(x)?;
    // a dense bool mask (NaN counts as nonzero, -0.0 does not, as on the CPU)
    let mask = if x.dtype() == DType::Bool {
        x.contiguous()?
    } else {
        crate::ops::binary::binary(crate::BinaryOp::Ne, crate::Arg::T(x), crate::Arg::S(Scalar::Int(0)))?
            .contiguous()?
    };
    let n = x.numel();
    let c = Counts::new(g, &mask, &[n], &[1])?;
    let total = c.total()?;
    let out = empty(&[total, nd], DType::I64, x.device())?;
    if total == 0 || nd == 0 {
        return Ok(out);
    }
    let mut d = Dims { ndim: nd as i64, s: [1; MAX_NZ_DIMS] };
    for (k, &s) in x.shape().iter().enumerate() {
        d.s[k] = s as i64;
    }
    let (n, pm, pc, po) = (n as i64, dptr(&mask)?, dptr(&c.counts)?, dptr(&out)?);
    let f = g.function("compact", "nonzero_coords")?;
    g.launch(
        f,
        grid(c.nchunks as usize),
        BLOCK,
        &mut [arg(&d), arg(&n), arg(&c.chunk), arg(&c.nchunks), arg(&pm), arg(&pc), arg(&po)],
    )?;
    Ok(out)
}

/// The elements of `src` where the bool `mask` (same shape) is true, in
/// row-major order, as a 1-D tensor of length `cap` (zeros after the last
/// true element) or, with `cap` None, of the true count (read back).
pub fn masked_compact(src: &Tensor, mask: &Tensor, cap: Option<usize>) -> Result<Tensor> {
    const NAMES: [&str; 9] = per_dtype!("masked_compact");
    let g = device_gpu(src)?;
    let c = Counts::new(g, mask, mask.shape(), mask.strides())?;
    let (cap, padded) = match cap {
        Some(n) => (n, true),
        None => (c.total()?, false),
    };
    let out = if padded {
        full(&[cap], Scalar::Int(0), src.dtype(), src.device())?
    } else {
        empty(&[cap], src.dtype(), src.device())?
    };
    if cap == 0 || c.nchunks == 0 {
        return Ok(out);
    }
    let geo = Geo::new(src.shape(), [src.strides(), mask.strides()])?;
    let (pc, ps, pm, po, capi) = (dptr(&c.counts)?, dptr(src)?, dptr(mask)?, dptr(&out)?, cap as i64);
    let f = g.function("compact", NAMES[dtype_index(src.dtype())])?;
    g.launch(
        f,
        grid(c.nchunks as usize),
        BLOCK,
        &mut [arg(&geo), arg(&c.chunk), arg(&c.nchunks), arg(&pc), arg(&ps), arg(&pm), arg(&po), arg(&capi)],
    )?;
    Ok(out)
}

/// In place: `dst`'s elements where the bool `mask` (same shape) is true take
/// `source`'s (dense, 1-D) leading elements in row-major order. A source
/// shorter than the mask's count is reported at the next synchronization.
pub fn masked_expand(dst: &Tensor, mask: &Tensor, source: &Tensor) -> Result<()> {
    const NAMES: [&str; 9] = per_dtype!("masked_expand");
    let g = device_gpu(dst)?;
    let c = Counts::new(g, mask, mask.shape(), mask.strides())?;
    if c.nchunks == 0 {
        return Ok(());
    }
    let geo = Geo::new(dst.shape(), [dst.strides(), mask.strides()])?;
    let (pc, pd, pm, ps) = (dptr(&c.counts)?, dptr(dst)?, dptr(mask)?, dptr(source)?);
    let (src_n, err) = (source.numel() as i64, g.error_flag()?);
    let f = g.function("compact", NAMES[dtype_index(dst.dtype())])?;
    g.launch(
        f,
        grid(c.nchunks as usize),
        BLOCK,
        &mut [arg(&geo), arg(&c.chunk), arg(&c.nchunks), arg(&pc), arg(&pd), arg(&pm), arg(&ps), arg(&src_n), arg(&err)],
    )
}
