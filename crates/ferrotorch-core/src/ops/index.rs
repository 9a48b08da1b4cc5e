//! Index-based ops: gather and friends.

use crate::autograd::derivatives::{index as grad, inplace};
use crate::autograd::record_if_needed;
use crate::dtype::Category;
use crate::layout::wrap_dim;
use crate::{bail, dispatch, DType, Element, Result, Scalar, Tensor};

impl Tensor {
    /// `torch.gather(self, dim, index)`: out[i][j] = self[index[i][j]][j] (dim 0).
    pub fn gather(&self, dim: i64, index: &Tensor) -> Result<Tensor> {
        record_if_needed!([self], grad::gather(self, dim, index));
        crate::ops::check_same_device(&[self, index])?;
        if index.dtype() != DType::I64 {
            bail!(runtime, "gather(): Expected dtype int64 for index");
        }
        let d = wrap_dim(dim, self.ndim())?;
        if index.ndim() != self.ndim() && !(index.ndim() <= 1 && self.ndim() <= 1) {
            bail!(
                runtime,
                "Index tensor must have the same number of dimensions as input tensor"
            );
        }
        for i in 0..index.ndim() {
            if i != d && index.shape()[i] > self.shape().get(i).copied().unwrap_or(1) {
                bail!(
                    runtime,
                    "Size does not match at dimension {} expected index {} to be smaller than self {} apart from dimension {}",
                    i,
                    crate::layout::fmt_shape(index.shape()),
                    crate::layout::fmt_shape(self.shape()),
                    d
                );
            }
        }
        if self.is_cuda() {
            if self.ndim() == 0 || index.ndim() != self.ndim() {
                return Err(crate::cuda::unsupported("aten::gather (0-d operands)"));
            }
            return crate::cuda::index::gather(self, d, index);
        }
        let idx = index.contiguous()?;
        let ids = unsafe { idx.as_slice::<i64>() };
        let shape = index.shape().to_vec();
        let size = if self.ndim() == 0 {
            1
        } else {
            self.shape()[d] as i64
        };
        // walk the index's shape over self's strides with dim `d` contributed by the index value
        let mut strides: Vec<isize> = if self.ndim() == 0 {
            vec![0; shape.len()]
        } else {
            self.strides().to_vec()
        };
        let dstride = strides.get_mut(d).map(std::mem::take).unwrap_or(0);
        let offs = offsets(&shape, &strides);
        Ok(dispatch!(self.dtype(), T => {
            let base = unsafe { self.ptr::<T>() };
            let mut out: Vec<T> = Vec::with_capacity(offs.len());
            for (&ix, &o) in ids.iter().zip(&offs) {
                if ix < -size || ix >= size {
                    bail!(runtime, "index {} is out of bounds for dimension {} with size {}", ix, d, size);
                }
                let ix = if ix < 0 { ix + size } else { ix };
                out.push(unsafe { *base.offset(o + ix as isize * dstride) });
            }
            Tensor::from_vec_unchecked(out, &shape)
        }))
    }
}

/// `a + b` for any element type (wrapping for ints, OR for bool); used by the
/// accumulating index ops. Float adds go through f64, which rounds exactly once.
#[inline(always)]
fn acc_add<T: Element>(a: T, b: T) -> T {
    match T::DTYPE.category() {
        Category::Float => T::from_f64(a.to_f64() + b.to_f64()),
        Category::Int => T::from_i64(a.to_i64().wrapping_add(b.to_i64())),
        Category::Bool => T::from_bool(!a.is_zero() || !b.is_zero()),
    }
}

/// Element offsets (relative to element 0) of a strided walk in row-major order.
fn offsets(shape: &[usize], strides: &[isize]) -> Vec<isize> {
    let n: usize = shape.iter().product();
    let mut out = Vec::with_capacity(n);
    if n == 0 {
        return out;
    }
    let mut pos = vec![0usize; shape.len()];
    let mut off = 0isize;
    for _ in 0..n {
        out.push(off);
        for k in (0..shape.len()).rev() {
            pos[k] += 1;
            off += strides[k];
            if pos[k] < shape[k] {
                break;
            }
            off -= strides[k] * shape[k] as isize;
            pos[k] = 0;
        }
    }
    out
}

