//! Shape/stride arithmetic. Every view op is a pure function on `Layout`.

use crate::{bail, Error, Result};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Layout {
    pub shape: Vec<usize>,
    /// In elements, never negative.
    pub strides: Vec<isize>,
    pub offset: usize,
}

pub fn contiguous_strides(shape: &[usize]) -> Vec<isize> {
    let mut strides = vec![0isize; shape.len()];
    let mut acc = 1isize;
    for i in (0..shape.len()).rev() {
        strides[i] = acc;
        acc *= shape[i].max(1) as isize;
    }
    strides
}

pub fn numel(shape: &[usize]) -> usize {
    shape.iter().product()
}

/// Normalises a possibly negative dim against `ndim` (0-d tensors accept -1 and 0).
pub fn wrap_dim(dim: i64, ndim: usize) -> Result<usize> {
    let n = ndim.max(1) as i64;
    if dim < -n || dim >= n {
        bail!(
            index,
            "Dimension out of range (expected to be in range of [{}, {}], but got {})",
            -n,
            n - 1,
            dim
        );
    }
    Ok(if dim < 0 {
        (dim + n) as usize
    } else {
        dim as usize
    })
}

/// Normalises a list of dims; rejects repeats like PyTorch.
pub fn wrap_dims(dims: &[i64], ndim: usize) -> Result<Vec<usize>> {
    let mut out = Vec::with_capacity(dims.len());
    for &d in dims {
        let w = wrap_dim(d, ndim)?;
        if out.contains(&w) {
            bail!(
                runtime,
                "dim {} appears multiple times in the list of dims",
                w
            );
        }
        out.push(w);
    }
    Ok(out)
}

pub fn fmt_shape(shape: &[usize]) -> String {
    let parts: Vec<String> = shape.iter().map(|s| s.to_string()).collect();
    format!("[{}]", parts.join(", "))
}

/// NumPy/PyTorch broadcasting of two shapes.
pub fn broadcast_shapes(a: &[usize], b: &[usize]) -> Result<Vec<usize>> {
    let n = a.len().max(b.len());
    let mut out = vec![0; n];
    for i in 0..n {
        let da = if i < n - a.len() {
            1
        } else {
            a[i - (n - a.len())]
        };
        let db = if i < n - b.len() {
            1
        } else {
            b[i - (n - b.len())]
        };
        out[i] = if da == db || db == 1 {
            da
        } else if da == 1 {
            db
        } else {
            bail!(
                runtime,
                "The size of tensor a ({}) must match the size of tensor b ({}) at non-singleton dimension {}",
                da,
                db,
                i
            );
        };
    }
    Ok(out)
}

/// Resolves one `-1` in a requested shape for `numel` elements.
pub fn infer_shape(req: &[i64], numel: usize) -> Result<Vec<usize>> {
    let mut infer = None;
    let mut known = 1usize;
    for (i, &s) in req.iter().enumerate() {
        if s == -1 {
            if infer.is_some() {
                bail!(runtime, "only one dimension can be inferred");
            }
            infer = Some(i);
        } else if s < 0 {
            bail!(runtime, "invalid shape dimension {}", s);
        } else {
            known *= s as usize;
        }
    }
    let bad = || {
        Error::runtime(format!(
            "shape '[{}]' is invalid for input of size {}",
            req.iter()
                .map(|s| s.to_string())
                .collect::<Vec<_>>()
                .join(", "),
            numel
        ))
    };
    let mut out: Vec<usize> = req.iter().map(|&s| s.max(0) as usize).collect();
    match infer {
        Some(i) => {
            if known == 0 || numel % known != 0 {
                return Err(bad());
            }
            out[i] = numel / known;
        }
        None if known != numel => return Err(bad()),
        None => {}
    }
    Ok(out)
}

