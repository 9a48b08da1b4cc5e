//! Convolution (1-D and 2-D, transposed too) and unfold/fold: argument
//! checks with PyTorch's messages, then the GEMM kernels in `cpu::conv` or,
//! for CUDA tensors, `cuda::conv`.
//! Everything runs as 2-D: 1-D inputs get a height of one, unbatched inputs
//! a batch of one.

use crate::cpu::conv::{self, Geom};
use crate::cpu::Real;
use crate::{bail, Result, Tensor};

/// `padding=` of a convolution.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConvPadding {
    Explicit(Vec<usize>),
    Same,
    Valid,
}

/// The arguments of `torch.convolution` besides the tensors. Sequences hold
/// one value per spatial dim.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConvParams {
    pub stride: Vec<usize>,
    pub padding: ConvPadding,
    pub dilation: Vec<usize>,
    pub transposed: bool,
    pub output_padding: Vec<usize>,
    pub groups: usize,
}

/// A 2-D convolution's configuration, resolved: leading and trailing padding.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Cfg {
    pub stride: [usize; 2],
    pub pad: [usize; 2],
    pub pad_end: [usize; 2],
    pub dilation: [usize; 2],
    pub groups: usize,
}

impl Cfg {
    /// Output size along spatial dim `d` for input length `len`, kernel `k`.
    fn out_len(&self, d: usize, len: usize, k: usize) -> isize {
        let span = (len + self.pad[d] + self.pad_end[d]) as isize - (self.dilation[d] * (k - 1)) as isize - 1;
        span.div_euclid(self.stride[d] as isize) + 1
    }

    /// The geometry of conv(x, w) for x [n, c, h, w] and w [o, c/g, kh, kw]
    /// whose output is [n, o, oh, ow].
    fn geom(&self, x: [usize; 4], w: [usize; 4], out_hw: [usize; 2]) -> Geom {
        Geom {
            n: x[0],
            c: x[1],
            h: x[2],
            w: x[3],
            o: w[0],
            kh: w[2],
            kw: w[3],
            oh: out_hw[0],
            ow: out_hw[1],
            stride: self.stride,
            pad: self.pad,
            dilation: self.dilation,
            groups: self.groups,
        }
    }
}

fn dims4(t: &Tensor) -> [usize; 4] {
    let s = t.shape();
    [s[0], s[1], s[2], s[3]]
}

/// A float kernel producing one tensor of `shape`, cast back to the input dtype.
fn float_op(
    name: &str,
    ts: &[&Tensor],
    shape: &[usize],
    f32k: impl FnOnce(&[&[f32]]) -> Vec<f32>,
    f64k: impl FnOnce(&[&[f64]]) -> Vec<f64>,
) -> Result<Tensor> {
    let dt = ts[0].dtype();
    let (out, _) = crate::ops::float_kernel(name, ts, |d| Tensor::from_vec(f32k(d), shape), |d| Tensor::from_vec(f64k(d), shape))?;
    out?.to_dtype(dt)
}

pub(crate) fn with_bias<'a>(x: &'a Tensor, w: &'a Tensor, bias: Option<&'a Tensor>) -> Vec<&'a Tensor> {
    [x, w].into_iter().chain(bias).collect()
}

/// y = conv(x, w) + bias: the kernel behind every forward convolution.
pub(crate) fn conv2d(x: &Tensor, w: &Tensor, bias: Option<&Tensor>, cfg: Cfg) -> Result<Tensor> {
    if crate::autograd::needs_grad(&with_bias(x, w, bias)) {
        return crate::autograd::derivatives::conv::conv2d(x, w, bias, cfg);
    }
    let (xs, ws) = (dims4(x), dims4(w));
    let out = [cfg.out_len(0, xs[2], ws[2]) as usize, cfg.out_len(1, xs[3], ws[3]) as usize];
    let g = cfg.geom(xs, ws, out);
    if x.is_cuda() {
        return crate::cuda::conv::forward(&g, x, w, bias);
    }
    let shape = vec![g.n, g.o, g.oh, g.ow];
    float_op(
        "slow_conv2d_cpu",
        &with_bias(x, w, bias),
        &shape,
        |d| conv::forward(&g, d[0], d[1], d.get(2).copied()),
        |d| conv::forward(&g, d[0], d[1], d.get(2).copied()),
    )
}