/// Checks an index tensor's dtype and returns it as int64.
fn long_index(t: &Tensor, what: &str) -> Result<Tensor> {
    match t.dtype() {
        DType::I64 => Ok(t.clone()),
        DType::I32 | DType::I16 | DType::I8 => t.to_dtype(DType::I64),
        _ => bail!(runtime, "{}(): Expected dtype int64 for index", what),
    }
}

/// Wraps a possibly negative index, or the IndexError PyTorch raises.
#[inline]
fn wrap_index(ix: i64, size: usize, dim: usize) -> Result<isize> {
    let s = size as i64;
    if ix < -s || ix >= s {
        bail!(
            index,
            "index {} is out of bounds for dimension {} with size {}",
            ix,
            dim,
            size
        );
    }
    Ok((if ix < 0 { ix + s } else { ix }) as isize)
}

/// Per broadcast position of the index tensors, the element offset they
/// select: computed on the host for CPU tensors, by a kernel on CUDA (where
/// out-of-range indices are reported at the next synchronization).
enum AdvOffsets {
    Host(Vec<isize>),
    Device(Tensor),
}

/// The resolved form of an advanced index (PyTorch's `AdvancedIndex`).
struct AdvIndex {
    /// `src` permuted so the indexed dims come first.
    src: Tensor,
    /// number of indexed dims
    nadv: usize,
    /// broadcast shape of the index tensors
    bshape: Vec<usize>,
    /// per broadcast position: the element offset contributed by the indices
    adv_off: AdvOffsets,
    /// where the broadcast dims go in the result (0 when moved to the front)
    insert_at: usize,
}

impl AdvIndex {
    fn new(src: &Tensor, indices: &[Option<Tensor>]) -> Result<AdvIndex> {
        // CPU index tensors may index a CUDA tensor (as in PyTorch), not the reverse
        if !src.is_cuda() && indices.iter().flatten().any(|t| t.is_cuda()) {
            bail!(
                runtime,
                "indices should be either on cpu or on the same device as the indexed tensor (cpu)"
            );
        }
        // Expand bool/uint8 masks into one long index per mask dimension.
        let mut idx: Vec<Option<Tensor>> = Vec::new();
        for (i, t) in indices.iter().enumerate() {
            match t {
                Some(m) if m.dtype() == DType::Bool || m.dtype() == DType::U8 => {
                    let start = idx.len();
                    for k in 0..m.ndim() {
                        let d = start + k;
                        if d >= src.ndim() || m.shape()[k] != src.shape()[d] {
                            bail!(
                                index,
                                "The shape of the mask {} at index {} does not match the shape of the indexed tensor {} at index {}",
                                crate::layout::fmt_shape(m.shape()),
                                k,
                                crate::layout::fmt_shape(src.shape()),
                                d
                            );
                        }
                    }
                    let nz = m.nonzero()?;
                    for k in 0..m.ndim() {
                        idx.push(Some(nz.select(1, k as i64)?));
                    }
                    let _ = i;
                }
                Some(t) => {
                    if t.dtype().is_floating_point() {
                        bail!(
                            index,
                            "tensors used as indices must be long, int, byte or bool tensors"
                        );
                    }
                    idx.push(Some(long_index(t, "index")?));
                }
                None => idx.push(None),
            }
        }
        if idx.len() > src.ndim() {
            bail!(
                index,
                "too many indices for tensor of dimension {} (got {})",
                src.ndim(),
                idx.len()
            );
        }
        let adv: Vec<usize> = (0..idx.len()).filter(|&i| idx[i].is_some()).collect();
        if adv.is_empty() {
            bail!(runtime, "index(): at least one index tensor is required");
        }
        let adjacent = adv.windows(2).all(|w| w[1] == w[0] + 1);
        let insert_at = if adjacent { adv[0] } else { 0 };
        let mut bshape: Vec<usize> = Vec::new();
        for &a in &adv {
            let t = idx[a].as_ref().unwrap();
            bshape = crate::layout::broadcast_shapes(&bshape, t.shape()).map_err(|_| {
                let shapes: Vec<String> =
                    adv.iter().map(|&a| crate::layout::fmt_shape(idx[a].as_ref().unwrap().shape())).collect();
                crate::Error::index(format!("shape mismatch: indexing tensors could not be broadcast together with shapes {}", shapes.join(", ")))
            })?;
        }
        let rest: Vec<usize> = (0..src.ndim()).filter(|d| !adv.contains(d)).collect();
        let perm: Vec<i64> = adv.iter().chain(rest.iter()).map(|&d| d as i64).collect();
        let psrc = src.permute(&perm)?;
        let adv_off = if src.is_cuda() {
            let on_device: Vec<Tensor> = adv
                .iter()
                .map(|&a| idx[a].as_ref().unwrap().to_device(src.device()))
                .collect::<Result<_>>()?;
            let parts: Vec<(&Tensor, usize, isize)> = adv
                .iter()
                .zip(&on_device)
                .map(|(&a, t)| (t, src.shape()[a], src.strides()[a]))
                .collect();
            AdvOffsets::Device(crate::cuda::index::adv_offsets(&bshape, &parts, src.device())?)
        } else {
            let nb: usize = bshape.iter().product();
            let mut adv_off = vec![0isize; nb];
            for &a in &adv {
                let t = idx[a]
                    .as_ref()
                    .unwrap()
                    .broadcast_to(&bshape)?
                    .contiguous()?;
                let ids = unsafe { t.as_slice::<i64>() };
                let (size, stride) = (src.shape()[a], src.strides()[a]);
                for (o, &ix) in adv_off.iter_mut().zip(ids) {
                    *o += wrap_index(ix, size, a)? * stride;
                }
            }
            AdvOffsets::Host(adv_off)
        };
        Ok(AdvIndex {
            src: psrc,
            nadv: adv.len(),
            bshape,
            adv_off,
            insert_at,
        })
    }

