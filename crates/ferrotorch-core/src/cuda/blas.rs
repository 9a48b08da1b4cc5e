//! Matrix products on cuBLAS: one strided-batched GEMM per `bmm`, reading
//! transposed operands in place whenever their layout is a BLAS matrix.

use super::device::gpu;
use super::elementwise::{dptr, empty, fill};
use crate::{bail, DType, Error, Result, Scalar, Tensor};
use cudarc::cublas::sys as cb;
use std::ffi::c_void;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

static ALLOW_TF32: AtomicBool = AtomicBool::new(false);

/// `torch.backends.cuda.matmul.allow_tf32` (default False, as PyTorch).
pub fn set_allow_tf32(on: bool) {
    ALLOW_TF32.store(on, Ordering::Relaxed);
}
pub fn allow_tf32() -> bool {
    ALLOW_TF32.load(Ordering::Relaxed)
}

struct Handle(cb::cublasHandle_t);
// SAFETY: used under the HANDLES mutex only.
unsafe impl Send for Handle {}

/// One cuBLAS handle per device, created on first use.
static HANDLES: Mutex<Vec<Option<Handle>>> = Mutex::new(Vec::new());

fn check(s: cb::cublasStatus_t, what: &str) -> Result<()> {
    if s == cb::cublasStatus_t::CUBLAS_STATUS_SUCCESS {
        Ok(())
    } else {
        Err(Error::runtime(format!("CUDA error: {s:?} when calling `{what}`")))
    }
}

fn with_handle<R>(device: usize, f: impl FnOnce(cb::cublasHandle_t) -> Result<R>) -> Result<R> {
    let mut hs = HANDLES.lock().unwrap();
    if hs.len() <= device {
        hs.resize_with(device + 1, || None);
    }
    if hs[device].is_none() {
        // SAFETY: probing for the library has no side effects.
        if !unsafe { cb::is_culib_present() } {
            bail!(runtime, "CUDA error: the cuBLAS library (libcublas) was not found on the loader path");
        }
        let mut h: cb::cublasHandle_t = std::ptr::null_mut();
        // SAFETY: out-pointer to a handle; the device's context is current.
        check(unsafe { cb::cublasCreate_v2(&mut h) }, "cublasCreate")?;
        hs[device] = Some(Handle(h));
    }
    f(hs[device].as_ref().unwrap().0)
}

/// How a row-major view [r, c] with strides (sr, sc) reads as a column-major
/// BLAS operand: `N` with leading dimension sr when rows are dense (the
/// column-major matrix is the transpose), `T` with sc when columns are.
fn as_blas(r: usize, c: usize, sr: isize, sc: isize) -> Option<(cb::cublasOperation_t, i64)> {
    use cb::cublasOperation_t::*;
    let (r1, c1) = (r.max(1) as isize, c.max(1) as isize);
    if sc == 1 && (sr >= c1 || r == 1) {
        Some((CUBLAS_OP_N, if r == 1 { c1 } else { sr } as i64))
    } else if sr == 1 && (sc >= r1 || c == 1) {
        Some((CUBLAS_OP_T, if c == 1 { r1 } else { sc } as i64))
    } else {
        None
    }
}