/// The adjoint of conv2d in its input: gy [n, o, oh, ow] -> [n, c, h, w]
/// with `hw` = (h, w); plus `bias` per output channel. This is transposed
/// convolution with weight [c_in = o, c_out / groups, kh, kw].
pub(crate) fn conv2d_input(gy: &Tensor, w: &Tensor, bias: Option<&Tensor>, cfg: Cfg, hw: [usize; 2]) -> Result<Tensor> {
    if crate::autograd::needs_grad(&with_bias(gy, w, bias)) {
        return crate::autograd::derivatives::conv::conv2d_input(gy, w, bias, cfg, hw);
    }
    let (ys, ws) = (dims4(gy), dims4(w));
    let x = [ys[0], ws[1] * cfg.groups, hw[0], hw[1]];
    let g = cfg.geom(x, ws, [ys[2], ys[3]]);
    if gy.is_cuda() {
        return crate::cuda::conv::input_grad(&g, gy, w, bias);
    }
    let shape = x.to_vec();
    fn run<T: Real>(g: &Geom, d: &[&[T]]) -> Vec<T> {
        let mut gx = conv::input_grad(g, d[0], d[1]);
        if let Some(b) = d.get(2) {
            let plane = g.h * g.w;
            for (i, v) in gx.iter_mut().enumerate() {
                *v += b[(i / plane) % g.c];
            }
        }
        gx
    }
    float_op(
        "slow_conv_transpose2d_cpu",
        &with_bias(gy, w, bias),
        &shape,
        |d| run(&g, d),
        |d| run(&g, d),
    )
}

/// The gradient of conv2d in its weight: x [n, c, h, w], gy [n, o, oh, ow]
/// -> [o, c/groups, kh, kw] with `khw` = (kh, kw).
pub(crate) fn conv2d_weight(x: &Tensor, gy: &Tensor, cfg: Cfg, khw: [usize; 2]) -> Result<Tensor> {
    crate::autograd::record_if_needed!(
        [x, gy],
        crate::autograd::derivatives::conv::conv2d_weight(x, gy, cfg, khw)
    );
    let (xs, ys) = (dims4(x), dims4(gy));
    let ws = [ys[1], xs[1] / cfg.groups, khw[0], khw[1]];
    let g = cfg.geom(xs, ws, [ys[2], ys[3]]);
    if x.is_cuda() {
        return crate::cuda::conv::weight_grad(&g, x, gy);
    }
    let shape = ws.to_vec();
    float_op(
        "slow_conv2d_backward_cpu",
        &[x, gy],
        &shape,
        |d| conv::weight_grad(&g, d[0], d[1]),
        |d| conv::weight_grad(&g, d[0], d[1]),
    )
}

/// Sequences of one (broadcast) or `k` values, PyTorch's `expand_param_if_needed`.
fn per_dim(name: &str, v: &[usize], k: usize) -> Result<Vec<usize>> {
    match v.len() {
        1 => Ok(vec![v[0]; k]),
        n if n == k => Ok(v.to_vec()),
        n => bail!(runtime, "expected {name} to be a single integer value or a list of {k} values to match the convolution dimensions, but got {name}={v:?} ({n} values)"),
    }
}

