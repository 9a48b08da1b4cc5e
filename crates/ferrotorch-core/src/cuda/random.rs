//! Random tensors on CUDA: Philox4x32-10 computed in the kernel from
//! (seed, offset), one generator per device. The stream is the CPU
//! generator's, so the same seed draws the same values on either device.

use super::device::{arg as p, gpu};
use super::elementwise::{dptr, empty};
use crate::random::Generator;
use crate::{DType, Device, Result, Tensor};
use std::sync::Mutex;

/// PyTorch's default seed for every generator.
const DEFAULT_SEED: u64 = 67_280_421_310_721;

/// Per-device generators; devices not listed have the default seed.
static GENERATORS: Mutex<Vec<Generator>> = Mutex::new(Vec::new());

/// Runs `f` on device `d`'s generator (state kept without touching the GPU,
/// so seeding works before, or without, CUDA initialisation).
pub fn with_generator<R>(d: usize, f: impl FnOnce(&mut Generator) -> R) -> R {
    let mut gens = GENERATORS.lock().unwrap();
    if gens.len() <= d {
        let n = gens.len();
        gens.extend((n..=d).map(|_| Generator::new(DEFAULT_SEED)));
    }
    f(&mut gens[d])
}

/// `torch.cuda.manual_seed_all` (and `torch.manual_seed`).
pub fn manual_seed_all(seed: u64) {
    let mut gens = GENERATORS.lock().unwrap();
    let n = gens.len().max(super::device_count());
    *gens = (0..n).map(|_| Generator::new(seed)).collect();
}

/// The distribution a kernel draws from.
#[derive(Clone, Copy, Debug)]
pub enum Dist {
    /// lo + (hi - lo) * U[0, 1), U keeping `bits` random bits
    Uniform { lo: f64, hi: f64, bits: u32 },
    /// mean + std * N(0, 1)
    Normal { mean: f64, std: f64 },
    /// low + (uniform 64-bit word mod range); range 0 means 2^64
    Integers { low: i64, range: u64 },
}

/// A new contiguous tensor of `shape` on CUDA `device` drawn from `dist`,
/// advancing `gen` (the device's generator unless one is given).
pub fn sample(shape: &[usize], dtype: DType, device: Device, dist: Dist, gen: Option<&mut Generator>) -> Result<Tensor> {
    let d = device.index().unwrap_or(0);
    let out = empty(shape, dtype, device)?;
    let n = out.numel() as i64;
    // Every draw reads two 32-bit words per element: half a Philox block.
    let blocks = (n as u64).div_ceil(2);
    let take = |g: &mut Generator| {
        let (s, o) = (g.seed, g.offset);
        g.offset += blocks;
        (s, o)
    };
    let (seed, offset) = match gen {
        Some(g) => take(g),
        None => with_generator(d, take),
    };
    if n == 0 {
        return Ok(out);
    }
    let g = gpu(d)?;
    let code = dtype as i32;
    let po = dptr(&out)?;
    let grid = (n as u64).div_ceil(256).min(65_535 * 16) as u32;
    match dist {
        Dist::Uniform { lo, hi, bits } => {
            let scale = (bits as f64).exp2();
            let f = g.function("random", "uniform")?;
            g.launch(f, grid, 256, &mut [p(&n), p(&code), p(&po), p(&seed), p(&offset), p(&lo), p(&hi), p(&scale)])?
        }
        Dist::Normal { mean, std } => {
            let f = g.function("random", "normal")?;
            g.launch(f, grid, 256, &mut [p(&n), p(&code), p(&po), p(&seed), p(&offset), p(&mean), p(&std)])?
        }
        Dist::Integers { low, range } => {
            let f = g.function("random", "integers")?;
            g.launch(f, grid, 256, &mut [p(&n), p(&code), p(&po), p(&seed), p(&offset), p(&low), p(&range)])?
        }
    }
    Ok(out)
}