    /// Shape of the indexing result in `[broadcast..., rest...]` order.
    fn flat_shape(&self) -> Vec<usize> {
        self.bshape
            .iter()
            .chain(self.src.shape()[self.nadv..].iter())
            .copied()
            .collect()
    }

    /// Permutation taking the flat order to the result order.
    fn result_perm(&self) -> Vec<i64> {
        let nb = self.bshape.len() as i64;
        let nr = (self.src.ndim() - self.nadv) as i64;
        let p = self.insert_at as i64;
        (nb..nb + p).chain(0..nb).chain(nb + p..nb + nr).collect()
    }

    fn result_shape(&self) -> Vec<usize> {
        let flat = self.flat_shape();
        self.result_perm()
            .iter()
            .map(|&i| flat[i as usize])
            .collect()
    }

    fn rest_offsets(&self) -> Vec<isize> {
        offsets(
            &self.src.shape()[self.nadv..],
            &self.src.strides()[self.nadv..],
        )
    }
}

impl Tensor {
    /// `self[indices]` for advanced indexing (PyTorch's `aten::index`):
    /// `None` entries take a whole dim; index tensors (long/int, or bool masks)
    /// broadcast together. Adjacent indexed dims are replaced in place by the
    /// broadcast dims, otherwise those go to the front.
    pub fn index(&self, indices: &[Option<Tensor>]) -> Result<Tensor> {
        record_if_needed!([self], grad::index(self, indices));
        if self.is_cuda() {
            // one integer index tensor after plain dims: an index_select
            let k = indices.iter().take_while(|i| i.is_none()).count();
            if let (Some(Some(ix)), true) = (indices.get(k), indices.iter().skip(k + 1).all(Option::is_none)) {
                if ix.dtype() == DType::I64 && k < self.ndim() {
                    // CPU index tensors may index CUDA tensors, as in PyTorch
                    let flat = ix.reshape(&[-1])?.to_device(self.device())?;
                    let picked = self.index_select(k as i64, &flat)?;
                    // the index's own shape replaces dim k
                    let mut shape: Vec<i64> = self.shape()[..k].iter().map(|&s| s as i64).collect();
                    shape.extend(ix.shape().iter().map(|&s| s as i64));
                    shape.extend(self.shape()[k + 1..].iter().map(|&s| s as i64));
                    return picked.view(&shape);
                }
            }
        }
        let ai = AdvIndex::new(self, indices)?;
        let adv_off = match &ai.adv_off {
            AdvOffsets::Host(o) => o,
            AdvOffsets::Device(off) => {
                // written straight in result order
                return crate::cuda::index::index_gather(&ai.src, ai.nadv, off, &ai.result_shape(), &ai.result_perm());
            }
        };
        let rest = ai.rest_offsets();
        let flat = ai.flat_shape();
        let n = adv_off.len() * rest.len();
        let out = dispatch!(self.dtype(), T => {
            let base = unsafe { ai.src.ptr::<T>() };
            let mut out: Vec<T> = Vec::with_capacity(n);
            for &a in adv_off {
                for &r in &rest {
                    out.push(unsafe { *base.offset(a + r) });
                }
            }
            Tensor::from_vec_unchecked(out, &flat)
        });
        if ai.insert_at == 0 {
            return Ok(out);
        }
        out.permute(&ai.result_perm())?.contiguous()
    }

