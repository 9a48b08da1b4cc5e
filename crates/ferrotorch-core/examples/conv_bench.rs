//! Times conv2d (ResNet's 64->64 3x3, padding 1, 56x56) forward and
//! forward+backward through the public ops. Run with
//! `cargo run -p ferrotorch-core --release --example conv_bench [reps]`.

use ferrotorch_core::autograd::grad;
use ferrotorch_core::ops::conv::{ConvPadding, ConvParams};
use ferrotorch_core::random::Generator;
use ferrotorch_core::{Result, Tensor};
use std::time::Instant;

fn randn(rng: &mut Generator, shape: &[usize]) -> Result<Tensor> {
    let v: Vec<f32> = rng.normal_f64(shape.iter().product()).into_iter().map(|v| v as f32).collect();
    Tensor::from_vec(v, shape)
}

/// This process's CPU time in ms (all threads): on a shared machine it
/// shows the work done when wall times are noisy.
fn cpu_ms() -> f64 {
    let mut t = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    unsafe { libc::clock_gettime(libc::CLOCK_PROCESS_CPUTIME_ID, &mut t) };
    t.tv_sec as f64 * 1e3 + t.tv_nsec as f64 * 1e-6
}

/// Best of `reps` timings of `f`: (wall, CPU) ms.
fn best(reps: usize, mut f: impl FnMut() -> Result<()>) -> Result<(f64, f64)> {
    f()?;
    let mut best = (f64::INFINITY, f64::INFINITY);
    for _ in 0..reps {
        let (t, c) = (Instant::now(), cpu_ms());
        f()?;
        best = (best.0.min(t.elapsed().as_secs_f64() * 1e3), best.1.min(cpu_ms() - c));
    }
    Ok(best)
}

fn main() -> Result<()> {
    let reps = std::env::args().nth(1).and_then(|s| s.parse().ok()).unwrap_or(10);
    let mut rng = Generator::new(0);
    let p = ConvParams {
        stride: vec![1],
        padding: ConvPadding::Explicit(vec![1]),
        dilation: vec![1],
        transposed: false,
        output_padding: vec![0],
        groups: 1,
    };
    for n in [1, 8] {
        let x = randn(&mut rng, &[n, 64, 56, 56])?;
        let w = randn(&mut rng, &[64, 64, 3, 3])?;
        let b = randn(&mut rng, &[64])?;
        let fwd = best(reps, || x.convolution(&w, Some(&b), &p).map(drop))?;
        let (xg, wg, bg) = (x.detach(), w.detach(), b.detach());
        for t in [&xg, &wg, &bg] {
            t.set_requires_grad(true)?;
        }
        let gy = randn(&mut rng, &[n, 64, 56, 56])?;
        let fb = best(reps, || {
            let y = xg.convolution(&wg, Some(&bg), &p)?;
            grad(&[y], &[xg.clone(), wg.clone(), bg.clone()], &[Some(gy.clone())], None, false, false).map(drop)
        })?;
        println!(
            "batch {n}: forward {:.2} ms (cpu {:.2}), forward+backward {:.2} ms (cpu {:.2})",
            fwd.0, fwd.1, fb.0, fb.1
        );
    }
    Ok(())
}
