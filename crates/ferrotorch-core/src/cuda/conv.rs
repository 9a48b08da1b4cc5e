//! Convolution and unfold/fold on CUDA: the im2col / col2im kernels of
//! `kernels/conv.cu` around cuBLAS batched GEMMs, the three linear maps of
//! `cpu::conv` (forward, input gradient = transposed convolution, weight
//! gradient). The convolutions lay the column matrix out [c*kh*kw, n, l]:
//! every sample's output positions side by side, so one GEMM per group (all
//! groups in one batched call) covers the whole batch; results come back to
//! [n, o, l] in the copy that adds the bias. float16/bfloat16 compute in
//! float32 as on the CPU.

use super::blas::bmm;
use super::device::{arg, gpu};
use super::elementwise::{cast, dptr, empty};
use crate::cpu::conv::Geom;
use crate::{bail, DType, Result, Tensor};

const BLOCK: u32 = 256;

/// The kernels' `struct CGeo`.
#[repr(C)]
#[derive(Clone, Copy)]
struct CGeo {
    n: i64,
    c: i64,
    h: i64,
    w: i64,
    kh: i64,
    kw: i64,
    oh: i64,
    ow: i64,
    sh: i64,
    sw: i64,
    ph: i64,
    pw: i64,
    dh: i64,
    dw: i64,
    cs_n: i64,
    cs_row: i64,
}

/// Where the column matrix keeps its samples.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Layout {
    /// [n, c*kh*kw, l]: F.unfold's output.
    SampleMajor,
    /// [c*kh*kw, n, l]: one GEMM over the batch.
    RowMajor,
}

impl Layout {
    /// (sample stride, row stride) in elements.
    fn strides(self, g: &Geom) -> (usize, usize) {
        let (rows, l) = (g.c * g.kh * g.kw, g.oh * g.ow);
        match self {
            Layout::SampleMajor => (rows * l, l),
            Layout::RowMajor => (l, g.n * l),
        }
    }
    fn shape(self, g: &Geom) -> Vec<usize> {
        let (rows, l) = (g.c * g.kh * g.kw, g.oh * g.ow);
        match self {
            Layout::SampleMajor => vec![g.n, rows, l],
            Layout::RowMajor => vec![rows, g.n, l],
        }
    }
}

fn cgeo(g: &Geom, layout: Layout) -> CGeo {
    let (cs_n, cs_row) = layout.strides(g);
    let i = |v: usize| v as i64;
    CGeo {
        n: i(g.n),
        c: i(g.c),
        h: i(g.h),
        w: i(g.w),
        kh: i(g.kh),
        kw: i(g.kw),
        oh: i(g.oh),
        ow: i(g.ow),
        sh: i(g.stride[0]),
        sw: i(g.stride[1]),
        ph: i(g.pad[0]),
        pw: i(g.pad[1]),
        dh: i(g.dilation[0]),
        dw: i(g.dilation[1]),
        cs_n: i(cs_n),
        cs_row: i(cs_row),
    }
}

/// The dtype a kernel named `op` computes in; non-float dtypes get the CPU's error.
fn compute_dtype(op: &str, dt: DType) -> Result<DType> {
    Ok(match dt {
        DType::F64 => DType::F64,
        DType::F32 | DType::F16 | DType::BF16 => DType::F32,
        _ => bail!(not_implemented, "\"{op}\" not implemented for '{}'", dt.legacy_name()),
    })
}

/// `t` as a contiguous tensor of dtype `dt` (no copy when it already is one).
fn dense(t: &Tensor, dt: DType) -> Result<Tensor> {
    if t.dtype() == dt && t.is_contiguous() {
        Ok(t.clone())
    } else {
        cast(t, dt)
    }
}

fn launch(name: &'static str, device: crate::Device, threads: usize, args: &mut [*mut std::ffi::c_void]) -> Result<()> {
    let g = gpu(device.index().unwrap_or(0))?;
    let f = g.function("conv", name)?;
    let grid = threads.div_ceil(BLOCK as usize).clamp(1, i32::MAX as usize) as u32;
    g.launch(f, grid, BLOCK, args)
}

/// The column matrix of x [n, c, h, w] (contiguous, f32 or f64).
fn im2col(g: &Geom, x: &Tensor, layout: Layout) -> Result<Tensor> {
    let cols = empty(&layout.shape(g), x.dtype(), x.device())?;
    if cols.numel() > 0 {
        let name = if x.dtype() == DType::F64 { "im2col_f64" } else { "im2col_f32" };
        let (geo, pc, px) = (cgeo(g, layout), dptr(&cols)?, dptr(x)?);
        launch(name, x.device(), cols.numel(), &mut [arg(&geo), arg(&pc), arg(&px)])?;
    }
    Ok(cols)
}

/// [n, c, h, w] summing the column matrix `cols` (contiguous in `layout`) back.
fn col2im(g: &Geom, cols: &Tensor, layout: Layout) -> Result<Tensor> {
    let x = empty(&[g.n, g.c, g.h, g.w], cols.dtype(), cols.device())?;
    if x.numel() > 0 {
        let name = if cols.dtype() == DType::F64 { "col2im_f64" } else { "col2im_f32" };
        let (geo, px, pc) = (cgeo(g, layout), dptr(&x)?, dptr(cols)?);
        launch(name, cols.device(), x.numel(), &mut [arg(&geo), arg(&px), arg(&pc)])?;
    }
    Ok(x)
}