    /// `self.index_put_(indices, values, accumulate)`: writes (or adds) `values`,
    /// broadcast to the indexing result's shape, into the indexed positions.
    pub fn index_put_(
        &self,
        indices: &[Option<Tensor>],
        values: &Tensor,
        accumulate: bool,
    ) -> Result<()> {
        if inplace::needs_grad(self, &[values]) {
            return self.copy_(&self.index_put(indices, values, accumulate)?);
        }
        crate::ops::check_same_device(&[self, values])?;
        let ai = AdvIndex::new(self, indices)?;
        let rshape = ai.result_shape();
        let vb = values.broadcast_to(&rshape).map_err(|_| {
            crate::Error::runtime(format!(
                "shape mismatch: value tensor of shape {} cannot be broadcast to indexing result of shape {}",
                crate::layout::fmt_shape(values.shape()),
                crate::layout::fmt_shape(&rshape)
            ))
        })?;
        // back to [broadcast..., rest...] order, then a private copy in our dtype
        let nb = ai.bshape.len() as i64;
        let nr = (ai.src.ndim() - ai.nadv) as i64;
        let p = ai.insert_at as i64;
        let inv: Vec<i64> = (p..p + nb).chain(0..p).chain(p + nb..nb + nr).collect();
        let adv_off = match &ai.adv_off {
            AdvOffsets::Host(o) => o,
            AdvOffsets::Device(off) => {
                // values are read in place (broadcast, not materialized) unless
                // they need converting or alias self
                let v = values.to_device(self.device())?;
                let aliased = v.storage().ptr_eq(self.storage());
                let v = if v.dtype() != self.dtype() || aliased {
                    crate::ops::cast::cast_copy(&v, self.dtype())?
                } else {
                    v
                };
                let vb = v.broadcast_to(&rshape)?.permute(&inv)?;
                crate::cuda::index::index_put(&ai.src, ai.nadv, off, &vb, accumulate)?;
                self.bump_version();
                return Ok(());
            }
        };
        let v = crate::ops::cast::cast_copy(&vb.permute(&inv)?, self.dtype())?;
        let rest = ai.rest_offsets();
        dispatch!(self.dtype(), T => {
            let base = unsafe { ai.src.ptr::<T>() };
            let vals = unsafe { v.as_slice::<T>() };
            let mut k = 0;
            for &a in adv_off {
                for &r in &rest {
                    unsafe {
                        let p = base.offset(a + r);
                        *p = if accumulate { acc_add(*p, vals[k]) } else { vals[k] };
                    }
                    k += 1;
                }
            }
        });
        self.bump_version();
        Ok(())
    }

    /// Out-of-place `index_put`.
    pub fn index_put(
        &self,
        indices: &[Option<Tensor>],
        values: &Tensor,
        accumulate: bool,
    ) -> Result<Tensor> {
        record_if_needed!(
            [self, values],
            grad::index_put(self, indices, values, accumulate)
        );
        let r = self.deep_clone()?;
        r.index_put_(indices, values, accumulate)?;
        Ok(r)
    }

    /// `torch.nonzero(self)`: an `[n, ndim]` int64 tensor of the nonzero positions.
    pub fn nonzero(&self) -> Result<Tensor> {
        if self.is_cuda() {
            return crate::cuda::compact::nonzero(self);
        }
        let nd = self.ndim();
        let shape = self.shape().to_vec();
        let mut out: Vec<i64> = Vec::new();
        let mut pos = vec![0i64; nd];
        let mut count = 0usize;
        dispatch!(self.dtype(), T => {
            crate::cpu::map::for_each::<T>(self, |x| {
                if !x.is_zero() {
                    out.extend_from_slice(&pos);
                    count += 1;
                }
                for k in (0..nd).rev() {
                    pos[k] += 1;
                    if (pos[k] as usize) < shape[k] {
                        break;
                    }
                    pos[k] = 0;
                }
            })
        });
        Ok(Tensor::from_vec_unchecked(out, &[count, nd]))
    }

