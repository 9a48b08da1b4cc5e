//! Finite-difference checks of analytical gradients (`gradcheck`,
//! `gradgradcheck`), for float64 inputs.

use super::grad;
use crate::{bail, DType, Result, Tensor};

/// Tolerances and step of a check; PyTorch's defaults.
#[derive(Clone, Copy)]
pub struct CheckOptions {
    pub eps: f64,
    pub atol: f64,
    pub rtol: f64,
}

impl Default for CheckOptions {
    fn default() -> Self {
        CheckOptions {
            eps: 1e-6,
            atol: 1e-5,
            rtol: 1e-3,
        }
    }
}

/// The function under test: inputs to outputs.
pub type CheckFn<'a> = dyn Fn(&[Tensor]) -> Result<Vec<Tensor>> + 'a;

/// Storage offset (in elements) of the `j`-th element in row-major order.
fn element_offset(t: &Tensor, mut j: usize) -> isize {
    let mut off = t.offset() as isize;
    for d in (0..t.ndim()).rev() {
        let n = t.shape()[d];
        off += (j % n) as isize * t.strides()[d];
        j /= n;
    }
    off
}

/// The `j`-th element (row-major) of `t` as a 0-d view sharing its memory, so
/// the check perturbs inputs in place on any device.
fn element(t: &Tensor, j: usize) -> Result<Tensor> {
    t.detach().as_strided(&[], &[], Some(element_offset(t, j) as usize))
}
fn read(t: &Tensor, j: usize) -> Result<f64> {
    Ok(element(t, j)?.to_vec::<f64>()?[0])
}
fn write(t: &Tensor, j: usize, v: f64) -> Result<()> {
    element(t, j)?.copy_(&Tensor::scalar(crate::Scalar::Float(v), DType::F64))
}

fn flat(outs: &[Tensor]) -> Result<Vec<Vec<f64>>> {
    outs.iter().map(|o| o.detach().to_vec::<f64>()).collect()
}

/// Compares the Jacobian from autograd with central differences, for every
/// differentiable output and every input that requires grad.
pub fn gradcheck(f: &CheckFn, inputs: &[Tensor], opts: CheckOptions) -> Result<()> {
    for (i, x) in inputs.iter().enumerate() {
        if x.requires_grad() && x.dtype() != DType::F64 {
            bail!(
                runtime,
                "gradcheck: input {i} has dtype {}; finite differences need float64 inputs",
                x.dtype().name()
            );
        }
    }
    let outs = f(inputs)?;
    let diff: Vec<usize> = (0..outs.len())
        .filter(|&k| outs[k].requires_grad())
        .collect();
    if diff.is_empty() {
        bail!(
            runtime,
            "gradcheck expects at least one output to require grad"
        );
    }
    for (i, x) in inputs.iter().enumerate().filter(|(_, x)| x.requires_grad()) {
        let n = x.numel();
        // numerical[k][j][r]: d out_k[r] / d x[j]
        let mut numerical: Vec<Vec<Vec<f64>>> = vec![Vec::with_capacity(n); outs.len()];
        for j in 0..n {
            let orig = read(x, j)?;
            write(x, j, orig + opts.eps)?;
            let plus = f(inputs).and_then(|o| flat(&o));
            write(x, j, orig - opts.eps)?;
            let minus = f(inputs).and_then(|o| flat(&o));
            write(x, j, orig)?;
            let (plus, minus) = (plus?, minus?);
            for &k in &diff {
                numerical[k].push(
                    plus[k]
                        .iter()
                        .zip(&minus[k])
                        .map(|(p, m)| (p - m) / (2.0 * opts.eps))
                        .collect(),
                );
            }
        }
        // A fresh graph: the perturbing writes above bumped the inputs' versions,
        // which would fail the saved-tensor check of the first graph.
        let outs = f(inputs)?;
        for &k in &diff {
            let o = &outs[k];
            for r in 0..o.numel() {
                let mut onehot = vec![0.0f64; o.numel()];
                onehot[r] = 1.0;
                let go = Tensor::from_vec(onehot, o.shape())?.to_dtype(o.dtype())?.to_device(o.device())?;
                let g = grad(
                    &[o.clone()],
                    &[x.clone()],
                    &[Some(go)],
                    Some(true),
                    false,
                    true,
                )?;
                let row: Vec<f64> = match &g[0] {
                    Some(g) => g.to_vec::<f64>()?,
                    None => vec![0.0; n],
                };
                for j in 0..n {
                    let (a, num) = (row[j], numerical[k][j][r]);
                    if !((a - num).abs() <= opts.atol + opts.rtol * num.abs())
                        && !(a.is_nan() && num.is_nan())
                    {
                        bail!(
                            runtime,
                            "Jacobian mismatch for output {k} with respect to input {i},\nnumerical:{num}\nanalytical:{a}\n(at output element {r}, input element {j})"
                        );
                    }
                }
            }
        }
    }
    Ok(())
}

/// Checks second derivatives: gradcheck of `(inputs, v) -> grad(f(inputs), inputs, v)`
/// with `create_graph=True`, for random `v` (or the given `grad_outputs`).
pub fn gradgradcheck(
    f: &CheckFn,
    inputs: &[Tensor],
    grad_outputs: Option<&[Tensor]>,
    opts: CheckOptions,
) -> Result<()> {
    let outs = f(inputs)?;
    let diff: Vec<usize> = (0..outs.len())
        .filter(|&k| outs[k].requires_grad())
        .collect();
    let vs: Vec<Tensor> = match grad_outputs {
        Some(v) => v.to_vec(),
        None => {
            let mut gen = crate::random::DEFAULT_GENERATOR.lock().unwrap();
            diff.iter()
                .map(|&k| Tensor::from_vec(gen.normal_f64(outs[k].numel()), outs[k].shape())?.to_device(outs[k].device()))
                .collect::<Result<_>>()?
        }
    };
    for v in &vs {
        v.set_requires_grad(true)?;
    }
    let n_in = inputs.len();
    let wrt: Vec<usize> = (0..n_in).filter(|&i| inputs[i].requires_grad()).collect();
    let g = move |all: &[Tensor]| -> Result<Vec<Tensor>> {
        let (xs, vs) = all.split_at(n_in);
        let outs = f(xs)?;
        let roots: Vec<Tensor> = diff.iter().map(|&k| outs[k].clone()).collect();
        let gos: Vec<Option<Tensor>> = vs.iter().cloned().map(Some).collect();
        let targets: Vec<Tensor> = wrt.iter().map(|&i| xs[i].clone()).collect();
        let gs = grad(&roots, &targets, &gos, Some(true), true, true)?;
        Ok(gs
            .into_iter()
            .zip(&targets)
            .map(|(g, t)| g.map_or_else(|| Tensor::zeros_on(t.shape(), t.dtype(), t.device()), Ok))
            .collect::<Result<_>>()?)
    };
    let all: Vec<Tensor> = inputs.iter().cloned().chain(vs).collect();
    gradcheck(&g, &all, opts)
}