/// A [n, ch, l] tensor as [ch, n, l] (a contiguous copy unless n is 1).
fn channels_first(t: &Tensor, n: usize, ch: usize, l: usize) -> Result<Tensor> {
    t.reshape(&[n as i64, ch as i64, l as i64])?.transpose(0, 1)?.contiguous()
}

/// y [ch, n, *spatial] -> [n, ch, *spatial] (+ bias per channel) in dtype `dt`.
fn samples_first(y: Tensor, bias: Option<&Tensor>, dt: DType, shape: [usize; 4]) -> Result<Tensor> {
    let s = |v: usize| v as i64;
    let y = y.reshape(&[s(shape[1]), s(shape[0]), s(shape[2]), s(shape[3])])?.transpose(0, 1)?;
    let y = match bias {
        Some(b) => y.add(&dense(b, y.dtype())?.reshape(&[1, s(shape[1]), 1, 1])?)?,
        None => y,
    };
    dense(&y, dt)
}

fn split(t: &Tensor, dims: [usize; 3]) -> Result<Tensor> {
    t.reshape(&dims.map(|v| v as i64))
}

/// y = conv(x, w) + bias: x [n, c, h, w], w [o, c/groups, kh, kw].
pub(crate) fn forward(g: &Geom, x: &Tensor, w: &Tensor, bias: Option<&Tensor>) -> Result<Tensor> {
    let dt = x.dtype();
    let ct = compute_dtype("slow_conv2d_cpu", dt)?;
    let (x, w) = (dense(x, ct)?, dense(w, ct)?);
    let (og, kg, nl) = (g.o / g.groups, g.c / g.groups * g.kh * g.kw, g.n * g.oh * g.ow);
    let cols = im2col(g, &x, Layout::RowMajor)?;
    // y_g [og, n*l] = w_g [og, kg] @ cols_g [kg, n*l]
    let y = bmm(&split(&w, [g.groups, og, kg])?, &split(&cols, [g.groups, kg, nl])?)?;
    samples_first(y, bias, dt, [g.n, g.o, g.oh, g.ow])
}

/// The adjoint of `forward` in x (= transposed convolution): gy [n, o, oh, ow]
/// -> [n, c, h, w], plus `bias` per input channel.
pub(crate) fn input_grad(g: &Geom, gy: &Tensor, w: &Tensor, bias: Option<&Tensor>) -> Result<Tensor> {
    let dt = gy.dtype();
    let ct = compute_dtype("slow_conv_transpose2d_cpu", dt)?;
    let (gy, w) = (dense(gy, ct)?, dense(w, ct)?);
    let (og, kg, l) = (g.o / g.groups, g.c / g.groups * g.kh * g.kw, g.oh * g.ow);
    let gy_t = channels_first(&gy, g.n, g.o, l)?;
    // cols_g [kg, n*l] = w_g^T [kg, og] @ gy_g [og, n*l]
    let cols = bmm(&split(&w, [g.groups, og, kg])?.transpose(1, 2)?, &split(&gy_t, [g.groups, og, g.n * l])?)?;
    let gx = col2im(g, &cols, Layout::RowMajor)?;
    let gx = match bias {
        Some(b) => gx.add(&dense(b, ct)?.reshape(&[1, g.c as i64, 1, 1])?)?,
        None => gx,
    };
    dense(&gx, dt)
}

/// The weight gradient: x [n, c, h, w], gy [n, o, oh, ow] -> [o, c/groups, kh, kw].
pub(crate) fn weight_grad(g: &Geom, x: &Tensor, gy: &Tensor) -> Result<Tensor> {
    let dt = x.dtype();
    let ct = compute_dtype("slow_conv2d_backward_cpu", dt)?;
    let (x, gy) = (dense(x, ct)?, dense(gy, ct)?);
    let (og, cg, l) = (g.o / g.groups, g.c / g.groups, g.oh * g.ow);
    let kg = cg * g.kh * g.kw;
    let cols = im2col(g, &x, Layout::RowMajor)?;
    let gy_t = channels_first(&gy, g.n, g.o, l)?;
    // gw_g [og, kg] = gy_g [og, n*l] @ cols_g^T [n*l, kg]
    let gw = bmm(&split(&gy_t, [g.groups, og, g.n * l])?, &split(&cols, [g.groups, kg, g.n * l])?.transpose(1, 2)?)?;
    dense(&gw.reshape(&[g.o as i64, cg as i64, g.kh as i64, g.kw as i64])?, dt)
}

/// F.unfold: x [n, c, h, w] -> [n, c*kh*kw, blocks].
pub(crate) fn unfold(g: &Geom, x: &Tensor) -> Result<Tensor> {
    let dt = x.dtype();
    let cols = im2col(g, &dense(x, compute_dtype("im2col", dt)?)?, Layout::SampleMajor)?;
    dense(&cols, dt)
}

/// F.fold: cols [n, c*kh*kw, blocks] -> [n, c, h, w], overlaps summed.
pub(crate) fn fold(g: &Geom, cols: &Tensor) -> Result<Tensor> {
    let dt = cols.dtype();
    let x = col2im(g, &dense(cols, compute_dtype("col2im", dt)?)?, Layout::SampleMajor)?;
    dense(&x, dt)
}