impl Tensor {
    /// `torch.convolution`: 1-D and 2-D, plain and transposed, with groups.
    pub fn convolution(&self, weight: &Tensor, bias: Option<&Tensor>, p: &ConvParams) -> Result<Tensor> {
        crate::ops::check_same_device(&with_bias(self, weight, bias))?;
        let k = weight.ndim().saturating_sub(2);
        let fname = format!("conv{}{k}d", if p.transposed { "_transpose" } else { "" });
        if !(1..=2).contains(&k) {
            bail!(not_implemented, "convolution with {} spatial dims is not supported (weight of size {:?})", k, weight.shape());
        }
        if self.ndim() != k + 1 && self.ndim() != k + 2 {
            bail!(runtime, "Expected {}D (unbatched) or {}D (batched) input to {fname}, but got input of size: {:?}", k + 1, k + 2, self.shape());
        }
        if self.dtype() != weight.dtype() {
            bail!(runtime, "expected scalar type {} but found {}", self.dtype().legacy_name(), weight.dtype().legacy_name());
        }
        if let Some(b) = bias {
            if b.dtype() != self.dtype() {
                bail!(runtime, "Input type ({}) and bias type ({}) should be the same", self.dtype().legacy_name().to_lowercase(), b.dtype().legacy_name().to_lowercase());
            }
        }
        let stride = per_dim("stride", &p.stride, k)?;
        let dilation = per_dim("dilation", &p.dilation, k)?;
        if stride.contains(&0) {
            bail!(runtime, "non-positive stride is not supported");
        }
        if dilation.contains(&0) {
            bail!(runtime, "dilation should be greater than zero");
        }
        if p.groups == 0 {
            bail!(runtime, "non-positive groups is not supported");
        }
        let ks: Vec<usize> = weight.shape()[2..].to_vec();
        let (pad, pad_end) = match &p.padding {
            ConvPadding::Valid => (vec![0; k], vec![0; k]),
            ConvPadding::Explicit(v) => {
                let v = per_dim("padding", v, k)?;
                (v.clone(), v)
            }
            ConvPadding::Same => {
                if stride.iter().any(|&s| s != 1) {
                    bail!(runtime, "padding='same' is not supported for strided convolutions");
                }
                // PyTorch pads the odd extra element at the end
                let total: Vec<usize> = (0..k).map(|d| dilation[d] * (ks[d] - 1)).collect();
                (total.iter().map(|t| t / 2).collect(), total.iter().map(|t| t - t / 2).collect())
            }
        };
        let unbatched = self.ndim() == k + 1;
        let mut x = if unbatched { self.unsqueeze(0)? } else { self.clone() };
        let mut w = weight.clone();
        // 1-D runs as 2-D with height 1
        let lift = |v: &[usize], fill: usize| if k == 1 { [fill, v[0]] } else { [v[0], v[1]] };
        if k == 1 {
            x = x.unsqueeze(2)?;
            w = w.unsqueeze(2)?;
        }
        let cfg = Cfg {
            stride: lift(&stride, 1),
            pad: lift(&pad, 0),
            pad_end: lift(&pad_end, 0),
            dilation: lift(&dilation, 1),
            groups: p.groups,
        };
        let ws = dims4(&w);
        let xs = dims4(&x);
        let g = p.groups;
        // weight [o, c/g, ...] for conv; [c_in, c_out/g, ...] for transposed
        let in_ch = if p.transposed { ws[0] } else { ws[1] * g };
        if ws[0] % g != 0 {
            bail!(runtime, "Given groups={g}, expected weight to be divisible by {g} at dimension 0, but got weight of size [{:?}] instead", weight.shape());
        }
        if xs[1] != in_ch {
            let t = if p.transposed { "transposed=1" } else { "groups" };
            let t = if p.transposed { t.to_string() } else { format!("{t}={g}") };
            bail!(runtime, "Given {t}, weight of size {:?}, expected input{:?} to have {in_ch} channels, but got {} channels instead", weight.shape(), self.shape(), xs[1]);
        }
        let out_ch = if p.transposed { ws[1] * g } else { ws[0] };
        if let Some(b) = bias {
            if b.ndim() != 1 || b.numel() != out_ch {
                bail!(runtime, "Given weight of size {:?}, expected bias to be 1-dimensional with {out_ch} elements, but got bias of size {:?} instead", weight.shape(), b.shape());
            }
        }
        let out = if p.transposed {
            let op = per_dim("output_padding", if p.output_padding.is_empty() { &[0] } else { &p.output_padding }, k)?;
            if (0..k).any(|d| op[d] >= stride[d] && op[d] >= dilation[d]) {
                bail!(runtime, "output padding must be smaller than either stride or dilation, but got output_padding={op:?} stride={stride:?} dilation={dilation:?}");
            }
            let op = lift(&op, 0);
            let hw: Vec<isize> = (0..2)
                .map(|d| {
                    (xs[2 + d] as isize - 1) * cfg.stride[d] as isize - (cfg.pad[d] + cfg.pad_end[d]) as isize
                        + (cfg.dilation[d] * (ws[2 + d] - 1)) as isize
                        + op[d] as isize
                        + 1
                })
                .collect();
            if hw.iter().any(|&v| v <= 0) {
                bail!(runtime, "Given input size per channel: {:?}. Calculated output size per channel: {:?}. Output size is too small", &xs[2..], hw);
            }
            conv2d_input(&x, &w, bias, cfg, [hw[0] as usize, hw[1] as usize])?
        } else {
            let padded: Vec<usize> = (0..2).map(|d| xs[2 + d] + cfg.pad[d] + cfg.pad_end[d]).collect();
            let eff: Vec<usize> = (0..2).map(|d| cfg.dilation[d] * (ws[2 + d] - 1) + 1).collect();
            if padded[0] < eff[0] || padded[1] < eff[1] {
                let show = |v: &[usize]| if k == 1 { format!("({})", v[1]) } else { format!("({} x {})", v[0], v[1]) };
                bail!(runtime, "Calculated padded input size per channel: {}. Kernel size: {}. Kernel size can't be greater than actual input size", show(&padded), show(&eff));
            }
            conv2d(&x, &w, bias, cfg)?
        };
        let out = if k == 1 { out.squeeze(Some(&[2]))? } else { out };
        if unbatched {
            out.squeeze(Some(&[0]))
        } else {
            Ok(out)
        }
    }
}

/// unfold/fold's window arguments, resolved to 2-D.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Window2d {
    pub kernel: [usize; 2],
    pub dilation: [usize; 2],
    pub padding: [usize; 2],
    pub stride: [usize; 2],
}

