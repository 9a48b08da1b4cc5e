//! Max, average and adaptive pooling over 1 or 2 spatial dims. Leading dims
//! (batch, channels) flatten into planes; 1-D pooling runs with height 1.
//! CPU tensors run `cpu::pool`, CUDA tensors `cuda::pool`.

use crate::cpu::pool::{self, Windows};
use crate::{bail, DType, Result, Tensor};
use std::sync::Arc;

/// Arguments of the fixed-window poolings; sequences hold 1 or `k` values
/// and an empty stride means "the kernel size", as in PyTorch.
#[derive(Clone, Debug, PartialEq)]
pub struct PoolParams {
    pub kernel: Vec<usize>,
    pub stride: Vec<usize>,
    pub padding: Vec<usize>,
    pub dilation: Vec<usize>,
    pub ceil_mode: bool,
    pub count_include_pad: bool,
    pub divisor_override: Option<i64>,
}

/// Windows along (height, width) for a [planes, h, w] view of the input.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Plan {
    pub wh: Windows,
    pub ww: Windows,
    pub hw: (usize, usize),
    /// Divisor replacing the window size (avg_pool's divisor_override).
    pub over: Option<f64>,
    /// The input's leading (batch, channel) dims and spatial rank.
    pub lead: Vec<usize>,
    pub k: usize,
}

impl Plan {
    fn planes(&self) -> usize {
        self.lead.iter().product()
    }
    pub(crate) fn out_shape(&self) -> Vec<usize> {
        let mut s = self.lead.clone();
        if self.k == 2 {
            s.push(self.wh.start.len());
        }
        s.push(self.ww.start.len());
        s
    }
    pub(crate) fn in_shape(&self) -> Vec<usize> {
        let mut s = self.lead.clone();
        if self.k == 2 {
            s.push(self.hw.0);
        }
        s.push(self.hw.1);
        s
    }
}

fn spatial(name: &str, x: &Tensor, k: usize) -> Result<(Vec<usize>, (usize, usize))> {
    let s = x.shape();
    if (x.ndim() != k + 1 && x.ndim() != k + 2) || s[1..].contains(&0) {
        bail!(runtime, "{name}: non-empty {}D or {}D (batch mode) tensor expected for input, but got {:?}", k + 1, k + 2, s);
    }
    let nd = x.ndim();
    let hw = if k == 2 { (s[nd - 2], s[nd - 1]) } else { (1, s[nd - 1]) };
    Ok((s[..nd - k].to_vec(), hw))
}

fn per_dim(name: &str, v: &[usize], k: usize, default: &[usize]) -> Result<Vec<usize>> {
    match v.len() {
        0 => Ok(default.to_vec()),
        1 => Ok(vec![v[0]; k]),
        n if n == k => Ok(v.to_vec()),
        _ => bail!(runtime, "{name} must either be a single int, or a tuple of {k} ints"),
    }
}

fn lift(v: &[usize], fill: usize) -> [usize; 2] {
    if v.len() == 1 {
        [fill, v[0]]
    } else {
        [v[0], v[1]]
    }
}

