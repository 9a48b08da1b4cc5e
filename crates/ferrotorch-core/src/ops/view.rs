//! View operations: new layouts over the same storage, no data copied
//! (except `reshape`/`flatten` when the layout cannot be viewed).

use crate::layout::{fmt_shape, infer_shape, wrap_dim, wrap_dims};
use crate::{bail, Result, Tensor};

impl Tensor {
    pub fn view(&self, shape: &[i64]) -> Result<Tensor> {
        crate::autograd::record_if_needed!(
            [self],
            crate::autograd::derivatives::view::reshape_like("ViewBackward0", self, || self
                .view(shape))
        );
        let shape = infer_shape(shape, self.numel())?;
        match self.layout().view(&shape) {
            Some(l) => Ok(self.with_layout(l)),
            None => bail!(
                runtime,
                "view size is not compatible with input tensor's size and stride (at least one dimension spans across two contiguous subspaces). Use .reshape(...) instead."
            ),
        }
    }
    pub fn reshape(&self, shape: &[i64]) -> Result<Tensor> {
        let shape_u = infer_shape(shape, self.numel())?;
        match self.layout().view(&shape_u) {
            Some(_) => self.view(shape),
            None => self.contiguous()?.view(shape),
        }
    }
    pub fn flatten(&self, start: i64, end: i64) -> Result<Tensor> {
        if self.ndim() == 0 {
            return self.reshape(&[1]);
        }
        let (s, e) = (wrap_dim(start, self.ndim())?, wrap_dim(end, self.ndim())?);
        if s > e {
            bail!(
                runtime,
                "flatten() has invalid args: start_dim cannot come after end_dim"
            );
        }
        let mut shape: Vec<i64> = self.shape()[..s].iter().map(|&x| x as i64).collect();
        shape.push(self.shape()[s..=e].iter().product::<usize>() as i64);
        shape.extend(self.shape()[e + 1..].iter().map(|&x| x as i64));
        self.reshape(&shape)
    }
    pub fn unflatten(&self, dim: i64, sizes: &[i64]) -> Result<Tensor> {
        let d = self.dim_of(dim)?;
        let inner = infer_shape(sizes, self.shape()[d]).map_err(|_| {
            crate::Error::runtime(format!(
                "unflatten: Provided sizes {:?} don't multiply up to the size of dim {} ({}) in the input tensor",
                sizes, dim, self.shape()[d]
            ))
        })?;
        let mut shape: Vec<i64> = self.shape()[..d].iter().map(|&x| x as i64).collect();
        shape.extend(inner.iter().map(|&x| x as i64));
        shape.extend(self.shape()[d + 1..].iter().map(|&x| x as i64));
        self.view(&shape).or_else(|_| self.reshape(&shape))
    }
    /// Removes size-1 dims: all of them (`dims = None`) or the listed ones.
    pub fn squeeze(&self, dims: Option<&[i64]>) -> Result<Tensor> {
        crate::autograd::record_if_needed!(
            [self],
            crate::autograd::derivatives::view::reshape_like(
                if dims.is_none() {
                    "SqueezeBackward0"
                } else {
                    "SqueezeBackward1"
                },
                self,
                || self.squeeze(dims)
            )
        );
        let drop: Vec<usize> = match dims {
            None => (0..self.ndim()).filter(|&d| self.shape()[d] == 1).collect(),
            Some(ds) => {
                if self.ndim() == 0 {
                    for &d in ds {
                        wrap_dim(d, 0)?;
                    }
                    return Ok(self.clone());
                }
                wrap_dims(ds, self.ndim())?
                    .into_iter()
                    .filter(|&d| self.shape()[d] == 1)
                    .collect()
            }
        };
        let mut drop = drop;
        drop.sort();
        let mut l = self.layout().clone();
        for &d in drop.iter().rev() {
            l.shape.remove(d);
            l.strides.remove(d);
        }
        Ok(self.with_layout(l))
    }
    pub fn unsqueeze(&self, dim: i64) -> Result<Tensor> {
        crate::autograd::record_if_needed!(
            [self],
            crate::autograd::derivatives::view::reshape_like("UnsqueezeBackward0", self, || self
                .unsqueeze(dim))
        );
        let d = wrap_dim(dim, self.ndim() + 1)?;
        Ok(self.with_layout(self.layout().unsqueeze(d)))
    }
    pub fn permute(&self, dims: &[i64]) -> Result<Tensor> {
        if dims.len() != self.ndim() {
            bail!(
                runtime,
                "permute(sparse_coo): number of dimensions in the tensor input does not match the length of the desired ordering of dimensions i.e. input.dim() = {} is not equal to len(dims) = {}",
                self.ndim(),
                dims.len()
            );
        }
        let ds = wrap_dims(dims, self.ndim()).map_err(|e| {
            if e.kind == crate::ErrorKind::Runtime {
                crate::Error::runtime("permute(): duplicate dims are not allowed.")
            } else {
                e
            }
        })?;
        crate::autograd::record_if_needed!(
            [self],
            crate::autograd::derivatives::view::permute(
                "PermuteBackward0",
                self,
                ds.clone(),
                || self.permute(dims)
            )
        );
        Ok(self.with_layout(self.layout().permute(&ds)))
    }
    pub fn transpose(&self, a: i64, b: i64) -> Result<Tensor> {
        if self.ndim() == 0 {
            wrap_dim(a, 0)?;
            wrap_dim(b, 0)?;
            return Ok(self.clone());
        }
        let (a, b) = (wrap_dim(a, self.ndim())?, wrap_dim(b, self.ndim())?);
        crate::autograd::record_if_needed!([self], {
            let mut perm: Vec<usize> = (0..self.ndim()).collect();
            perm.swap(a, b);
            crate::autograd::derivatives::view::permute("TransposeBackward0", self, perm, || {
                self.transpose(a as i64, b as i64)
            })
        });
        Ok(self.with_layout(self.layout().transpose(a, b)))
    }
    /// `Tensor.t()`: transpose of a <= 2-D tensor.
    pub fn t(&self) -> Result<Tensor> {
        if self.ndim() > 2 {
            bail!(
                runtime,
                "t() expects a tensor with <= 2 dimensions, but self is {}D",
                self.ndim()
            );
        }
        if self.ndim() < 2 {
            return Ok(self.clone());
        }
        self.transpose(0, 1)
    }
    pub fn expand(&self, shape: &[i64]) -> Result<Tensor> {
        crate::autograd::record_if_needed!(
            [self],
            crate::autograd::derivatives::view::expand(self, || self.expand(shape))
        );
        Ok(self.with_layout(self.layout().expand(shape)?))
    }
    pub fn broadcast_to(&self, shape: &[usize]) -> Result<Tensor> {
        let s: Vec<i64> = shape.iter().map(|&x| x as i64).collect();
        self.expand(&s)
    }
    pub fn narrow(&self, dim: i64, start: i64, length: i64) -> Result<Tensor> {
        if self.ndim() == 0 {
            bail!(runtime, "narrow() cannot be applied to a 0-dim tensor.");
        }
        let d = wrap_dim(dim, self.ndim())?;
        let size = self.shape()[d] as i64;
        let start = if start < 0 { start + size } else { start };
        if start < 0 || start > size {
            bail!(
                index,
                "start out of range (expected to be in range of [{}, {}], but got {})",
                -size,
                size,
                start
            );
        }
        if length < 0 || start + length > size {
            bail!(
                runtime,
                "start ({}) + length ({}) exceeds dimension size ({}).",
                start,
                length,
                size
            );
        }
        crate::autograd::record_if_needed!(
            [self],
            crate::autograd::derivatives::view::subset(
                "SliceBackward0",
                self,
                std::sync::Arc::new(move |t: &Tensor| t.narrow(d as i64, start, length))
            )
        );
        Ok(self.with_layout(
            self.layout()
                .slice(d, start as usize, (start + length) as usize, 1),
        ))
    }
    /// Python-style `start:end:step` on one dim (clamps out-of-range bounds).
    pub fn slice(
        &self,
        dim: i64,
        start: Option<i64>,
        end: Option<i64>,
        step: i64,
    ) -> Result<Tensor> {
        if step <= 0 {
            bail!(value, "step must be greater than zero");
        }
        let d = wrap_dim(dim, self.ndim())?;
        let n = self.shape()[d] as i64;
        let norm = |v: i64| if v < 0 { (v + n).max(0) } else { v.min(n) };
        let s = start.map_or(0, norm);
        let e = end.map_or(n, norm).max(s);
        crate::autograd::record_if_needed!(
            [self],
            crate::autograd::derivatives::view::subset(
                "SliceBackward0",
                self,
                std::sync::Arc::new(move |t: &Tensor| t.slice(d as i64, Some(s), Some(e), step))
            )
        );
        Ok(self.with_layout(
            self.layout()
                .slice(d, s as usize, e as usize, step as usize),
        ))
    }
    pub fn select(&self, dim: i64, index: i64) -> Result<Tensor> {
        if self.ndim() == 0 {
            bail!(index, "select() cannot be applied to a 0-dim tensor.");
        }
        let d = wrap_dim(dim, self.ndim())?;
        let n = self.shape()[d] as i64;
        if index < -n || index >= n {
            bail!(
                index,
                "index {} is out of bounds for dimension {} with size {}",
                index,
                d,
                n
            );
        }
        let i = if index < 0 { index + n } else { index };
        crate::autograd::record_if_needed!(
            [self],
            crate::autograd::derivatives::view::subset(
                "SelectBackward0",
                self,
                std::sync::Arc::new(move |t: &Tensor| t.select(d as i64, i))
            )
        );
        Ok(self.with_layout(self.layout().select(d, i as usize)))
    }
    pub fn unbind(&self, dim: i64) -> Result<Vec<Tensor>> {
        let d = self.dim_of(dim)?;
        (0..self.shape()[d] as i64)
            .map(|i| self.select(d as i64, i))
            .collect()
    }
    /// `split(split_size)`: chunks of `size` along `dim` (the last may be smaller).
    pub fn split(&self, size: i64, dim: i64) -> Result<Vec<Tensor>> {
        if self.ndim() == 0 {
            bail!(runtime, "split expects at least a 1-dimensional tensor");
        }
        let d = wrap_dim(dim, self.ndim())?;
        let n = self.shape()[d] as i64;
        if size < 0 || (size == 0 && n != 0) {
            bail!(
                runtime,
                "split_size can only be 0 if dimension size is 0, but got dimension size of {}",
                n
            );
        }
        if n == 0 {
            return Ok(vec![self.clone()]);
        }
        let mut out = vec![];
        let mut s = 0;
        while s < n {
            out.push(self.narrow(d as i64, s, size.min(n - s))?);
            s += size;
        }
        Ok(out)
    }
    pub fn split_with_sizes(&self, sizes: &[i64], dim: i64) -> Result<Vec<Tensor>> {
        if self.ndim() == 0 {
            bail!(runtime, "split expects at least a 1-dimensional tensor");
        }
        let d = wrap_dim(dim, self.ndim())?;
        let n = self.shape()[d] as i64;
        if sizes.iter().sum::<i64>() != n || sizes.iter().any(|&s| s < 0) {
            bail!(
                runtime,
                "split_with_sizes expects split_sizes to sum exactly to {} (input tensor's size at dimension {}), but got split_sizes={:?}",
                n,
                d,
                sizes
            );
        }
        let mut s = 0;
        sizes
            .iter()
            .map(|&len| {
                let t = self.narrow(d as i64, s, len);
                s += len;
                t
            })
            .collect()
    }
    pub fn chunk(&self, chunks: i64, dim: i64) -> Result<Vec<Tensor>> {
        if chunks <= 0 {
            bail!(
                runtime,
                "chunk expects `chunks` to be greater than 0, got: {}",
                chunks
            );
        }
        if self.ndim() == 0 {
            bail!(runtime, "chunk expects at least a 1-dimensional tensor");
        }
        let d = wrap_dim(dim, self.ndim())?;
        let n = self.shape()[d] as i64;
        let size = (n + chunks - 1) / chunks;
        self.split(size.max(if n == 0 { 0 } else { 1 }), d as i64)
    }
    pub fn diagonal(&self, offset: i64, d1: i64, d2: i64) -> Result<Tensor> {
        let (a, b) = (wrap_dim(d1, self.ndim())?, wrap_dim(d2, self.ndim())?);
        if a == b {
            bail!(
                runtime,
                "diagonal dimensions cannot be identical {}, {}",
                d1,
                d2
            );
        }
        crate::autograd::record_if_needed!(
            [self],
            crate::autograd::derivatives::view::subset(
                "DiagonalBackward0",
                self,
                std::sync::Arc::new(move |t: &Tensor| t.diagonal(offset, a as i64, b as i64))
            )
        );
        Ok(self.with_layout(self.layout().diagonal(offset, a, b)))
    }
    pub fn movedim(&self, src: &[i64], dst: &[i64]) -> Result<Tensor> {
        if src.len() != dst.len() {
            bail!(
                runtime,
                "movedim: Invalid source or destination dims: source ({:?} dims) should contain the same number of dims as destination ({:?} dims)",
                src,
                dst
            );
        }
        let nd = self.ndim();
        let (s, d) = (wrap_dims(src, nd)?, wrap_dims(dst, nd)?);
        let mut order: Vec<Option<usize>> = vec![None; nd];
        for (&si, &di) in s.iter().zip(&d) {
            order[di] = Some(si);
        }
        let mut rest = (0..nd).filter(|x| !s.contains(x));
        let perm: Vec<i64> = order
            .into_iter()
            .map(|o| o.unwrap_or_else(|| rest.next().unwrap()) as i64)
            .collect();
        self.permute(&perm)
    }
    pub fn as_strided(
        &self,
        shape: &[usize],
        strides: &[isize],
        offset: Option<usize>,
    ) -> Result<Tensor> {
        if shape.len() != strides.len() {
            bail!(runtime, "mismatch in length of strides and shape");
        }
        if strides.iter().any(|&s| s < 0) {
            bail!(runtime, "as_strided: Negative strides are not supported at the moment, got strides: {strides:?}");
        }
        let span = shape.iter().zip(strides).try_fold(1usize, |acc, (&d, &s)| {
            if d == 0 {
                return Some(acc);
            }
            (d - 1).checked_mul(s as usize).and_then(|x| acc.checked_add(x))
        });
        if shape.iter().try_fold(1usize, |a, &d| a.checked_mul(d)).is_none() || span.is_none() {
            bail!(runtime, "numel: integer multiplication overflow");
        }
        let l = crate::Layout {
            shape: shape.to_vec(),
            strides: strides.to_vec(),
            offset: offset.unwrap_or(self.offset()),
        };
        if l.storage_span() * self.dtype().size() > self.storage().nbytes() {
            bail!(
                runtime,
                "setStorage: sizes {}, strides {:?}, storage offset {}, requiring a storage size larger than the storage",
                fmt_shape(shape),
                strides,
                l.offset
            );
        }
        crate::autograd::record_if_needed!([self], {
            if !self.is_contiguous() {
                bail!(
                    not_implemented,
                    "autograd: as_strided on a non-contiguous tensor is not differentiable"
                );
            }
            let (shape, strides, off) = (
                shape.to_vec(),
                strides.to_vec(),
                l.offset as isize - self.offset() as isize,
            );
            crate::autograd::derivatives::view::subset(
                "AsStridedBackward0",
                self,
                std::sync::Arc::new(move |t: &Tensor| {
                    let t = t.contiguous()?;
                    t.as_strided(&shape, &strides, Some((t.offset() as isize + off) as usize))
                }),
            )
        });
        Ok(self.with_layout(l))
    }
}