impl Window2d {
    fn cfg(&self) -> Cfg {
        Cfg { stride: self.stride, pad: self.padding, pad_end: self.padding, dilation: self.dilation, groups: 1 }
    }
    /// The sliding-block counts for an input of `hw`, PyTorch's checks included.
    fn blocks(&self, hw: [usize; 2]) -> Result<[usize; 2]> {
        if self.kernel.contains(&0) || self.stride.contains(&0) || self.dilation.contains(&0) {
            bail!(runtime, "kernel size, stride and dilation should be greater than zero, but got kernel_size={:?} stride={:?} dilation={:?}", self.kernel, self.stride, self.dilation);
        }
        let c = self.cfg();
        let b = [c.out_len(0, hw[0], self.kernel[0]), c.out_len(1, hw[1], self.kernel[1])];
        if b[0] < 1 || b[1] < 1 {
            bail!(runtime, "Given input with spatial size ({}, {}), kernel_size={:?}, dilation={:?}, padding={:?}, calculated shape of the array of sliding blocks as ({}, {}), but its components must be at least one.", hw[0], hw[1], self.kernel, self.dilation, self.padding, b[0], b[1]);
        }
        Ok([b[0] as usize, b[1] as usize])
    }
}

/// im2col over a batch: x [n, c, h, w] -> [n, c*kh*kw, blocks].
pub(crate) fn unfold2d(x: &Tensor, win: Window2d) -> Result<Tensor> {
    crate::autograd::record_if_needed!([x], crate::autograd::derivatives::conv::unfold2d(x, win));
    let xs = dims4(x);
    let b = win.blocks([xs[2], xs[3]])?;
    let g = win.cfg().geom(xs, [0, 0, win.kernel[0], win.kernel[1]], b);
    if x.is_cuda() {
        return crate::cuda::conv::unfold(&g, x);
    }
    let shape = vec![xs[0], xs[1] * win.kernel[0] * win.kernel[1], b[0] * b[1]];
    float_op("im2col", &[x], &shape, |d| conv::unfold(&g, d[0]), |d| conv::unfold(&g, d[0]))
}

/// col2im: the adjoint of `unfold2d`, cols [n, c*kh*kw, blocks] -> [n, c, h, w].
pub(crate) fn fold2d(cols: &Tensor, hw: [usize; 2], win: Window2d) -> Result<Tensor> {
    crate::autograd::record_if_needed!([cols], crate::autograd::derivatives::conv::fold2d(cols, hw, win));
    let s = cols.shape();
    let kk = win.kernel[0] * win.kernel[1];
    if s[1] % kk != 0 {
        bail!(runtime, "Expected size of input's dimension 1 to be divisible by the product of kernel_size, but got input.size(1)={} and kernel_size={:?}", s[1], win.kernel);
    }
    let b = win.blocks(hw)?;
    if b[0] * b[1] != s[2] {
        bail!(runtime, "Given output_size=({}, {}), kernel_size={:?}, dilation={:?}, padding={:?}, stride={:?}, expected size of input's dimension 2 to match the calculated number of sliding blocks {} * {} = {}, but got input.size(2)={}.", hw[0], hw[1], win.kernel, win.dilation, win.padding, win.stride, b[0], b[1], b[0] * b[1], s[2]);
    }
    let xs = [s[0], s[1] / kk, hw[0], hw[1]];
    let g = win.cfg().geom(xs, [0, 0, win.kernel[0], win.kernel[1]], b);
    if cols.is_cuda() {
        return crate::cuda::conv::fold(&g, cols);
    }
    let shape = xs.to_vec();
    float_op("col2im", &[cols], &shape, |d| conv::fold(&g, d[0]), |d| conv::fold(&g, d[0]))
}

impl Tensor {
    /// `F.unfold`: [n, c, h, w] or [c, h, w] -> sliding blocks as columns.
    pub fn unfold_blocks(&self, win: Window2d) -> Result<Tensor> {
        match self.ndim() {
            4 => unfold2d(self, win),
            3 => unfold2d(&self.unsqueeze(0)?, win)?.squeeze(Some(&[0])),
            _ => bail!(runtime, "Input Error: Only 3D or 4D input Tensors are supported (got {}D)", self.ndim()),
        }
    }
    /// `F.fold`: [n, c*kh*kw, l] or [c*kh*kw, l] -> [n, c, h, w] summing overlaps.
    pub fn fold_blocks(&self, output_size: [usize; 2], win: Window2d) -> Result<Tensor> {
        match self.ndim() {
            3 => fold2d(self, output_size, win),
            2 => fold2d(&self.unsqueeze(0)?, output_size, win)?.squeeze(Some(&[0])),
            _ => bail!(runtime, "Expected 2D or 3D (batch mode) tensor for input with possibly 0 batch size and non-zero dimensions for input, but got: {:?}", self.shape()),
        }
    }
}