impl Layout {
    pub fn contiguous(shape: &[usize]) -> Layout {
        Layout {
            shape: shape.to_vec(),
            strides: contiguous_strides(shape),
            offset: 0,
        }
    }
    pub fn ndim(&self) -> usize {
        self.shape.len()
    }
    pub fn numel(&self) -> usize {
        numel(&self.shape)
    }
    pub fn is_contiguous(&self) -> bool {
        if self.numel() == 0 {
            return true; // as in PyTorch: an empty tensor is contiguous whatever its strides
        }
        let mut expected = 1isize;
        for i in (0..self.shape.len()).rev() {
            if self.shape[i] != 1 && self.strides[i] != expected {
                return false;
            }
            expected *= self.shape[i] as isize;
        }
        true
    }
    /// Number of storage elements spanned (max offset + 1), 0 when empty.
    pub fn storage_span(&self) -> usize {
        if self.numel() == 0 {
            return 0;
        }
        let mut m = self.offset as isize;
        for (s, st) in self.shape.iter().zip(&self.strides) {
            m += (*s as isize - 1) * st;
        }
        m as usize + 1
    }

    pub fn permute(&self, dims: &[usize]) -> Layout {
        Layout {
            shape: dims.iter().map(|&d| self.shape[d]).collect(),
            strides: dims.iter().map(|&d| self.strides[d]).collect(),
            offset: self.offset,
        }
    }
    pub fn transpose(&self, a: usize, b: usize) -> Layout {
        let mut l = self.clone();
        l.shape.swap(a, b);
        l.strides.swap(a, b);
        l
    }
    /// `start:end:step` on one dim (already clamped, step > 0).
    pub fn slice(&self, dim: usize, start: usize, end: usize, step: usize) -> Layout {
        let mut l = self.clone();
        let len = if end > start {
            (end - start).div_ceil(step)
        } else {
            0
        };
        if len > 0 {
            l.offset = (self.offset as isize + start as isize * self.strides[dim]) as usize;
        }
        l.shape[dim] = len;
        l.strides[dim] = self.strides[dim] * step as isize;
        l
    }
    pub fn select(&self, dim: usize, index: usize) -> Layout {
        let mut l = self.clone();
        l.offset = (self.offset as isize + index as isize * self.strides[dim]) as usize;
        l.shape.remove(dim);
        l.strides.remove(dim);
        l
    }
    pub fn unsqueeze(&self, dim: usize) -> Layout {
        let mut l = self.clone();
        let st = if dim < self.ndim() {
            self.strides[dim] * self.shape[dim] as isize
        } else {
            1
        };
        l.shape.insert(dim, 1);
        l.strides.insert(dim, st);
        l
    }
    /// Broadcast view to `shape` (stride 0 on expanded dims). Sizes of -1 keep the dim.
    pub fn expand(&self, shape: &[i64]) -> Result<Layout> {
        if shape.len() < self.ndim() {
            bail!(
                runtime,
                "expand(torch.FloatTensor{{{}}}, size=[{}]): the number of sizes provided ({}) must be greater or equal to the number of dimensions in the tensor ({})",
                self.shape.iter().map(|s| s.to_string()).collect::<Vec<_>>().join(", "),
                shape.iter().map(|s| s.to_string()).collect::<Vec<_>>().join(", "),
                shape.len(),
                self.ndim()
            );
        }
        let lead = shape.len() - self.ndim();
        let mut out = Layout {
            shape: vec![0; shape.len()],
            strides: vec![0; shape.len()],
            offset: self.offset,
        };
        for i in 0..shape.len() {
            let want = shape[i];
            if i < lead {
                if want < 0 {
                    bail!(runtime, "The expanded size of the tensor (-1) isn't allowed in a leading, non-existing dimension {}", i);
                }
                out.shape[i] = want as usize;
                out.strides[i] = 0;
            } else {
                let have = self.shape[i - lead];
                let st = self.strides[i - lead];
                if want == -1 || want as usize == have {
                    out.shape[i] = have;
                    out.strides[i] = st;
                } else if have == 1 && want >= 0 {
                    out.shape[i] = want as usize;
                    out.strides[i] = 0;
                } else {
                    bail!(
                        runtime,
                        "The expanded size of the tensor ({}) must match the existing size ({}) at non-singleton dimension {}.  Target sizes: [{}].  Tensor sizes: [{}]",
                        want,
                        have,
                        i,
                        shape.iter().map(|s| s.to_string()).collect::<Vec<_>>().join(", "),
                        self.shape.iter().map(|s| s.to_string()).collect::<Vec<_>>().join(", ")
                    );
                }
            }
        }
        Ok(out)
    }
    /// Strides for viewing this layout as `shape` without copying, if possible
    /// (PyTorch's `computeStride`).
    pub fn view(&self, shape: &[usize]) -> Option<Layout> {
        let numel = self.numel();
        if numel == 0 || self.is_contiguous() {
            return Some(Layout {
                shape: shape.to_vec(),
                strides: contiguous_strides(shape),
                offset: self.offset,
            });
        }
        let mut new_strides = vec![0isize; shape.len()];
        let mut view_d = shape.len() as isize - 1;
        let mut chunk_base_stride = *self.strides.last().unwrap_or(&1);
        let mut tensor_numel = 1usize;
        let mut view_numel = 1usize;
        let old = &self.shape;
        for tensor_d in (0..old.len()).rev() {
            tensor_numel *= old[tensor_d];
            let boundary = tensor_d == 0
                || (old[tensor_d - 1] != 1
                    && self.strides[tensor_d - 1] != tensor_numel as isize * chunk_base_stride);
            if boundary {
                while view_d >= 0 && (view_numel < tensor_numel || shape[view_d as usize] == 1) {
                    new_strides[view_d as usize] = view_numel as isize * chunk_base_stride;
                    view_numel *= shape[view_d as usize];
                    view_d -= 1;
                }
                if view_numel != tensor_numel {
                    return None;
                }
                if tensor_d > 0 {
                    chunk_base_stride = self.strides[tensor_d - 1];
                    tensor_numel = 1;
                    view_numel = 1;
                }
            }
        }
        if view_d != -1 {
            return None;
        }
        Some(Layout {
            shape: shape.to_vec(),
            strides: new_strides,
            offset: self.offset,
        })
    }
    pub fn diagonal(&self, offset: i64, d1: usize, d2: usize) -> Layout {
        let mut l = self.clone();
        let (n1, n2) = (self.shape[d1] as i64, self.shape[d2] as i64);
        let len = if offset >= 0 {
            (n1).min(n2 - offset)
        } else {
            (n1 + offset).min(n2)
        }
        .max(0) as usize;
        let mut off = self.offset as isize;
        if len > 0 {
            off += if offset >= 0 {
                offset as isize * self.strides[d2]
            } else {
                -offset as isize * self.strides[d1]
            };
        }
        let st = self.strides[d1] + self.strides[d2];
        let (hi, lo) = if d1 > d2 { (d1, d2) } else { (d2, d1) };
        l.shape.remove(hi);
        l.shape.remove(lo);
        l.strides.remove(hi);
        l.strides.remove(lo);
        l.shape.push(len);
        l.strides.push(st);
        l.offset = off as usize;
        l
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn view_of_transposed_fails_and_of_sliced_rows_works() {
        let l = Layout::contiguous(&[2, 3]).transpose(0, 1);
        assert!(l.view(&[6]).is_none());
        let rows = Layout::contiguous(&[4, 6]).slice(0, 0, 4, 2); // every other row
        let v = rows.view(&[2, 2, 3]).unwrap();
        assert_eq!(v.strides, vec![12, 3, 1]);
    }

    #[test]
    fn broadcast_and_infer() {
        assert_eq!(broadcast_shapes(&[3, 1], &[4]).unwrap(), vec![3, 4]);
        assert!(broadcast_shapes(&[3], &[4]).is_err());
        assert_eq!(infer_shape(&[-1, 2], 6).unwrap(), vec![3, 2]);
        assert!(infer_shape(&[4, -1], 6).is_err());
    }
}