    /// `torch.nonzero(self, as_tuple=True)`: one 1-D index tensor per dim.
    pub fn nonzero_tuple(&self) -> Result<Vec<Tensor>> {
        let nz = self.nonzero()?;
        if self.ndim() == 0 {
            // a 0-d input behaves like a 1-element 1-D one
            let n = nz.shape()[0];
            return Ok(vec![Tensor::zeros_on(&[n], DType::I64, self.device())?]);
        }
        (0..self.ndim())
            .map(|k| nz.select(1, k as i64)?.contiguous())
            .collect()
    }

    /// `torch.index_select(self, dim, index)`.
    pub fn index_select(&self, dim: i64, index: &Tensor) -> Result<Tensor> {
        record_if_needed!([self], grad::index_select(self, dim, index));
        crate::ops::check_same_device(&[self, index])?;
        if index.ndim() > 1 {
            bail!(index, "index_select(): Index is supposed to be a vector");
        }
        if !matches!(index.dtype(), DType::I64 | DType::I32) {
            bail!(
                runtime,
                "index_select(): Expected dtype int32 or int64 for index"
            );
        }
        let d = wrap_dim(dim, self.ndim())?;
        let idx = long_index(index, "index_select")?.reshape(&[-1])?;
        if self.ndim() == 0 {
            let r = self.reshape(&[1])?.index(&[Some(idx)])?;
            return if index.ndim() == 0 {
                r.reshape(&[])
            } else {
                Ok(r)
            };
        }
        if self.is_cuda() {
            return crate::cuda::index::index_select(self, d, &idx);
        }
        let mut ii: Vec<Option<Tensor>> = vec![None; d];
        ii.push(Some(idx));
        self.index(&ii)
    }

    /// `torch.masked_select(self, mask)`: the elements where the broadcast mask is true, as 1-D.
    pub fn masked_select(&self, mask: &Tensor) -> Result<Tensor> {
        record_if_needed!([self], grad::masked_select(self, mask));
        check_bool_mask(mask, "masked_select")?;
        let shape = crate::layout::broadcast_shapes(self.shape(), mask.shape())?;
        if self.is_cuda() {
            crate::ops::check_same_device(&[self, mask])?;
            let m = mask.to_device(self.device())?.broadcast_to(&shape)?;
            return crate::cuda::compact::masked_compact(&self.broadcast_to(&shape)?, &m, None);
        }
        let (s, m) = (self.broadcast_to(&shape)?, mask.broadcast_to(&shape)?);
        if shape.is_empty() {
            return s.reshape(&[1])?.index(&[Some(m.reshape(&[1])?)]);
        }
        s.index(&[Some(m.contiguous()?)])?.reshape(&[-1])
    }

    /// The elements of `self` where the bool `mask` (same shape) is true, in
    /// row-major order, then zeros up to `len` elements (at least the true
    /// count): masked_scatter's source gradient, with no size read back.
    pub(crate) fn masked_select_padded(&self, mask: &Tensor, len: usize) -> Result<Tensor> {
        if self.is_cuda() {
            return crate::cuda::compact::masked_compact(self, mask, Some(len));
        }
        let sel = self.masked_select(mask)?;
        let pad = Tensor::zeros_on(&[len - sel.numel()], self.dtype(), self.device())?;
        crate::ops::shape::cat(&[sel, pad], 0)
    }

    /// `self.masked_scatter(mask, source)`: a copy of `self` (broadcast with
    /// `mask`) whose true positions take `source`'s leading elements in
    /// row-major order.
    pub fn masked_scatter(&self, mask: &Tensor, source: &Tensor) -> Result<Tensor> {
        record_if_needed!([self, source], grad::masked_scatter(self, mask, source));
        check_bool_mask(mask, "masked_scatter_")?;
        crate::ops::check_same_device(&[self, mask, source])?;
        if source.dtype() != self.dtype() {
            bail!(
                runtime,
                "masked_scatter: expected self and source to have same dtypes but got{} and {}",
                self.dtype().legacy_name().trim_end_matches("Tensor"),
                source.dtype().legacy_name().trim_end_matches("Tensor")
            );
        }
        let shape = crate::layout::broadcast_shapes(self.shape(), mask.shape())?;
        // a private dense copy to write into
        let out = crate::ops::cast::cast_copy(&self.broadcast_to(&shape)?, self.dtype())?;
        let m = mask.to_device(self.device())?.broadcast_to(&shape)?;
        let src = source.to_device(self.device())?.reshape(&[-1])?.contiguous()?;
        if self.is_cuda() {
            crate::cuda::compact::masked_expand(&out, &m, &src)?;
            return Ok(out);
        }
        let m = m.contiguous()?;
        let flags = unsafe { m.as_slice::<bool>() };
        if flags.iter().filter(|&&f| f).count() > src.numel() {
            bail!(runtime, "Number of elements of source < number of ones in mask");
        }
        dispatch!(self.dtype(), T => {
            let (o, sv) = unsafe { (out.ptr::<T>(), src.as_slice::<T>()) };
            let mut k = 0;
            for (i, &f) in flags.iter().enumerate() {
                if f {
                    unsafe { *o.add(i) = sv[k] };
                    k += 1;
                }
            }
        });
        Ok(out)
    }

