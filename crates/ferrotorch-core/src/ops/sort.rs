//! Sorting: sort/argsort/topk/kthvalue/unique/unique_consecutive. NaN sorts
//! as the largest value; equal values keep their order (stable). CUDA
//! tensors sort in `cuda::sort` with the same order, so results match.

use crate::autograd::derivatives::index::select_along;
use crate::autograd::record_if_needed;
use crate::layout::wrap_dim;
use crate::{bail, dispatch, DType, Element, Result, Tensor};
use std::cmp::Ordering;

/// Total order with NaN greater than everything (NaNs equal to each other).
#[inline]
fn cmp_nan_last<T: Element>(a: &T, b: &T) -> Ordering {
    #[allow(clippy::eq_op)]
    let (an, bn) = (a != a, b != b);
    match (an, bn) {
        (true, true) => Ordering::Equal,
        (true, false) => Ordering::Greater,
        (false, true) => Ordering::Less,
        _ => a.partial_cmp(b).unwrap_or(Ordering::Equal),
    }
}

impl Tensor {
    /// `sort(dim, descending)`: (values, int64 indices). Always stable.
    pub fn sort(&self, dim: i64, descending: bool) -> Result<(Tensor, Tensor)> {
        record_if_needed!(
            [self],
            select_along("SortBackward0", self, dim, true, || self
                .sort(dim, descending))
        );
        let d = wrap_dim(dim, self.ndim())?;
        if self.ndim() == 0 {
            return Ok((self.deep_clone()?, Tensor::zeros_on(&[], DType::I64, self.device())?));
        }
        let x = self.contiguous()?;
        if x.is_cuda() {
            return crate::cuda::sort::sort(&x, d, descending);
        }
        let shape = x.shape().to_vec();
        let n = shape[d];
        let inner: usize = shape[d + 1..].iter().product();
        let outer: usize = shape[..d].iter().product();
        let total = x.numel();
        let mut idx_out = vec![0i64; total];
        let vals = dispatch!(x.dtype(), T => {
            let src = unsafe { x.as_slice::<T>() };
            let mut out: Vec<T> = src.to_vec();
            let mut lane: Vec<(T, i64)> = Vec::with_capacity(n);
            for o in 0..outer {
                for i in 0..inner {
                    let base = o * n * inner + i;
                    lane.clear();
                    lane.extend((0..n).map(|k| (src[base + k * inner], k as i64)));
                    if descending {
                        lane.sort_by(|a, b| cmp_nan_last(&b.0, &a.0));
                    } else {
                        lane.sort_by(|a, b| cmp_nan_last(&a.0, &b.0));
                    }
                    for (k, &(v, j)) in lane.iter().enumerate() {
                        out[base + k * inner] = v;
                        idx_out[base + k * inner] = j;
                    }
                }
            }
            Tensor::from_vec_unchecked(out, &shape)
        });
        Ok((vals, Tensor::from_vec_unchecked(idx_out, &shape)))
    }

    pub fn argsort(&self, dim: i64, descending: bool) -> Result<Tensor> {
        Ok(self.sort(dim, descending)?.1)
    }

    /// `topk(k, dim, largest, sorted)`; results are always sorted.
    pub fn topk(&self, k: i64, dim: i64, largest: bool) -> Result<(Tensor, Tensor)> {
        record_if_needed!(
            [self],
            select_along("TopkBackward0", self, dim, true, || self
                .topk(k, dim, largest))
        );
        let d = wrap_dim(dim, self.ndim())?;
        let n = if self.ndim() == 0 {
            1
        } else {
            self.shape()[d] as i64
        };
        if k < 0 || k > n {
            bail!(runtime, "selected index k out of range");
        }
        let (v, i) = self.sort(d as i64, largest)?;
        if self.ndim() == 0 {
            return Ok((v, i));
        }
        Ok((
            v.narrow(d as i64, 0, k)?.contiguous()?,
            i.narrow(d as i64, 0, k)?.contiguous()?,
        ))
    }

    /// `kthvalue(k, dim, keepdim)`: the k-th smallest value along `dim` (NaN
    /// largest) and its index; among equal values the first one's.
    pub fn kthvalue(&self, k: i64, dim: i64, keepdim: bool) -> Result<(Tensor, Tensor)> {
        record_if_needed!(
            [self],
            select_along("KthvalueBackward0", self, dim, keepdim, || self
                .kthvalue(k, dim, keepdim))
        );
        let d = wrap_dim(dim, self.ndim())?;
        let n = if self.ndim() == 0 { 1 } else { self.shape()[d] as i64 };
        if k < 1 || k > n {
            bail!(index, "kthvalue(): selected number k out of range for dimension {d}");
        }
        let (v, i) = self.sort(d as i64, false)?;
        if self.ndim() == 0 {
            return Ok((v, i));
        }
        let pick = |t: Tensor| -> Result<Tensor> {
            let t = t.narrow(d as i64, k - 1, 1)?;
            if keepdim { t.contiguous() } else { t.squeeze(Some(&[d as i64]))?.contiguous() }
        };
        Ok((pick(v)?, pick(i)?))
    }

    /// Flattened `unique`: (sorted unique values, inverse indices shaped like self, counts).
    pub fn unique(&self) -> Result<(Tensor, Tensor, Tensor)> {
        // unique is not differentiable: sort without recording
        let flat = self.detach().reshape(&[-1])?;
        let (sv, si) = flat.sort(0, false)?;
        let (u, inv, c) = runs(&sv, Some(&si))?;
        Ok((u, inv.reshape(&crate::ops::shape::i64s(self.shape()))?, c))
    }

    /// Flattened `unique_consecutive`: (the first value of each run of equal
    /// neighbours, each element's run shaped like self, run lengths).
    pub fn unique_consecutive(&self) -> Result<(Tensor, Tensor, Tensor)> {
        let flat = self.detach().reshape(&[-1])?.contiguous()?;
        let (u, inv, c) = runs(&flat, None)?;
        Ok((u, inv.reshape(&crate::ops::shape::i64s(self.shape()))?, c))
    }
}

/// Runs of equal values (NaNs never equal) of the contiguous 1-D `v`: (each
/// run's first value, the run of element k stored at `order[k]` (or k), run
/// lengths).
fn runs(v: &Tensor, order: Option<&Tensor>) -> Result<(Tensor, Tensor, Tensor)> {
    if v.is_cuda() {
        return crate::cuda::sort::runs(v, order);
    }
    let order = order.map(|o| o.to_vec::<i64>()).transpose()?;
    let n = v.numel();
    let mut inverse = vec![0i64; n];
    let mut counts: Vec<i64> = vec![];
    let vals = dispatch!(v.dtype(), T => {
        let s = unsafe { v.as_slice::<T>() };
        let mut u: Vec<T> = vec![];
        for k in 0..n {
            if k == 0 || s[k] != s[k - 1] {
                u.push(s[k]);
                counts.push(0);
            }
            *counts.last_mut().unwrap() += 1;
            inverse[order.as_ref().map_or(k, |o| o[k] as usize)] = u.len() as i64 - 1;
        }
        let len = u.len();
        Tensor::from_vec_unchecked(u, &[len])
    });
    let nc = counts.len();
    Ok((vals, Tensor::from_vec_unchecked(inverse, &[n]), Tensor::from_vec_unchecked(counts, &[nc])))
}
