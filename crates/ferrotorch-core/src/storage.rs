//! Reference-counted, untyped buffers. Views of a tensor share one `Storage`.
//!
//! CPU memory is addressed through a raw pointer so that views can write
//! through shared storage (PyTorch semantics); the `owner` keeps the memory
//! alive, whether it is a Rust allocation or a foreign buffer (a numpy array).

use crate::{Device, Error, Result};
use std::any::Any;
use std::sync::Arc;

pub struct CpuBuffer {
    ptr: *mut u8,
    nbytes: usize,
    _owner: Box<dyn Any + Send + Sync>,
}

// The buffer is plain memory; synchronising concurrent writers is the
// caller's responsibility, as in PyTorch.
unsafe impl Send for CpuBuffer {}
unsafe impl Sync for CpuBuffer {}

/// Large buffers are 2 MiB aligned and advised as transparent huge pages:
/// first-touch page faults otherwise dominate big elementwise ops.
const HUGE_ALLOC_BYTES: usize = 1 << 20;
const HUGE_PAGE: usize = 2 << 20;

struct AlignedBuf {
    ptr: *mut u8,
    layout: std::alloc::Layout,
}
unsafe impl Send for AlignedBuf {}
unsafe impl Sync for AlignedBuf {}
impl Drop for AlignedBuf {
    fn drop(&mut self) {
        unsafe { std::alloc::dealloc(self.ptr, self.layout) }
    }
}

pub enum StorageImpl {
    Cpu(CpuBuffer),
    /// Device memory from the CUDA caching allocator (`nbytes` of the block are used).
    Cuda {
        block: crate::cuda::alloc::Block,
        nbytes: usize,
    },
}

#[derive(Clone)]
pub struct Storage(Arc<StorageImpl>);

impl Storage {
    pub fn from_vec<T: Send + Sync + 'static>(mut v: Vec<T>) -> Storage {
        let nbytes = v.len() * std::mem::size_of::<T>();
        let ptr = v.as_mut_ptr() as *mut u8;
        Storage(Arc::new(StorageImpl::Cpu(CpuBuffer {
            ptr,
            nbytes,
            _owner: Box::new(v),
        })))
    }

    /// Uninitialised storage for `n` elements of `T`; the caller must write
    /// every element before any read.
    pub fn uninit<T: Copy + Send + Sync + 'static>(n: usize) -> (Storage, *mut T) {
        let nbytes = n * std::mem::size_of::<T>();
        if nbytes < HUGE_ALLOC_BYTES {
            let mut v: Vec<T> = Vec::with_capacity(n);
            // SAFETY: T is Copy (no drop), and the caller initialises all n elements.
            unsafe { v.set_len(n) };
            let p = v.as_mut_ptr();
            return (Storage::from_vec(v), p);
        }
        let layout =
            std::alloc::Layout::from_size_align(nbytes, HUGE_PAGE).expect("allocation size");
        let ptr = unsafe { std::alloc::alloc(layout) };
        if ptr.is_null() {
            std::alloc::handle_alloc_error(layout);
        }
        #[cfg(target_os = "linux")]
        unsafe {
            libc::madvise(ptr as *mut libc::c_void, nbytes, libc::MADV_HUGEPAGE);
        }
        let buf = AlignedBuf { ptr, layout };
        (
            Storage(Arc::new(StorageImpl::Cpu(CpuBuffer {
                ptr,
                nbytes,
                _owner: Box::new(buf),
            }))),
            ptr as *mut T,
        )
    }

    /// Wraps foreign memory; `owner` must keep `ptr..ptr+nbytes` valid while alive.
    ///
    /// # Safety
    /// `ptr` must be valid for reads and writes of `nbytes` for the owner's lifetime.
    pub unsafe fn from_foreign(
        ptr: *mut u8,
        nbytes: usize,
        owner: Box<dyn Any + Send + Sync>,
    ) -> Storage {
        Storage(Arc::new(StorageImpl::Cpu(CpuBuffer {
            ptr,
            nbytes,
            _owner: owner,
        })))
    }

    /// Uninitialised device memory for `nbytes` on CUDA device `device`.
    pub fn cuda(device: usize, nbytes: usize) -> Result<Storage> {
        let block = crate::cuda::alloc::allocate(device, nbytes)?;
        Ok(Storage(Arc::new(StorageImpl::Cuda { block, nbytes })))
    }

    pub fn device(&self) -> Device {
        match &*self.0 {
            StorageImpl::Cpu(_) => Device::Cpu,
            StorageImpl::Cuda { block, .. } => Device::Cuda(block.device),
        }
    }
    pub fn nbytes(&self) -> usize {
        match &*self.0 {
            StorageImpl::Cpu(b) => b.nbytes,
            StorageImpl::Cuda { nbytes, .. } => *nbytes,
        }
    }
    /// Base pointer of CPU memory.
    pub fn cpu_ptr(&self) -> Result<*mut u8> {
        match &*self.0 {
            StorageImpl::Cpu(b) => Ok(b.ptr),
            StorageImpl::Cuda { .. } => Err(Error::runtime(
                "expected a CPU tensor, got a CUDA tensor (move it with .cpu())",
            )),
        }
    }
    /// Base address of CUDA device memory.
    pub fn cuda_ptr(&self) -> Result<u64> {
        match &*self.0 {
            StorageImpl::Cuda { block, .. } => Ok(block.ptr),
            StorageImpl::Cpu(_) => Err(Error::runtime("expected a CUDA tensor, got a CPU tensor")),
        }
    }
    /// No other handle (tensor or view) shares this storage.
    pub fn is_unique(&self) -> bool {
        Arc::strong_count(&self.0) == 1
    }
    pub fn ptr_eq(&self, other: &Storage) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
    pub fn data_ptr(&self) -> usize {
        match &*self.0 {
            StorageImpl::Cpu(b) => b.ptr as usize,
            StorageImpl::Cuda { block, .. } => block.ptr as usize,
        }
    }
    pub fn require_cpu(&self) -> Result<()> {
        match self.device() {
            Device::Cpu => Ok(()),
            d => Err(Error::runtime(format!("expected a CPU tensor, got {d}"))),
        }
    }
}