    /// `torch.masked_fill(self, mask, value)`; `mask` broadcasts to `self`.
    pub fn masked_fill(&self, mask: &Tensor, value: &Tensor) -> Result<Tensor> {
        record_if_needed!([self, value], grad::masked_fill(self, mask, value));
        check_bool_mask(mask, "masked_fill_")?;
        if value.ndim() != 0 {
            bail!(
                runtime,
                "masked_fill_ only supports a 0-dimensional value tensor, but got tensor with {} dimension(s).",
                value.ndim()
            );
        }
        let shape = crate::layout::broadcast_shapes(self.shape(), mask.shape())?;
        let v = value.to_dtype(self.dtype())?;
        crate::ops::binary::where_(
            &mask.broadcast_to(&shape)?,
            crate::Arg::T(&v),
            crate::Arg::T(self),
        )
    }

    /// In-place `masked_fill_`: the mask must broadcast to `self`'s shape.
    pub fn masked_fill_(&self, mask: &Tensor, value: &Tensor) -> Result<()> {
        check_bool_mask(mask, "masked_fill_")?;
        let shape = crate::layout::broadcast_shapes(self.shape(), mask.shape())?;
        if shape != self.shape() {
            bail!(
                runtime,
                "output with shape {} doesn't match the broadcast shape {}",
                crate::layout::fmt_shape(self.shape()),
                crate::layout::fmt_shape(&shape)
            );
        }
        let r = self.masked_fill(mask, value)?;
        self.copy_(&r)
    }

    /// `torch.take(self, index)`: indexes the flattened tensor; result has index's shape.
    pub fn take(&self, index: &Tensor) -> Result<Tensor> {
        record_if_needed!([self], grad::take(self, index));
        let idx = long_index(index, "take")?;
        let flat = self.reshape(&[-1])?;
        let ishape: Vec<i64> = idx.shape().iter().map(|&s| s as i64).collect();
        flat.index(&[Some(idx.reshape(&[-1])?)])?.reshape(&ishape)
    }

    /// `torch.take_along_dim(self, indices, dim)`.
    pub fn take_along_dim(&self, indices: &Tensor, dim: Option<i64>) -> Result<Tensor> {
        let idx = long_index(indices, "take_along_dim")?;
        match dim {
            None => self.reshape(&[-1])?.gather(0, &idx.reshape(&[-1])?),
            Some(dim) => {
                let d = wrap_dim(dim, self.ndim())?;
                if idx.ndim() != self.ndim() {
                    bail!(
                        runtime,
                        "torch.take_along_dim(): input and indices should have the same number of dimensions, but got {} dimensions for input, and {} dimensions for indices",
                        self.ndim(),
                        idx.ndim()
                    );
                }
                let mut ss = self.shape().to_vec();
                let mut is = idx.shape().to_vec();
                ss[d] = 1;
                is[d] = 1;
                let b = crate::layout::broadcast_shapes(&ss, &is)?;
                let (mut bs, mut bi) = (b.clone(), b);
                bs[d] = self.shape()[d];
                bi[d] = idx.shape()[d];
                self.broadcast_to(&bs)?
                    .gather(d as i64, &idx.broadcast_to(&bi)?)
            }
        }
    }

    /// `self.scatter(dim, index, src)`.
    pub fn scatter(&self, dim: i64, index: &Tensor, src: &Tensor) -> Result<Tensor> {
        self.scatter_impl(dim, index, Some(src), None, false, "scatter")
    }

    /// `self.scatter(dim, index, value)`.
    pub fn scatter_value(&self, dim: i64, index: &Tensor, value: Scalar) -> Result<Tensor> {
        self.scatter_impl(dim, index, None, Some(value), false, "scatter")
    }

