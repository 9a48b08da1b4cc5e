//! Fused softmax / log_softmax on CUDA (`kernels/softmax.cu`), forward and
//! backward, along any dim of a contiguous tensor seen as [outer, n, inner]:
//! a warp per row for rows up to 1024 elements (held in registers), a block
//! per longer row, a thread per row when the dim is not the last one.

use super::device::{arg, gpu};
use super::elementwise::{dptr, empty};
use super::kernels::{dtype_index, per_dtype};
use crate::{Result, Tensor};

const BLOCK: u32 = 256;
/// Longest row one warp keeps in registers (32 lanes x the kernels' CACHE).
const WARP_ROW: usize = 1024;

/// The kernels' `struct SGeo`.
#[repr(C)]
#[derive(Clone, Copy)]
struct SGeo {
    outer: i64,
    n: i64,
    inner: i64,
    group: i64,
}

/// [outer, n, inner] of `t` around dim `d`, and the threads per row.
fn geometry(t: &Tensor, d: usize) -> SGeo {
    let shape = t.shape();
    let n = shape.get(d).copied().unwrap_or(1);
    let (outer, inner): (usize, usize) = (shape[..d.min(shape.len())].iter().product(), shape.iter().skip(d + 1).product());
    let group = match () {
        _ if inner > 1 => 1,
        _ if n <= WARP_ROW => 32,
        _ => BLOCK as i64,
    };
    SGeo { outer: outer as i64, n: n as i64, inner: inner as i64, group }
}

fn launch(name: &'static str, t: &Tensor, g: &SGeo, log: bool, ptrs: &[u64]) -> Result<()> {
    let gp = gpu(t.device().index().unwrap_or(0))?;
    let f = gp.function("softmax", name)?;
    let rows = (g.outer * g.inner) as usize;
    let blocks = (rows * g.group as usize).div_ceil(BLOCK as usize).clamp(1, gp.multiprocessors() * 16) as u32;
    let log = log as i32;
    let mut args = vec![arg(g), arg(&log)];
    args.extend(ptrs.iter().map(arg));
    gp.launch(f, blocks, BLOCK, &mut args)
}

/// softmax (or log_softmax) of the contiguous floating-point CUDA tensor `x` along dim `d`.
pub fn forward(x: &Tensor, d: usize, log: bool) -> Result<Tensor> {
    const NAMES: [&str; 9] = per_dtype!("softmax");
    let out = empty(x.shape(), x.dtype(), x.device())?;
    let g = geometry(x, d);
    if x.numel() > 0 {
        launch(NAMES[dtype_index(x.dtype())], x, &g, log, &[dptr(&out)?, dptr(x)?])?;
    }
    Ok(out)
}

/// The input gradient of `forward` from its output `y` and the output
/// gradient `dy` (contiguous, same shape and dtype).
pub fn backward(dy: &Tensor, y: &Tensor, d: usize, log: bool) -> Result<Tensor> {
    const NAMES: [&str; 9] = per_dtype!("softmax_backward");
    let dx = empty(y.shape(), y.dtype(), y.device())?;
    let g = geometry(y, d);
    if y.numel() > 0 {
        launch(NAMES[dtype_index(y.dtype())], y, &g, log, &[dptr(&dx)?, dptr(dy)?, dptr(y)?])?;
    }
    Ok(dx)
}
