//! Counter-based random numbers (Philox4x32-10), so streams are reproducible
//! from (seed, offset) on CPU and, later, on CUDA with the same values.

use std::sync::Mutex;

/// A seeded stream: each call consumes counters from `offset` on.
#[derive(Clone, Debug)]
pub struct Generator {
    pub seed: u64,
    pub offset: u64,
}

const M0: u32 = 0xD251_1F53;
const M1: u32 = 0xCD9E_8D57;
const W0: u32 = 0x9E37_79B9;
const W1: u32 = 0xBB67_AE85;

/// Philox4x32 with 10 rounds: four 32-bit outputs for one 128-bit counter.
pub fn philox(counter: u64, seed: u64) -> [u32; 4] {
    let mut c = [counter as u32, (counter >> 32) as u32, 0, 0];
    let mut k = [seed as u32, (seed >> 32) as u32];
    for _ in 0..10 {
        let p0 = (M0 as u64) * (c[0] as u64);
        let p1 = (M1 as u64) * (c[2] as u64);
        c = [
            ((p1 >> 32) as u32) ^ c[1] ^ k[0],
            p1 as u32,
            ((p0 >> 32) as u32) ^ c[3] ^ k[1],
            p0 as u32,
        ];
        k = [k[0].wrapping_add(W0), k[1].wrapping_add(W1)];
    }
    c
}

impl Generator {
    pub fn new(seed: u64) -> Self {
        Generator { seed, offset: 0 }
    }
    /// `n` uniform u32 words; advances the stream.
    pub fn next_u32s(&mut self, n: usize) -> Vec<u32> {
        let blocks = n.div_ceil(4) as u64;
        let start = self.offset;
        self.offset += blocks;
        let mut out = Vec::with_capacity(n);
        for b in 0..blocks {
            out.extend_from_slice(&philox(start + b, self.seed));
        }
        out.truncate(n);
        out
    }
    /// Uniform [0, 1) doubles with 53 random bits.
    pub fn uniform_f64(&mut self, n: usize) -> Vec<f64> {
        let w = self.next_u32s(2 * n);
        (0..n)
            .map(|i| {
                let bits = ((w[2 * i] as u64) << 21) ^ (w[2 * i + 1] as u64 >> 11);
                (bits & ((1u64 << 53) - 1)) as f64 / (1u64 << 53) as f64
            })
            .collect()
    }
    /// Standard normal samples (Box-Muller).
    pub fn normal_f64(&mut self, n: usize) -> Vec<f64> {
        let u = self.uniform_f64(n + n % 2);
        let mut out = Vec::with_capacity(n + 1);
        for p in u.chunks(2) {
            let r = (-2.0 * (1.0 - p[0]).ln()).sqrt();
            let th = 2.0 * std::f64::consts::PI * p[1];
            out.push(r * th.cos());
            out.push(r * th.sin());
        }
        out.truncate(n);
        out
    }
    /// Uniform integers in [low, high).
    pub fn integers(&mut self, n: usize, low: i64, high: i64) -> Vec<i64> {
        // wrapping: the full i64 range is a span of up to 2^64 - 1
        let range = high.wrapping_sub(low) as u64;
        let w = self.next_u32s(2 * n);
        (0..n)
            .map(|i| low.wrapping_add(((((w[2 * i] as u64) << 32) | w[2 * i + 1] as u64) % range) as i64))
            .collect()
    }
}

/// Random bits a U[0, 1) sample of `dtype` keeps: its mantissa digits, so
/// that casting to the dtype never rounds a sample up to 1 (as PyTorch).
pub fn uniform_bits(dtype: crate::DType) -> u32 {
    match dtype {
        crate::DType::F32 => 24,
        crate::DType::F16 => 11,
        crate::DType::BF16 => 8,
        _ => 53,
    }
}

/// `u` truncated to `bits` random bits (exact in f64).
pub fn keep_bits(u: f64, bits: u32) -> f64 {
    let s = (bits as f64).exp2();
    (u * s).floor() / s
}

/// The default generator (`torch.manual_seed`, `torch.initial_seed`).
pub static DEFAULT_GENERATOR: Mutex<Generator> = Mutex::new(Generator {
    seed: 67_280_421_310_721,
    offset: 0,
});

/// `torch.manual_seed`: the CPU generator and every CUDA device's.
pub fn manual_seed(seed: u64) {
    *DEFAULT_GENERATOR.lock().unwrap() = Generator::new(seed);
    crate::cuda::random::manual_seed_all(seed);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn philox_known_answer() {
        // Random123 known-answer test for philox4x32-10 with zero counter and key.
        assert_eq!(
            philox(0, 0),
            [0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8]
        );
    }

    #[test]
    fn normal_moments() {
        let mut g = Generator::new(1);
        let v = g.normal_f64(100_000);
        let mean: f64 = v.iter().sum::<f64>() / v.len() as f64;
        let var: f64 = v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / v.len() as f64;
        assert!(
            mean.abs() < 0.02 && (var - 1.0).abs() < 0.02,
            "{mean} {var}"
        );
    }
}