    /// `self.scatter_add(dim, index, src)`.
    pub fn scatter_add(&self, dim: i64, index: &Tensor, src: &Tensor) -> Result<Tensor> {
        self.scatter_impl(dim, index, Some(src), None, true, "scatter_add")
    }

    /// Out-of-place form of [`Tensor::scatter_impl_`].
    pub fn scatter_impl(
        &self,
        dim: i64,
        index: &Tensor,
        src: Option<&Tensor>,
        value: Option<Scalar>,
        accumulate: bool,
        name: &str,
    ) -> Result<Tensor> {
        let inputs: Vec<&Tensor> = std::iter::once(self).chain(src).collect();
        if crate::autograd::needs_grad(&inputs) {
            return grad::scatter(self, dim, index, src, value, accumulate, name);
        }
        let r = self.deep_clone()?;
        r.scatter_impl_(dim, index, src, value, accumulate, name)?;
        Ok(r)
    }

    /// `self.scatter_(dim, index, src)` / `scatter_add_` (accumulate) / value form (`src` None).
    pub fn scatter_impl_(
        &self,
        dim: i64,
        index: &Tensor,
        src: Option<&Tensor>,
        value: Option<Scalar>,
        accumulate: bool,
        name: &str,
    ) -> Result<()> {
        if inplace::needs_grad(self, src.as_slice()) {
            let r = self.scatter_impl(dim, index, src, value, accumulate, name)?;
            return self.copy_(&r);
        }
        crate::ops::check_same_device(&[self, index])?;
        if index.dtype() != DType::I64 {
            bail!(runtime, "{}(): Expected dtype int64 for index", name);
        }
        let d = wrap_dim(dim, self.ndim())?;
        let nd = self.ndim().max(1);
        if index.ndim().max(1) != nd {
            bail!(
                runtime,
                "Index tensor must have the same number of dimensions as self tensor"
            );
        }
        if let Some(s) = src {
            crate::ops::check_same_device(&[self, s])?;
            if s.dtype() != self.dtype() {
                bail!(
                    runtime,
                    "{}(): Expected self.dtype to be equal to src.dtype",
                    name
                );
            }
            if s.ndim().max(1) != nd {
                bail!(
                    runtime,
                    "Index tensor must have the same number of dimensions as src tensor"
                );
            }
        }
        let dim1 = |t: &Tensor, i: usize| if t.ndim() == 0 { 1 } else { t.shape()[i] };
        for i in 0..index.ndim() {
            let bad_self = i != d && index.shape()[i] > dim1(self, i);
            let bad_src = src.map_or(false, |s| index.shape()[i] > dim1(s, i));
            if bad_self || bad_src {
                match src {
                    Some(s) => bail!(
                        runtime,
                        "Expected index {} to be smaller than self {} apart from dimension {} and to be smaller size than src {}",
                        crate::layout::fmt_shape(index.shape()),
                        crate::layout::fmt_shape(self.shape()),
                        d,
                        crate::layout::fmt_shape(s.shape())
                    ),
                    None => bail!(
                        runtime,
                        "Expected index {} to be smaller than self {} apart from dimension {}",
                        crate::layout::fmt_shape(index.shape()),
                        crate::layout::fmt_shape(self.shape()),
                        d
                    ),
                }
            }
        }
        if index.numel() == 0 {
            return Ok(());
        }
        if self.is_cuda() {
            if self.ndim() == 0 || src.is_some_and(|s| s.ndim() == 0) {
                return Err(crate::cuda::unsupported(name));
            }
            crate::cuda::index::scatter(self, d, index, src, value, accumulate)?;
            self.bump_version();
            return Ok(());
        }
        let idx = index.contiguous()?;
        let ids = unsafe { idx.as_slice::<i64>() };
        let ishape = idx.shape().to_vec();
        let size = dim1(self, d);
        let dstr: Vec<isize> = if self.ndim() == 0 {
            vec![0]
        } else {
            self.strides().to_vec()
        };
        let src_off = src.map(|s| {
            let st: Vec<isize> = if s.ndim() == 0 {
                vec![0; ishape.len()]
            } else {
                s.strides()[..].to_vec()
            };
            offsets(&ishape, &st)
        });
        dispatch!(self.dtype(), T => {
            let base = unsafe { self.ptr::<T>() };
            let sp = src.map(|s| unsafe { s.ptr::<T>() });
            let fill = value.map(T::from_scalar).unwrap_or_default();
            // validate first so a failed call leaves self untouched
            for &ix in ids {
                if ix < -(size as i64) || ix >= size as i64 {
                    bail!(runtime, "index {} is out of bounds for dimension {} with size {}", ix, d, size);
                }
            }
            let mut pos = vec![0usize; ishape.len()];
            for (k, &ix) in ids.iter().enumerate() {
                let ix = if ix < 0 { ix + size as i64 } else { ix } as isize;
                let mut off = 0isize;
                for (j, &p) in pos.iter().enumerate() {
                    off += if j == d { ix } else { p as isize } * dstr[j];
                }
                let v = match (sp, &src_off) {
                    (Some(p), Some(so)) => unsafe { *p.offset(so[k]) },
                    _ => fill,
                };
                unsafe {
                    let q = base.offset(off);
                    *q = if accumulate { acc_add(*q, v) } else { v };
                }
                for j in (0..ishape.len()).rev() {
                    pos[j] += 1;
                    if pos[j] < ishape[j] {
                        break;
                    }
                    pos[j] = 0;
                }
            }
        });
        self.bump_version();
        Ok(())
    }

