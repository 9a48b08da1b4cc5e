//! Caching device allocator: freed blocks stay reserved and are reused by
//! later allocations of a similar size, so steady-state ops never call
//! `cuMemAlloc`/`cuMemFree` (each costs tens of microseconds and
//! `cuMemFree` synchronizes the device).
//!
//! All work of a device is ordered on one stream, so a block released by a
//! tensor may be handed out again immediately: any kernel that still reads
//! it was queued before the new owner's first kernel.

use super::device::gpu;
use crate::{Error, ErrorKind, Result};
use std::collections::BTreeSet;
use std::sync::Mutex;

/// Requests are rounded so that blocks are reusable across nearby sizes:
/// 512 B granules below 1 MiB, 2 MiB granules above.
fn round_size(n: usize) -> usize {
    const SMALL: usize = 512;
    const LARGE: usize = 2 << 20;
    if n <= (1 << 20) {
        n.max(1).div_ceil(SMALL) * SMALL
    } else {
        n.div_ceil(LARGE) * LARGE
    }
}

#[derive(Default)]
struct Pool {
    /// Cached (size, ptr) blocks, searched best-fit.
    free: BTreeSet<(usize, u64)>,
    allocated: usize,
    max_allocated: usize,
    reserved: usize,
    max_reserved: usize,
    num_alloc_retries: usize,
    num_ooms: usize,
}

/// Per-device pools, created on first allocation.
static POOLS: Mutex<Vec<Pool>> = Mutex::new(Vec::new());

fn with_pool<R>(device: usize, f: impl FnOnce(&mut Pool) -> R) -> R {
    let mut pools = POOLS.lock().unwrap();
    if pools.len() <= device {
        pools.resize_with(device + 1, Pool::default);
    }
    f(&mut pools[device])
}

/// A device allocation; returns to its pool's cache when dropped.
pub struct Block {
    pub ptr: u64,
    pub size: usize,
    pub device: usize,
}

impl Drop for Block {
    fn drop(&mut self) {
        if self.size == 0 {
            return;
        }
        with_pool(self.device, |p| {
            p.allocated -= self.size;
            p.free.insert((self.size, self.ptr));
        });
    }
}

/// At least `nbytes` of device memory on `device` (uninitialised).
pub fn allocate(device: usize, nbytes: usize) -> Result<Block> {
    if nbytes == 0 {
        return Ok(Block { ptr: 0, size: 0, device });
    }
    let size = round_size(nbytes);
    // Best fit among cached blocks, but never more than twice the request,
    // so a small tensor does not pin a huge block.
    let cached = with_pool(device, |p| {
        let hit = p.free.range((size, 0)..).next().copied().filter(|&(s, _)| s <= 2 * size);
        if let Some(b) = hit {
            p.free.remove(&b);
            p.allocated += b.0;
            p.max_allocated = p.max_allocated.max(p.allocated);
        }
        hit
    });
    if let Some((size, ptr)) = cached {
        return Ok(Block { ptr, size, device });
    }
    let g = gpu(device)?;
    let ptr = match g.malloc(size)? {
        Some(p) => p,
        None => {
            // Give the cache back to the driver and try once more.
            with_pool(device, |p| p.num_alloc_retries += 1);
            empty_cache_of(device)?;
            match g.malloc(size)? {
                Some(p) => p,
                None => {
                    with_pool(device, |p| p.num_ooms += 1);
                    return Err(out_of_memory(g, device, nbytes));
                }
            }
        }
    };
    with_pool(device, |p| {
        p.allocated += size;
        p.reserved += size;
        p.max_allocated = p.max_allocated.max(p.allocated);
        p.max_reserved = p.max_reserved.max(p.reserved);
    });
    Ok(Block { ptr, size, device })
}

/// Frees every cached block of `device` (`torch.cuda.empty_cache`).
fn empty_cache_of(device: usize) -> Result<()> {
    let blocks: Vec<(usize, u64)> = with_pool(device, |p| std::mem::take(&mut p.free).into_iter().collect());
    if blocks.is_empty() {
        return Ok(());
    }
    let g = gpu(device)?;
    for &(size, ptr) in &blocks {
        // SAFETY: the block is cached, so no tensor refers to it; freeing
        // waits for queued work that may still use it.
        unsafe { g.free(ptr) }?;
        with_pool(device, |p| p.reserved -= size);
    }
    Ok(())
}

/// `torch.cuda.empty_cache()`: every device that has a pool.
pub fn empty_cache() -> Result<()> {
    let n = POOLS.lock().unwrap().len();
    (0..n).try_for_each(empty_cache_of)
}

/// Allocator counters of one device (`torch.cuda.memory_stats` subset).
#[derive(Clone, Copy, Debug, Default)]
pub struct MemoryStats {
    pub allocated: usize,
    pub max_allocated: usize,
    pub reserved: usize,
    pub max_reserved: usize,
    pub num_alloc_retries: usize,
    pub num_ooms: usize,
}

pub fn memory_stats(device: usize) -> MemoryStats {
    with_pool(device, |p| MemoryStats {
        allocated: p.allocated,
        max_allocated: p.max_allocated,
        reserved: p.reserved,
        max_reserved: p.max_reserved,
        num_alloc_retries: p.num_alloc_retries,
        num_ooms: p.num_ooms,
    })
}

/// `torch.cuda.reset_peak_memory_stats`: peaks restart from current values.
pub fn reset_peak_memory_stats(device: usize) {
    with_pool(device, |p| {
        p.max_allocated = p.allocated;
        p.max_reserved = p.reserved;
    })
}

/// PyTorch's `format_size`: bytes, KiB, MiB or GiB with two decimals.
fn format_size(n: usize) -> String {
    let n = n as f64;
    if n < 1024.0 {
        format!("{n} bytes")
    } else if n < 1024.0 * 1024.0 {
        format!("{:.2} KiB", n / 1024.0)
    } else if n < 1024.0 * 1024.0 * 1024.0 {
        format!("{:.2} MiB", n / (1024.0 * 1024.0))
    } else {
        format!("{:.2} GiB", n / (1024.0 * 1024.0 * 1024.0))
    }
}

fn out_of_memory(g: &super::device::Gpu, device: usize, nbytes: usize) -> Error {
    let total = g.total_memory().unwrap_or(0);
    let free = g.free_memory().unwrap_or(0);
    let s = memory_stats(device);
    Error {
        kind: ErrorKind::OutOfMemory,
        msg: format!(
            "CUDA out of memory. Tried to allocate {}. GPU {} has a total capacity of {} of which {} is free. Of the allocated memory {} is allocated by ferrotorch, and {} is reserved by ferrotorch but unallocated.",
            format_size(nbytes),
            device,
            format_size(total),
            format_size(free),
            format_size(s.allocated),
            format_size(s.reserved - s.allocated),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_round_to_granules() {
        assert_eq!(round_size(1), 512);
        assert_eq!(round_size(513), 1024);
        assert_eq!(round_size(1 << 20), 1 << 20);
        assert_eq!(round_size((1 << 20) + 1), 2 << 20);
        assert_eq!(round_size((5 << 20) + 7), 6 << 20);
    }

    #[test]
    fn format_size_matches_pytorch() {
        assert_eq!(format_size(100), "100 bytes");
        assert_eq!(format_size(2048), "2.00 KiB");
        assert_eq!(format_size(3 << 30), "3.00 GiB");
    }

    #[test]
    fn no_driver_is_an_error_not_a_panic() {
        if super::super::device::device_count() == 0 {
            assert!(allocate(0, 16).is_err());
        }
    }
}