/// Plans a fixed-window pooling with PyTorch's checks.
fn fixed_plan(name: &str, x: &Tensor, k: usize, p: &PoolParams, max: bool) -> Result<Plan> {
    let (lead, hw) = spatial(name, x, k)?;
    let kernel = per_dim("kernel_size", &p.kernel, k, &[])?;
    let stride = per_dim("stride", &p.stride, k, &kernel)?;
    let padding = per_dim("padding", &p.padding, k, &vec![0; k])?;
    let dilation = per_dim("dilation", &p.dilation, k, &vec![1; k])?;
    if kernel.contains(&0) {
        bail!(runtime, "kernel_size must be greater than zero, but got {kernel:?}");
    }
    if stride.contains(&0) {
        bail!(runtime, "stride should not be zero");
    }
    if dilation.contains(&0) {
        bail!(runtime, "dilation must be greater than zero, but got {dilation:?}");
    }
    for d in 0..k {
        let eff = if max { (kernel[d] - 1) * dilation[d] + 1 } else { kernel[d] };
        if padding[d] > eff / 2 {
            if max {
                bail!(runtime, "pad should be at most half of effective kernel size, but got pad={}, kernel_size={} and dilation={}", padding[d], kernel[d], dilation[d]);
            }
            bail!(runtime, "pad should be at most half of kernel size, but got pad={} and kernel_size={}", padding[d], kernel[d]);
        }
    }
    if let Some(0) = p.divisor_override {
        bail!(runtime, "divisor must be not zero");
    }
    let (kn, st, pd, dl) = (lift(&kernel, 1), lift(&stride, 1), lift(&padding, 0), lift(&dilation, 1));
    let len = [hw.0, hw.1];
    let out: Vec<isize> = (0..2).map(|d| Windows::out_len(len[d], kn[d], st[d], pd[d], dl[d], p.ceil_mode)).collect();
    if out[0] < 1 || out[1] < 1 {
        let ch: usize = lead.last().copied().unwrap_or(1);
        let show = |v: &[String]| if k == 1 { v[1].clone() } else { v.join("x") };
        bail!(
            runtime,
            "Given input size: ({}x{}). Calculated output size: ({}x{}). Output size is too small",
            ch,
            show(&[hw.0.to_string(), hw.1.to_string()]),
            ch,
            show(&[out[0].to_string(), out[1].to_string()])
        );
    }
    let win = |d: usize| Windows::fixed(len[d], out[d] as usize, kn[d], st[d], pd[d], dl[d], p.count_include_pad);
    Ok(Plan { wh: win(0), ww: win(1), hw, over: p.divisor_override.map(|v| v as f64), lead, k })
}

fn adaptive_plan(name: &str, x: &Tensor, out: &[usize]) -> Result<Plan> {
    let k = out.len();
    if !(1..=2).contains(&k) {
        bail!(runtime, "{name}: output_size must be 1 or 2 values, got {out:?}");
    }
    let (lead, hw) = spatial(name, x, k)?;
    let o = lift(out, 1);
    Ok(Plan { wh: Windows::adaptive(hw.0, o[0]), ww: Windows::adaptive(hw.1, o[1]), hw, over: None, lead, k })
}

/// Max over the plan's windows: (values, flat indices within each plane).
pub(crate) fn max_pool(x: &Tensor, plan: &Arc<Plan>, name: &'static str) -> Result<(Tensor, Tensor)> {
    let (vals, idx) = if x.is_cuda() {
        crate::cuda::pool::max_pool(x, plan)?
    } else {
        let shape = plan.out_shape();
        let (np, hw) = (plan.planes(), plan.hw);
        let ((vals, idx), dt) = crate::ops::float_kernel(
            "max_pool2d",
            &[x],
            |d| {
                let (v, i) = pool::max(d[0], np, hw, &plan.wh, &plan.ww);
                (Tensor::from_vec(v, &shape), i)
            },
            |d| {
                let (v, i) = pool::max(d[0], np, hw, &plan.wh, &plan.ww);
                (Tensor::from_vec(v, &shape), i)
            },
        )?;
        let vals = vals?.to_dtype(if dt == DType::F32 { x.dtype() } else { dt })?;
        (vals, Tensor::from_vec(idx, &shape)?)
    };
    if crate::autograd::needs_grad(&[x]) {
        let vals = crate::autograd::derivatives::pool::max_pool(x, vals, &idx, plan, name)?;
        return Ok((vals, idx));
    }
    Ok((vals, idx))
}

/// Average over the plan's windows.
pub(crate) fn avg_pool(x: &Tensor, plan: &Arc<Plan>, name: &'static str) -> Result<Tensor> {
    crate::autograd::record_if_needed!([x], crate::autograd::derivatives::pool::avg_pool(x, plan, name));
    if x.is_cuda() {
        return crate::cuda::pool::avg_pool(x, plan);
    }
    let shape = plan.out_shape();
    let (np, hw, over) = (plan.planes(), plan.hw, plan.over);
    let (out, _) = crate::ops::float_kernel(
        "avg_pool2d",
        &[x],
        |d| Tensor::from_vec(pool::avg(d[0], np, hw, &plan.wh, &plan.ww, over), &shape)?.to_dtype(x.dtype()),
        |d| Tensor::from_vec(pool::avg(d[0], np, hw, &plan.wh, &plan.ww, over), &shape),
    )?;
    out
}

