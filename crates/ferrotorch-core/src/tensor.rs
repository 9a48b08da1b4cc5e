//! The `Tensor` handle: storage + layout + dtype, cheap to clone.

use crate::layout::{contiguous_strides, Layout};
use crate::{DType, Device, Element, Result, Scalar, Storage};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

pub struct TensorImpl {
    pub(crate) storage: Storage,
    pub(crate) layout: Layout,
    pub(crate) dtype: DType,
    /// Bumped by every in-place write; shared by all views of one storage.
    pub(crate) version: Arc<AtomicU64>,
    /// For a view: the tensor that owns the viewed memory (never itself a view).
    pub(crate) base: Option<Tensor>,
    /// Leaf flag or "has a grad_fn": the one check ops make before recording.
    pub(crate) requires_grad: AtomicBool,
    pub(crate) autograd: Mutex<Option<Box<crate::autograd::AutogradMeta>>>,
}

#[derive(Clone)]
pub struct Tensor(pub(crate) Arc<TensorImpl>);

impl Tensor {
    pub(crate) fn from_parts(
        storage: Storage,
        layout: Layout,
        dtype: DType,
        version: Arc<AtomicU64>,
    ) -> Tensor {
        Self::new_impl(storage, layout, dtype, version, None)
    }
    fn new_impl(
        storage: Storage,
        layout: Layout,
        dtype: DType,
        version: Arc<AtomicU64>,
        base: Option<Tensor>,
    ) -> Tensor {
        Tensor(Arc::new(TensorImpl {
            storage,
            layout,
            dtype,
            version,
            base,
            requires_grad: AtomicBool::new(false),
            autograd: Mutex::new(None),
        }))
    }

    /// A contiguous tensor owning `data`.
    pub fn from_vec<T: Element>(data: Vec<T>, shape: &[usize]) -> Result<Tensor> {
        let n: usize = shape.iter().product();
        if n != data.len() {
            crate::bail!(
                runtime,
                "from_vec: {} elements for shape {:?}",
                data.len(),
                shape
            );
        }
        Ok(Self::from_vec_unchecked(data, shape))
    }
    pub(crate) fn from_vec_unchecked<T: Element>(data: Vec<T>, shape: &[usize]) -> Tensor {
        debug_assert_eq!(data.len(), shape.iter().product::<usize>());
        Tensor::from_parts(
            Storage::from_vec(data),
            Layout::contiguous(shape),
            T::DTYPE,
            Arc::new(AtomicU64::new(0)),
        )
    }
    /// A contiguous tensor whose elements the caller must all write before reading.
    pub(crate) fn uninit<T: Element>(shape: &[usize]) -> (Tensor, *mut T) {
        let (st, p) = Storage::uninit::<T>(shape.iter().product());
        (
            Tensor::from_parts(
                st,
                Layout::contiguous(shape),
                T::DTYPE,
                Arc::new(AtomicU64::new(0)),
            ),
            p,
        )
    }
    /// Wraps existing storage with an explicit layout (used for foreign memory).
    pub fn from_storage(storage: Storage, layout: Layout, dtype: DType) -> Result<Tensor> {
        if layout.storage_span() * dtype.size() > storage.nbytes() {
            crate::bail!(runtime, "layout exceeds storage size");
        }
        Ok(Tensor::from_parts(
            storage,
            layout,
            dtype,
            Arc::new(AtomicU64::new(0)),
        ))
    }
    /// A new tensor sharing this one's storage and version counter (a view).
    pub fn with_layout(&self, layout: Layout) -> Tensor {
        let base = self.0.base.clone().unwrap_or_else(|| self.clone());
        Self::new_impl(
            self.0.storage.clone(),
            layout,
            self.0.dtype,
            self.0.version.clone(),
            Some(base),
        )
    }
    /// Same data, layout and version counter; no base and no autograd state.
    pub fn alias(&self) -> Tensor {
        Tensor::from_parts(
            self.0.storage.clone(),
            self.0.layout.clone(),
            self.0.dtype,
            self.0.version.clone(),
        )
    }
    /// The tensor whose memory this view looks at (`Tensor._base`).
    pub fn base(&self) -> Option<&Tensor> {
        self.0.base.as_ref()
    }

