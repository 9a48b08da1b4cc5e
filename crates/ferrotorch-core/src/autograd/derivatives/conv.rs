//! Convolution and unfold/fold. Three linear maps close under
//! differentiation: conv (x, w), its adjoint in x (transposed conv) and its
//! gradient in w; unfold and fold are each other's adjoints.

use crate::autograd::{op, Save};
use crate::ops::conv::{conv2d as conv_k, conv2d_input as input_k, conv2d_weight as weight_k, with_bias, Cfg, Window2d};
use crate::ops::conv::{fold2d as fold_k, unfold2d as unfold_k};
use crate::{Result, Tensor};

fn hw(t: &Tensor) -> [usize; 2] {
    [t.shape()[2], t.shape()[3]]
}

/// conv2d of a [n, c, h, w] input whose result must match `like`'s spatial
/// size (an output_padding can make the adjoint's domain larger).
fn conv_like(x: &Tensor, w: &Tensor, cfg: Cfg, like: &Tensor) -> Result<Tensor> {
    let y = conv_k(x, w, None, cfg)?;
    let (want, got) = (hw(like), hw(&y));
    if want == got {
        return Ok(y);
    }
    y.narrow(2, 0, want[0] as i64)?.narrow(3, 0, want[1] as i64)
}

fn bias_grad(g: &Tensor) -> Result<Tensor> {
    g.sum(Some(&[0, 2, 3]), false, None)
}

pub(crate) fn conv2d(x: &Tensor, w: &Tensor, bias: Option<&Tensor>, cfg: Cfg) -> Result<Tensor> {
    let (xhw, khw) = (hw(x), hw(w));
    let save = || vec![Save::T(x.clone()), Save::T(w.clone())];
    op("ConvolutionBackward0", &with_bias(x, w, bias), || conv_k(x, w, bias, cfg), save, move |s, g, needs| {
        let (x, w) = (&s[0], &s[1]);
        let mut out = vec![
            needs[0].then(|| input_k(g, w, None, cfg, xhw)).transpose()?,
            needs[1].then(|| weight_k(x, g, cfg, khw)).transpose()?,
        ];
        if needs.len() > 2 {
            out.push(needs[2].then(|| bias_grad(g)).transpose()?);
        }
        Ok(out)
    })
}

/// Transposed convolution (and conv2d's input gradient).
pub(crate) fn conv2d_input(gy: &Tensor, w: &Tensor, bias: Option<&Tensor>, cfg: Cfg, out_hw: [usize; 2]) -> Result<Tensor> {
    let khw = hw(w);
    let save = || vec![Save::T(gy.clone()), Save::T(w.clone())];
    op("ConvolutionBackward0", &with_bias(gy, w, bias), || input_k(gy, w, bias, cfg, out_hw), save, move |s, g, needs| {
        let (gy, w) = (&s[0], &s[1]);
        let mut out = vec![
            needs[0].then(|| conv_like(g, w, cfg, gy)).transpose()?,
            needs[1].then(|| weight_k(g, gy, cfg, khw)).transpose()?,
        ];
        if needs.len() > 2 {
            out.push(needs[2].then(|| bias_grad(g)).transpose()?);
        }
        Ok(out)
    })
}

/// conv2d's weight gradient as a function of (x, gy).
pub(crate) fn conv2d_weight(x: &Tensor, gy: &Tensor, cfg: Cfg, khw: [usize; 2]) -> Result<Tensor> {
    let xhw = hw(x);
    let save = || vec![Save::T(x.clone()), Save::T(gy.clone())];
    op("ConvolutionBackwardBackward0", &[x, gy], || weight_k(x, gy, cfg, khw), save, move |s, g, needs| {
        let (x, gy) = (&s[0], &s[1]);
        Ok(vec![
            needs[0].then(|| input_k(gy, g, None, cfg, xhw)).transpose()?,
            needs[1].then(|| conv_like(x, g, cfg, gy)).transpose()?,
        ])
    })
}

pub(crate) fn unfold2d(x: &Tensor, win: Window2d) -> Result<Tensor> {
    let xhw = hw(x);
    op("Im2ColBackward0", &[x], || unfold_k(x, win), Vec::new, move |_, g, _| Ok(vec![Some(fold_k(g, xhw, win)?)]))
}

pub(crate) fn fold2d(cols: &Tensor, out_hw: [usize; 2], win: Window2d) -> Result<Tensor> {
    op("Col2ImBackward0", &[cols], || fold_k(cols, out_hw, win), Vec::new, move |_, g, _| Ok(vec![Some(unfold_k(g, win)?)]))
}