/// The adjoint of [`max_pool`]: output-shaped grads routed to the saved argmax.
pub(crate) fn max_pool_adjoint(g: &Tensor, idx: &Tensor, plan: &Arc<Plan>) -> Result<Tensor> {
    crate::autograd::record_if_needed!([g], crate::autograd::derivatives::pool::max_pool_adjoint(g, idx, plan));
    crate::ops::check_same_device(&[g, idx])?;
    if g.is_cuda() {
        return crate::cuda::pool::max_pool_backward(g, idx, plan);
    }
    let shape = plan.in_shape();
    let (np, plane) = (plan.planes(), plan.hw.0 * plan.hw.1);
    let idx = idx.contiguous()?;
    // SAFETY: `idx` is a contiguous int64 tensor that lives through the call.
    let ix = unsafe { idx.as_slice::<i64>() };
    let (out, _) = crate::ops::float_kernel(
        "max_pool2d_backward",
        &[g],
        |d| Tensor::from_vec(pool::max_adjoint(d[0], ix, np, plane), &shape)?.to_dtype(g.dtype()),
        |d| Tensor::from_vec(pool::max_adjoint(d[0], ix, np, plane), &shape),
    )?;
    out
}

/// The adjoint of [`avg_pool`]: output-shaped grads spread back over the input.
pub(crate) fn avg_pool_adjoint(g: &Tensor, plan: &Arc<Plan>) -> Result<Tensor> {
    crate::autograd::record_if_needed!([g], crate::autograd::derivatives::pool::avg_pool_adjoint(g, plan));
    if g.is_cuda() {
        return crate::cuda::pool::avg_pool_backward(g, plan);
    }
    let shape = plan.in_shape();
    let (np, hw, over) = (plan.planes(), plan.hw, plan.over);
    let (out, _) = crate::ops::float_kernel(
        "avg_pool2d_backward",
        &[g],
        |d| Tensor::from_vec(pool::avg_adjoint(d[0], np, hw, &plan.wh, &plan.ww, over), &shape)?.to_dtype(g.dtype()),
        |d| Tensor::from_vec(pool::avg_adjoint(d[0], np, hw, &plan.wh, &plan.ww, over), &shape),
    )?;
    out
}

impl Tensor {
    /// `max_pool{k}d_with_indices` for k = 1 or 2 spatial dims.
    pub fn max_pool(&self, k: usize, p: &PoolParams) -> Result<(Tensor, Tensor)> {
        let plan = fixed_plan(&format!("max_pool{k}d"), self, k, p, true)?;
        max_pool(self, &Arc::new(plan), if k == 1 { "MaxPool1DWithIndicesBackward0" } else { "MaxPool2DWithIndicesBackward0" })
    }
    /// `avg_pool{k}d` (divisor_override only for 2-D, as PyTorch).
    pub fn avg_pool(&self, k: usize, p: &PoolParams) -> Result<Tensor> {
        let plan = fixed_plan(&format!("avg_pool{k}d"), self, k, p, false)?;
        avg_pool(self, &Arc::new(plan), if k == 1 { "AvgPool1DBackward0" } else { "AvgPool2DBackward0" })
    }
    /// `adaptive_avg_pool{1,2}d` with one output size per spatial dim.
    pub fn adaptive_avg_pool(&self, out: &[usize]) -> Result<Tensor> {
        let name = if out.len() == 1 { "AdaptiveAvgPool1DBackward0" } else { "AdaptiveAvgPool2DBackward0" };
        let plan = adaptive_plan("adaptive_avg_pool", self, out)?;
        avg_pool(self, &Arc::new(plan), name)
    }
    /// `adaptive_max_pool{1,2}d`: (values, indices).
    pub fn adaptive_max_pool(&self, out: &[usize]) -> Result<(Tensor, Tensor)> {
        let name = if out.len() == 1 { "AdaptiveMaxPool1DBackward0" } else { "AdaptiveMaxPool2DBackward0" };
        let plan = adaptive_plan("adaptive_max_pool", self, out)?;
        max_pool(self, &Arc::new(plan), name)
    }
}