    pub fn scalar(s: Scalar, dtype: DType) -> Tensor {
        crate::dispatch!(dtype, T => Tensor::from_vec_unchecked(vec![T::from_scalar(s)], &[]))
    }

    pub fn shape(&self) -> &[usize] {
        &self.0.layout.shape
    }
    pub fn strides(&self) -> &[isize] {
        &self.0.layout.strides
    }
    pub fn layout(&self) -> &Layout {
        &self.0.layout
    }
    pub fn offset(&self) -> usize {
        self.0.layout.offset
    }
    pub fn ndim(&self) -> usize {
        self.0.layout.shape.len()
    }
    pub fn numel(&self) -> usize {
        self.0.layout.numel()
    }
    pub fn dtype(&self) -> DType {
        self.0.dtype
    }
    pub fn device(&self) -> Device {
        self.0.storage.device()
    }
    pub fn is_cuda(&self) -> bool {
        matches!(self.device(), Device::Cuda(_))
    }
    pub fn storage(&self) -> &Storage {
        &self.0.storage
    }
    pub fn is_contiguous(&self) -> bool {
        self.0.layout.is_contiguous()
    }
    /// A dim that must exist: 0-d tensors have none (PyTorch's IndexError).
    pub fn dim_of(&self, dim: i64) -> Result<usize> {
        if self.ndim() == 0 {
            crate::bail!(
                index,
                "Dimension specified as {} but tensor has no dimensions",
                dim
            );
        }
        crate::layout::wrap_dim(dim, self.ndim())
    }
    pub fn size(&self, dim: i64) -> Result<usize> {
        Ok(self.shape()[self.dim_of(dim)?])
    }
    pub fn same_tensor(&self, other: &Tensor) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
    pub fn version(&self) -> u64 {
        self.0.version.load(Ordering::Relaxed)
    }
    pub fn bump_version(&self) {
        self.0.version.fetch_add(1, Ordering::Relaxed);
    }
    /// Address of the first element (`Tensor.data_ptr()`).
    pub fn data_ptr(&self) -> usize {
        self.0.storage.data_ptr() + self.offset() * self.dtype().size()
    }

    /// Typed pointer to element 0 of this view. CPU only.
    ///
    /// # Safety
    /// `T` must match `self.dtype()`.
    #[inline]
    pub(crate) unsafe fn ptr<T: Element>(&self) -> *mut T {
        debug_assert_eq!(T::DTYPE, self.dtype());
        (self.0.storage.cpu_ptr().expect("cpu tensor") as *mut T).add(self.offset())
    }

    /// The elements of a contiguous tensor as a slice.
    ///
    /// # Safety
    /// `T` must match the dtype, the tensor must be contiguous on CPU, and no
    /// one may write to the storage while the slice lives.
    pub unsafe fn as_slice<T: Element>(&self) -> &[T] {
        debug_assert!(self.is_contiguous());
        std::slice::from_raw_parts(self.ptr::<T>(), self.numel())
    }

    /// Elements in row-major order, converted to `T`.
    pub fn to_vec<T: Element>(&self) -> Result<Vec<T>> {
        let t = self.to_device(Device::Cpu)?.to_dtype(T::DTYPE)?.contiguous()?;
        Ok(unsafe { t.as_slice::<T>() }.to_vec())
    }

    /// The single value of a one-element tensor.
    pub fn item(&self) -> Result<Scalar> {
        if self.numel() != 1 {
            crate::bail!(
                runtime,
                "a Tensor with {} elements cannot be converted to Scalar",
                self.numel()
            );
        }
        if self.device() != Device::Cpu {
            return crate::cuda::transfer::to_cpu(self)?.item();
        }
        Ok(crate::dispatch!(self.dtype(), T => unsafe { *self.ptr::<T>() }.to_scalar()))
    }

    pub fn contiguous_strides(&self) -> Vec<isize> {
        contiguous_strides(self.shape())
    }
}

impl std::fmt::Debug for Tensor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Tensor(shape={:?}, dtype={:?})",
            self.shape(),
            self.dtype()
        )
    }
}
