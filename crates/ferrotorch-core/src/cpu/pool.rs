//! Pooling over windows. One description covers fixed (kernel, stride,
//! padding, dilation, ceil_mode) and adaptive windows: along each spatial dim
//! output index `o` reads input positions `start[o], start[o]+step, ... < end[o]`,
//! already clipped to the input. Inputs are contiguous [planes, h, w]; 1-D
//! pooling runs with h = 1.

use super::{Real, SendPtr};

/// The windows along one spatial dim.
#[derive(Clone, Debug, PartialEq)]
pub struct Windows {
    pub start: Vec<usize>,
    pub end: Vec<usize>,
    pub step: usize,
    /// Average pooling's divisor share of this dim (the padded window size
    /// when padding counts, else the clipped one).
    pub count: Vec<usize>,
    /// The rule the windows came from (the CUDA kernels recompute them).
    pub rule: Rule,
}

/// How [`Windows`] are formed along one dim.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rule {
    Fixed { k: usize, s: usize, p: usize, d: usize, count_pad: bool },
    Adaptive,
}

impl Windows {
    /// PyTorch's fixed windows; `out` comes from [`Windows::out_len`].
    pub fn fixed(len: usize, out: usize, k: usize, s: usize, p: usize, d: usize, count_pad: bool) -> Windows {
        let (mut start, mut end, mut count) = (vec![], vec![], vec![]);
        for o in 0..out {
            let raw = (o * s) as isize - p as isize;
            let first = if raw < 0 { raw + (-raw + d as isize - 1) / d as isize * d as isize } else { raw };
            let last = (raw + ((k - 1) * d) as isize + 1).min(len as isize);
            start.push(first.max(0) as usize);
            end.push(last.max(first).max(0) as usize);
            // with padding counted, the window stops at the end of the padding
            let padded = (raw + k as isize).min((len + p) as isize) - raw;
            count.push(if count_pad { padded as usize } else { (last - first).max(0) as usize });
        }
        Windows { start, end, step: d, count, rule: Rule::Fixed { k, s, p, d, count_pad } }
    }

    /// Adaptive windows: [floor(o*len/out), ceil((o+1)*len/out)).
    pub fn adaptive(len: usize, out: usize) -> Windows {
        let start: Vec<usize> = (0..out).map(|o| o * len / out).collect();
        let end: Vec<usize> = (0..out).map(|o| ((o + 1) * len).div_ceil(out)).collect();
        let count = start.iter().zip(&end).map(|(s, e)| e - s).collect();
        Windows { start, end, step: 1, count, rule: Rule::Adaptive }
    }

    /// PyTorch's `pooling_output_shape`: floor or ceil division, and with
    /// ceil_mode the last window must start inside the input or left padding.
    pub fn out_len(len: usize, k: usize, s: usize, p: usize, d: usize, ceil: bool) -> isize {
        let span = len as isize + 2 * p as isize - (d * (k - 1)) as isize - 1;
        let s_i = s as isize;
        let mut out = (span + if ceil { s_i - 1 } else { 0 }).div_euclid(s_i) + 1;
        if ceil && (out - 1) * s_i >= len as isize + p as isize {
            out -= 1;
        }
        out
    }

    fn len(&self) -> usize {
        self.start.len()
    }
}

/// Runs `f(plane)` for every plane, across threads when the work is large.
fn planes(n: usize, work: usize, f: impl Fn(usize) + Sync + Send) {
    super::for_each_index(n, work >= crate::iter::PARALLEL_THRESHOLD && n > 1 && crate::iter::parallel(), f);
}