    /// `self.index_add(dim, index, source, alpha)`.
    pub fn index_add(
        &self,
        dim: i64,
        index: &Tensor,
        source: &Tensor,
        alpha: Scalar,
    ) -> Result<Tensor> {
        record_if_needed!(
            [self, source],
            grad::index_add(self, dim, index, source, alpha)
        );
        let r = self.deep_clone()?;
        r.index_add_(dim, index, source, alpha)?;
        Ok(r)
    }

    /// `self.index_add_(dim, index, source, alpha)`.
    pub fn index_add_(
        &self,
        dim: i64,
        index: &Tensor,
        source: &Tensor,
        alpha: Scalar,
    ) -> Result<()> {
        if inplace::needs_grad(self, &[source]) {
            return self.copy_(&self.index_add(dim, index, source, alpha)?);
        }
        if index.ndim() > 1 {
            bail!(index, "index_add_(): Index is supposed to be a vector");
        }
        if !matches!(index.dtype(), DType::I64 | DType::I32) {
            bail!(
                runtime,
                "index_add_(): Expected dtype int32/int64 for index"
            );
        }
        if source.dtype() != self.dtype() {
            bail!(
                runtime,
                "index_add_(): self ({}) and source ({}) must have the same scalar type",
                self.dtype().legacy_name().trim_end_matches("Tensor"),
                source.dtype().legacy_name().trim_end_matches("Tensor")
            );
        }
        let d = wrap_dim(dim, self.ndim())?;
        let n = index.numel();
        let mut want = self.shape().to_vec();
        if !want.is_empty() {
            want[d] = n;
        }
        let sshape: Vec<usize> = source.shape().to_vec();
        if sshape != want && !(self.ndim() == 0 && source.numel() == n) {
            bail!(
                runtime,
                "index_add_(): Source/destination tensor must have same slice shapes. Destination slice shape: {} at dimension {} and source slice shape: {} at dimension 0.",
                crate::layout::fmt_shape(self.shape()),
                d,
                crate::layout::fmt_shape(source.shape())
            );
        }
        let src = if alpha.to_f64() == 1.0 {
            source.clone()
        } else {
            crate::ops::binary::binary(
                crate::BinaryOp::Mul,
                crate::Arg::T(source),
                crate::Arg::S(alpha),
            )?
            .to_dtype(self.dtype())?
        };
        let idx = long_index(index, "index_add_")?.reshape(&[-1])?;
        if self.is_cuda() && self.ndim() > 0 {
            crate::ops::check_same_device(&[self, &idx, &src])?;
            crate::cuda::index::index_add(self, d, &idx, &src)?;
            self.bump_version();
            return Ok(());
        }
        if self.ndim() == 0 {
            return self
                .reshape(&[1])?
                .index_put_(&[Some(idx)], &src.reshape(&[-1])?, true)
                .map(|_| self.bump_version());
        }
        let mut ii: Vec<Option<Tensor>> = vec![None; d];
        ii.push(Some(idx));
        self.index_put_(&ii, &src, true)
    }
}

fn check_bool_mask(mask: &Tensor, name: &str) -> Result<()> {
    if mask.dtype() != DType::Bool {
        bail!(
            runtime,
            "{} only supports boolean masks, but got mask with dtype {}",
            name,
            mask.dtype().name()
        );
    }
    Ok(())
}
