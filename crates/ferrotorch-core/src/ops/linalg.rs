//! matmul family with PyTorch's 1-D/2-D/batched broadcasting rules.

use crate::cpu::matmul;
use crate::dtype::promote_types;
use crate::layout::broadcast_shapes;
use crate::{bail, DType, Result, Tensor};

impl Tensor {
    /// `torch.matmul`.
    pub fn matmul(&self, other: &Tensor) -> Result<Tensor> {
        crate::ops::check_same_device(&[self, other])?;
        let (da, db) = (self.ndim(), other.ndim());
        if da == 0 || db == 0 {
            bail!(
                runtime,
                "both arguments to matmul need to be at least 1D, but they are {}D and {}D",
                da,
                db
            );
        }
        match (da, db) {
            (1, 1) => self.dot(other),
            (2, 1) => self.mm(&other.unsqueeze(1)?)?.squeeze(Some(&[-1])),
            (1, 2) => self.unsqueeze(0)?.mm(other)?.squeeze(Some(&[0])),
            (2, 2) => self.mm(other),
            _ => {
                // batched: promote 1-D operands, broadcast batch dims
                let a = if da == 1 {
                    self.unsqueeze(0)?
                } else {
                    self.clone()
                };
                let b = if db == 1 {
                    other.unsqueeze(1)?
                } else {
                    other.clone()
                };
                let (m, k) = (a.shape()[a.ndim() - 2], a.shape()[a.ndim() - 1]);
                let (k2, n) = (b.shape()[b.ndim() - 2], b.shape()[b.ndim() - 1]);
                if k != k2 {
                    bail!(
                        runtime,
                        "Expected size for first two dimensions of batch2 tensor to be: [{}, {}] but got: [{}, {}].",
                        broadcast_batch(&a, &b).map(|v| v.iter().product::<usize>()).unwrap_or(0),
                        k,
                        broadcast_batch(&a, &b).map(|v| v.iter().product::<usize>()).unwrap_or(0),
                        k2
                    );
                }
                let batch = broadcast_batch(&a, &b)?;
                let bsz: usize = batch.iter().product();
                let mut sa: Vec<i64> = batch.iter().map(|&x| x as i64).collect();
                let mut sb = sa.clone();
                sa.extend([m as i64, k as i64]);
                sb.extend([k as i64, n as i64]);
                let a3 = a.expand(&sa)?.reshape(&[bsz as i64, m as i64, k as i64])?;
                let b3 = b.expand(&sb)?.reshape(&[bsz as i64, k as i64, n as i64])?;
                let out = if crate::autograd::needs_grad(&[&a3, &b3]) {
                    crate::autograd::derivatives::linalg::bmm(&a3, &b3, || bmm_raw(&a3, &b3))?
                } else {
                    bmm_raw(&a3, &b3)?
                };
                let mut shape: Vec<i64> = batch.iter().map(|&x| x as i64).collect();
                if da > 1 {
                    shape.push(m as i64);
                }
                if db > 1 {
                    shape.push(n as i64);
                }
                out.view(&shape)
            }
        }
    }

    pub fn mm(&self, other: &Tensor) -> Result<Tensor> {
        crate::autograd::record_if_needed!(
            [self, other],
            crate::autograd::derivatives::linalg::mm(self, other)
        );
        crate::ops::check_same_device(&[self, other])?;
        if self.ndim() != 2 {
            bail!(runtime, "self must be a matrix");
        }
        if other.ndim() != 2 {
            bail!(runtime, "mat2 must be a matrix");
        }
        if self.shape()[1] != other.shape()[0] {
            bail!(
                runtime,
                "mat1 and mat2 shapes cannot be multiplied ({}x{} and {}x{})",
                self.shape()[0],
                self.shape()[1],
                other.shape()[0],
                other.shape()[1]
            );
        }
        check_dtypes(self, other)?;
        bmm_raw(&self.unsqueeze(0)?, &other.unsqueeze(0)?)?.squeeze(Some(&[0]))
    }

    pub fn bmm(&self, other: &Tensor) -> Result<Tensor> {
        crate::autograd::record_if_needed!(
            [self, other],
            crate::autograd::derivatives::linalg::bmm(self, other, || self.bmm(other))
        );
        crate::ops::check_same_device(&[self, other])?;
        if self.ndim() != 3 {
            bail!(runtime, "batch1 must be a 3D tensor");
        }
        if other.ndim() != 3 {
            bail!(runtime, "batch2 must be a 3D tensor");
        }
        let (b, k) = (self.shape()[0], self.shape()[2]);
        if other.shape()[0] != b || other.shape()[1] != k {
            bail!(
                runtime,
                "Expected size for first two dimensions of batch2 tensor to be: [{}, {}] but got: [{}, {}].",
                b,
                k,
                other.shape()[0],
                other.shape()[1]
            );
        }
        check_dtypes(self, other)?;
        bmm_raw(self, other)
    }

    pub fn dot(&self, other: &Tensor) -> Result<Tensor> {
        if self.ndim() != 1 || other.ndim() != 1 {
            bail!(
                runtime,
                "1D tensors expected, but got {}D and {}D tensors",
                self.ndim(),
                other.ndim()
            );
        }
        if self.shape()[0] != other.shape()[0] {
            bail!(
                runtime,
                "inconsistent tensor size, expected tensor [{}] and src [{}] to have the same number of elements, but got {} and {} elements respectively",
                self.shape()[0],
                other.shape()[0],
                self.shape()[0],
                other.shape()[0]
            );
        }
        check_dtypes(self, other)?;
        self.unsqueeze(0)?.mm(&other.unsqueeze(1)?)?.reshape(&[])
    }
}

fn broadcast_batch(a: &Tensor, b: &Tensor) -> Result<Vec<usize>> {
    broadcast_shapes(&a.shape()[..a.ndim() - 2], &b.shape()[..b.ndim() - 2])
}

fn check_dtypes(a: &Tensor, b: &Tensor) -> Result<()> {
    if a.dtype() != b.dtype() {
        bail!(
            runtime,
            "expected m1 and m2 to have the same dtype, but got: {} != {}",
            a.dtype().name(),
            b.dtype().name()
        );
    }
    Ok(())
}

/// [B,m,k] @ [B,k,n] after shape checks; promotes mixed dtypes, bf16 via f32.
fn bmm_raw(a: &Tensor, b: &Tensor) -> Result<Tensor> {
    if a.shape()[2] != b.shape()[1] {
        bail!(
            runtime,
            "mat1 and mat2 shapes cannot be multiplied ({}x{} and {}x{})",
            a.shape()[1],
            a.shape()[2],
            b.shape()[1],
            b.shape()[2]
        );
    }
    let dt = promote_types(a.dtype(), b.dtype());
    let (a, b) = (a.to_dtype(dt)?, b.to_dtype(dt)?);
    if a.is_cuda() {
        return crate::cuda::blas::bmm(&a, &b);
    }
    Ok(match dt {
        DType::F32 => matmul::bmm::<f32>(&a, &b),
        DType::F64 => matmul::bmm::<f64>(&a, &b),
        DType::F16 => matmul::bmm::<half::f16>(&a, &b),
        DType::BF16 => matmul::bmm::<f32>(&a.to_dtype(DType::F32)?, &b.to_dtype(DType::F32)?)
            .to_dtype(DType::BF16)?,
        DType::Bool => bail!(runtime, "\"addmm_impl_cpu_\" not implemented for 'Bool'"),
        _ => crate::dispatch_native!(dt, T => matmul::bmm::<T>(&a, &b), unreachable!()),
    })
}
