//! Index-based ops: gather and friends.

use crate::layout::wrap_dim;
use crate::{bail, dispatch, DType, Result, Tensor};

impl Tensor {
    /// `torch.gather(self, dim, index)`: out[i][j] = self[index[i][j]][j] (dim 0).
    pub fn gather(&self, dim: i64, index: &Tensor) -> Result<Tensor> {
        crate::ops::check_same_device(&[self, index])?;
        if index.dtype() != DType::I64 {
            bail!(runtime, "gather(): Expected dtype int64 for index");
        }
        let d = wrap_dim(dim, self.ndim())?;
        if index.ndim() != self.ndim() && !(index.ndim() <= 1 && self.ndim() <= 1) {
            bail!(runtime, "Index tensor must have the same number of dimensions as input tensor");
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
        let idx = index.contiguous()?;
        let ids = unsafe { idx.as_slice::<i64>() };
        let shape = index.shape().to_vec();
        let size = if self.ndim() == 0 { 1 } else { self.shape()[d] as i64 };
        let src_strides: Vec<isize> = if self.ndim() == 0 { vec![0; shape.len()] } else { self.strides().to_vec() };
        let n = idx.numel();
        Ok(dispatch!(self.dtype(), T => {
            let base = unsafe { self.ptr::<T>() };
            let mut out: Vec<T> = Vec::with_capacity(n);
            let mut pos = vec![0usize; shape.len()];
            for &ix in ids.iter() {
                if ix < -size || ix >= size {
                    bail!(index, "index {} is out of bounds for dimension {} with size {}", ix, d, size);
                }
                let ix = if ix < 0 { ix + size } else { ix };
                let mut off = 0isize;
                for (k, &p) in pos.iter().enumerate() {
                    let c = if k == d { ix as isize } else { p as isize };
                    off += c * src_strides[k];
                }
                out.push(unsafe { *base.offset(off) });
                // advance the row-major multi-index
                for k in (0..shape.len()).rev() {
                    pos[k] += 1;
                    if pos[k] < shape[k] {
                        break;
                    }
                    pos[k] = 0;
                }
            }
            Tensor::from_vec_unchecked(out, &shape)
        }))
    }
}