/// Max over each window: values and the flat index `ih * w + iw` of the
/// winner within its plane. NaN wins, as in PyTorch.
pub fn max<T: Real>(x: &[T], np: usize, (h, w): (usize, usize), wh: &Windows, ww: &Windows) -> (Vec<T>, Vec<i64>) {
    let (oh, ow) = (wh.len(), ww.len());
    let mut vals = vec![T::ZERO; np * oh * ow];
    let mut idx = vec![0i64; np * oh * ow];
    let (vp, ip) = (SendPtr(vals.as_mut_ptr()), SendPtr(idx.as_mut_ptr()));
    planes(np, x.len(), |p| {
        let plane = &x[p * h * w..(p + 1) * h * w];
        for y in 0..oh {
            for xo in 0..ow {
                let (mut best, mut at) = (T::NEG_INF, (wh.start[y] * w + ww.start[xo]) as i64);
                'win: for ih in (wh.start[y]..wh.end[y]).step_by(wh.step) {
                    for iw in (ww.start[xo]..ww.end[xo]).step_by(ww.step) {
                        let v = plane[ih * w + iw];
                        if v > best || v.is_nan() {
                            best = v;
                            at = (ih * w + iw) as i64;
                            if v.is_nan() {
                                break 'win;
                            }
                        }
                    }
                }
                let o = (p * oh + y) * ow + xo;
                // SAFETY: plane p writes only its own outputs.
                unsafe {
                    *vp.get().add(o) = best;
                    *ip.get().add(o) = at;
                }
            }
        }
    });
    (vals, idx)
}

fn divisor(wh: &Windows, ww: &Windows, y: usize, x: usize, over: Option<f64>) -> f64 {
    over.unwrap_or((wh.count[y] * ww.count[x]) as f64)
}

/// Average over each window (windows have step 1).
pub fn avg<T: Real>(x: &[T], np: usize, (h, w): (usize, usize), wh: &Windows, ww: &Windows, over: Option<f64>) -> Vec<T> {
    let (oh, ow) = (wh.len(), ww.len());
    let mut out = vec![T::ZERO; np * oh * ow];
    let op = SendPtr(out.as_mut_ptr());
    planes(np, x.len(), |p| {
        let plane = &x[p * h * w..(p + 1) * h * w];
        for y in 0..oh {
            for xo in 0..ow {
                let mut sum = T::ZERO;
                for ih in wh.start[y]..wh.end[y] {
                    for v in &plane[ih * w + ww.start[xo]..ih * w + ww.end[xo]] {
                        sum += *v;
                    }
                }
                let d = T::from_f64(divisor(wh, ww, y, xo, over));
                // SAFETY: plane p writes only its own outputs.
                unsafe { *op.get().add((p * oh + y) * ow + xo) = sum / d };
            }
        }
    });
    out
}

/// The adjoint of [`avg`]: spreads each output grad over its window.
pub fn avg_adjoint<T: Real>(g: &[T], np: usize, (h, w): (usize, usize), wh: &Windows, ww: &Windows, over: Option<f64>) -> Vec<T> {
    let (oh, ow) = (wh.len(), ww.len());
    let mut out = vec![T::ZERO; np * h * w];
    let op = SendPtr(out.as_mut_ptr());
    planes(np, out.len(), |p| {
        // SAFETY: plane p writes only its own plane.
        let plane = unsafe { std::slice::from_raw_parts_mut(op.get().add(p * h * w), h * w) };
        for y in 0..oh {
            for xo in 0..ow {
                let v = g[(p * oh + y) * ow + xo] / T::from_f64(divisor(wh, ww, y, xo, over));
                for ih in wh.start[y]..wh.end[y] {
                    for dst in &mut plane[ih * w + ww.start[xo]..ih * w + ww.end[xo]] {
                        *dst += v;
                    }
                }
            }
        }
    });
    out
}

/// The adjoint of [`max`]: each output grad goes to its argmax (`idx`, flat
/// within the plane); `plane` is h * w of the input.
pub fn max_adjoint<T: Real>(g: &[T], idx: &[i64], np: usize, plane: usize) -> Vec<T> {
    let per = if np == 0 { 0 } else { g.len() / np };
    let mut out = vec![T::ZERO; np * plane];
    let op = SendPtr(out.as_mut_ptr());
    planes(np, g.len(), |p| {
        // SAFETY: plane p writes only its own plane; indices come from `max`.
        let dst = unsafe { std::slice::from_raw_parts_mut(op.get().add(p * plane), plane) };
        for j in p * per..(p + 1) * per {
            dst[idx[j] as usize] += g[j];
        }
    });
    out
}