/// out[i] = a[i] @ b[i] for same-dtype CUDA views a [B, m, k], b [B, k, n].
pub fn bmm(a: &Tensor, b: &Tensor) -> Result<Tensor> {
    let dt = a.dtype();
    let (bs, m, k) = (a.shape()[0], a.shape()[1], a.shape()[2]);
    let n = b.shape()[2];
    let (data_type, compute, scalar_f64) = match dt {
        DType::F32 if allow_tf32() => (cb::cudaDataType::CUDA_R_32F, cb::cublasComputeType_t::CUBLAS_COMPUTE_32F_FAST_TF32, false),
        DType::F32 => (cb::cudaDataType::CUDA_R_32F, cb::cublasComputeType_t::CUBLAS_COMPUTE_32F, false),
        DType::F64 => (cb::cudaDataType::CUDA_R_64F, cb::cublasComputeType_t::CUBLAS_COMPUTE_64F, true),
        DType::F16 => (cb::cudaDataType::CUDA_R_16F, cb::cublasComputeType_t::CUBLAS_COMPUTE_32F, false),
        DType::BF16 => (cb::cudaDataType::CUDA_R_16BF, cb::cublasComputeType_t::CUBLAS_COMPUTE_32F, false),
        _ => bail!(runtime, "\"addmm_cuda\" not implemented for '{}'", dt.legacy_name()),
    };
    let out = empty(&[bs, m, n], dt, a.device())?;
    if out.numel() == 0 {
        return Ok(out);
    }
    if k == 0 {
        fill(&out, Scalar::Int(0))?;
        return Ok(out);
    }
    let fits = |x: usize| i32::try_from(x).is_ok();
    if ![bs, m, n, k].into_iter().all(fits) {
        bail!(runtime, "CUDA matmul: dimensions beyond 2^31 - 1 are not supported");
    }
    // Operands whose layout BLAS cannot read get a contiguous copy.
    let operand = |t: &Tensor, r: usize, c: usize| -> Result<(Tensor, cb::cublasOperation_t, i64)> {
        if let Some((op, ld)) = as_blas(r, c, t.strides()[1], t.strides()[2]) {
            return Ok((t.clone(), op, ld));
        }
        let t = super::elementwise::cast(t, dt)?;
        let (op, ld) = as_blas(r, c, t.strides()[1], t.strides()[2]).expect("contiguous is a BLAS layout");
        Ok((t, op, ld))
    };
    if gpu(a.device().index().unwrap_or(0))?.emulator().is_some() {
        // The emulated device's memory is host memory: multiply views of it
        // on the CPU GEMM (no device-to-host copy, as cuBLAS makes none).
        let host = |t: &Tensor| -> Result<Tensor> {
            let st = t.storage();
            // SAFETY: emulated device memory is host memory, kept alive by the storage clone.
            let view = unsafe { crate::Storage::from_foreign(st.cuda_ptr()? as *mut u8, st.nbytes(), Box::new(st.clone())) };
            Tensor::from_storage(view, t.layout().clone(), t.dtype())
        };
        return host(a)?.bmm(&host(b)?)?.to_device(a.device());
    }
    let (a, op_a, lda) = operand(a, m, k)?;
    let (b, op_b, ldb) = operand(b, k, n)?;
    let batch_stride = |t: &Tensor| if bs == 1 { 0 } else { t.strides()[0] as i64 };
    let g = gpu(a.device().index().unwrap_or(0))?;
    let (pa, pb, po) = (dptr(&a)?, dptr(&b)?, dptr(&out)?);
    let (one32, zero32, one64, zero64) = (1f32, 0f32, 1f64, 0f64);
    let (alpha, beta): (*const c_void, *const c_void) = if scalar_f64 {
        (&one64 as *const f64 as _, &zero64 as *const f64 as _)
    } else {
        (&one32 as *const f32 as _, &zero32 as *const f32 as _)
    };
    with_handle(g.ordinal, |h| {
        // Row-major C = A B is column-major C^T = B^T A^T: cuBLAS gets B first.
        // SAFETY: pointers address live device buffers with the given layouts.
        unsafe {
            check(cb::cublasSetStream_v2(h, g.stream() as _), "cublasSetStream")?;
            check(
                cb::cublasGemmStridedBatchedEx(
                    h,
                    op_b,
                    op_a,
                    n as i32,
                    m as i32,
                    k as i32,
                    alpha,
                    pb as *const c_void,
                    data_type,
                    ldb as i32,
                    batch_stride(&b),
                    pa as *const c_void,
                    data_type,
                    lda as i32,
                    batch_stride(&a),
                    beta,
                    po as *mut c_void,
                    data_type,
                    n as i32,
                    (m * n) as i64,
                    bs as i32,
                    compute,
                    cb::cublasGemmAlgo_t::CUBLAS_GEMM_DEFAULT,
                ),
                "cublasGemmStridedBatchedEx",
            )
        }
    })?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use cb::cublasOperation_t::*;

    #[test]
    fn blas_layouts() {
        // row-major [3, 4]: the column-major 4x3 transpose, ld 4
        assert_eq!(as_blas(3, 4, 4, 1), Some((CUBLAS_OP_N, 4)));
        // its transpose view [4, 3] with strides (1, 4): read with OP_T
        assert_eq!(as_blas(4, 3, 1, 4), Some((CUBLAS_OP_T, 4)));
        // a padded row-major view (narrowed columns) keeps the row stride
        assert_eq!(as_blas(3, 2, 4, 1), Some((CUBLAS_OP_N, 4)));
        // a single row: any row stride
        assert_eq!(as_blas(1, 5, 1, 1), Some((CUBLAS_OP_N, 5)));
        // every other column: not a BLAS matrix
        assert_eq!(as_blas(3, 2, 4, 2), None);
    }
}
