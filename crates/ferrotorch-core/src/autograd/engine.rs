//! The backward engine: counts dependencies over the graph reachable from the
//! roots, then runs nodes from a ready queue (latest-created first), never
//! recursing, so graphs of any depth work.

use super::node::{Edge, Node};
use super::GradModeGuard;
use crate::{bail, Result, Tensor};
use std::collections::{BinaryHeap, HashMap};
use std::sync::Arc;

struct Task {
    node: Arc<Node>,
    deps: usize,
    grads: Vec<Option<Tensor>>,
    /// With explicit inputs: does this node lead to one of them?
    needed: bool,
    /// With explicit inputs: the nodes with an edge into this one.
    parents: Vec<usize>,
}

/// `Tensor.backward` / `torch.autograd.backward`.
pub fn backward(
    roots: &[Tensor],
    grads: &[Option<Tensor>],
    retain_graph: Option<bool>,
    create_graph: bool,
    inputs: Option<&[Tensor]>,
) -> Result<()> {
    let edges = root_edges(roots, grads)?;
    let keep = retain_graph.unwrap_or(create_graph);
    match inputs {
        None => {
            execute(edges, keep, create_graph, &[], true)?;
        }
        Some(inputs) => {
            let targets = input_edges(inputs, true)?;
            let got = execute(edges, keep, create_graph, &targets, true)?;
            // Non-leaf inputs get their grad accumulated like leaves'.
            for (t, g) in inputs.iter().zip(got) {
                if let (false, Some(g)) = (t.is_leaf(), g) {
                    accumulate_grad(t, g, create_graph)?;
                }
            }
        }
    }
    Ok(())
}

/// `torch.autograd.grad`: grads of `outputs` w.r.t. `inputs`, without touching `.grad`.
pub fn grad(
    outputs: &[Tensor],
    inputs: &[Tensor],
    grad_outputs: &[Option<Tensor>],
    retain_graph: Option<bool>,
    create_graph: bool,
    allow_unused: bool,
) -> Result<Vec<Option<Tensor>>> {
    let edges = root_edges(outputs, grad_outputs)?;
    let targets = input_edges(inputs, false)?;
    let got = execute(
        edges,
        retain_graph.unwrap_or(create_graph),
        create_graph,
        &targets,
        false,
    )?;
    if !allow_unused && got.iter().any(Option::is_none) {
        bail!(
            runtime,
            "One of the differentiated Tensors appears to not have been used in the graph. Set allow_unused=True if this is the desired behavior."
        );
    }
    Ok(got)
}

fn root_edges(roots: &[Tensor], grads: &[Option<Tensor>]) -> Result<Vec<(Edge, Tensor)>> {
    if grads.len() != roots.len() {
        bail!(
            runtime,
            "grad_tensors should have the same length as tensors: {} vs {}",
            grads.len(),
            roots.len()
        );
    }
    let mut out = Vec::with_capacity(roots.len());
    for (i, (r, g)) in roots.iter().zip(grads).enumerate() {
        let Some(edge) = r.gradient_edge()? else {
            bail!(
                runtime,
                "element {i} of tensors does not require grad and does not have a grad_fn"
            );
        };
        let g = match g {
            Some(g) => {
                if g.shape() != r.shape() {
                    bail!(
                        runtime,
                        "Mismatch in shape: grad_output[{i}] has a shape of {} and output[{i}] has a shape of {}.",
                        crate::layout::fmt_shape(g.shape()),
                        crate::layout::fmt_shape(r.shape())
                    );
                }
                g.clone()
            }
            None => {
                if r.numel() != 1 {
                    bail!(
                        runtime,
                        "grad can be implicitly created only for scalar outputs"
                    );
                }
                Tensor::full_on(r.shape(), crate::Scalar::Int(1), r.dtype(), r.device())?
            }
        };
        out.push((edge, g));
    }
    Ok(out)
}

fn input_edges(inputs: &[Tensor], backward_api: bool) -> Result<Vec<Option<Edge>>> {
    inputs
        .iter()
        .enumerate()
        .map(|(i, t)| {
            if !t.requires_grad() {
                if backward_api {
                    bail!(
                        runtime,
                        "element {i} of the input tensors does not require grad"
                    );
                }
                bail!(
                    runtime,
                    "One of the differentiated Tensors does not require grad"
                );
            }
            Ok(t.existing_edge())
        })
        .collect()
}

fn key(n: &Arc<Node>) -> *const Node {
    Arc::as_ptr(n)
}

/// Runs backward from `roots`. With `targets`, returns the grad arriving at
/// each target edge and runs only the nodes that lead to one; `accumulate`
/// says whether `AccumulateGrad` sinks write `.grad`.
fn execute(
    roots: Vec<(Edge, Tensor)>,
    keep_graph: bool,
    create_graph: bool,
    targets: &[Option<Edge>],
    accumulate: bool,
) -> Result<Vec<Option<Tensor>>> {
    let _mode = GradModeGuard::new(create_graph);
    // Discover the graph and count each node's incoming edges.
    let mut index: HashMap<*const Node, usize> = HashMap::new();
    let mut tasks: Vec<Task> = Vec::new();
    let mut stack: Vec<usize> = Vec::new();
    let mut visit = |n: &Arc<Node>, tasks: &mut Vec<Task>, stack: &mut Vec<usize>| -> usize {
        *index.entry(key(n)).or_insert_with(|| {
            tasks.push(Task {
                node: n.clone(),
                deps: 0,
                grads: vec![None; n.num_outputs],
                needed: targets.is_empty(),
                parents: Vec::new(),
            });
            stack.push(tasks.len() - 1);
            tasks.len() - 1
        })
    };
    let root_ids: Vec<usize> = roots
        .iter()
        .map(|(e, _)| visit(&e.node, &mut tasks, &mut stack))
        .collect();
    while let Some(i) = stack.pop() {
        let node = tasks[i].node.clone();
        for e in node.next.iter().flatten() {
            let j = visit(&e.node, &mut tasks, &mut stack);
            tasks[j].deps += 1;
            if !targets.is_empty() {
                tasks[j].parents.push(i); // only read to mark the nodes targets need
            }
        }
    }
    // With targets: mark the nodes from which a target is reachable.
    let capture: HashMap<(*const Node, usize), Vec<usize>> = {
        let mut m: HashMap<(*const Node, usize), Vec<usize>> = HashMap::new();
        for (k, e) in targets.iter().enumerate() {
            if let Some(e) = e {
                m.entry((key(&e.node), e.input_nr)).or_default().push(k);
            }
        }
        m
    };
    if !targets.is_empty() {
        let mut up: Vec<usize> = targets
            .iter()
            .flatten()
            .filter_map(|e| index.get(&key(&e.node)).copied())
            .collect();
        while let Some(i) = up.pop() {
            if !tasks[i].needed {
                tasks[i].needed = true;
                up.extend(tasks[i].parents.iter().copied());
            }
        }
    }
    for ((e, g), &i) in roots.into_iter().zip(&root_ids) {
        add_into(&mut tasks[i].grads[e.input_nr], g)?;
    }
    let mut ready: BinaryHeap<(u64, usize)> = BinaryHeap::new();
    for (i, t) in tasks.iter().enumerate() {
        if t.deps == 0 {
            ready.push((t.node.seq, i));
        }
    }
    let mut captured: Vec<Option<Tensor>> = vec![None; targets.len()];
    while let Some((_, i)) = ready.pop() {
        let node = tasks[i].node.clone();
        let mut grads = std::mem::take(&mut tasks[i].grads);
        apply_pre_hooks(&node, &mut grads, create_graph)?;
        for (nr, g) in grads.iter().enumerate() {
            if let Some(ks) = capture.get(&(key(&node), nr)) {
                for &k in ks {
                    captured[k] = g.clone();
                }
            }
        }
        let outs = if !tasks[i].needed || grads.iter().all(Option::is_none) {
            None
        } else if let Some(leaf) = &node.leaf {
            if accumulate {
                if let Some(g) = grads.into_iter().next().flatten() {
                    accumulate_grad(leaf, g, create_graph)?;
                }
            }
            None
        } else {
            Some(call(&node, &grads, keep_graph)?)
        };
        for (k, e) in node.next.iter().enumerate() {
            let Some(e) = e else { continue };
            let j = index[&key(&e.node)];
            if let Some(Some(g)) = outs.as_ref().and_then(|o| o.get(k)) {
                let g = validate(&node, k, g.clone())?;
                add_into(&mut tasks[j].grads[e.input_nr], g)?;
            }
            tasks[j].deps -= 1;
            if tasks[j].deps == 0 {
                ready.push((e.node.seq, j));
            }
        }
    }
    Ok(captured)
}

fn add_into(slot: &mut Option<Tensor>, g: Tensor) -> Result<()> {
    *slot = Some(match slot.take() {
        None => g,
        Some(old) => old.add(&g)?,
    });
    Ok(())
}

/// Runs one node's backward formula.
fn call(
    node: &Arc<Node>,
    grads: &[Option<Tensor>],
    keep_graph: bool,
) -> Result<Vec<Option<Tensor>>> {
    let saved = node.unpack_saved()?;
    let needs: Vec<bool> = node.next.iter().map(|e| e.is_some()).collect();
    let f = node.backward.as_ref().expect("op nodes have a formula");
    let outs = f(&saved, grads, &needs)?;
    if !keep_graph {
        node.release_saved();
    }
    if outs.len() != node.next.len() {
        bail!(
            runtime,
            "function {} returned an incorrect number of gradients (expected {}, got {})",
            node.name,
            node.next.len(),
            outs.len()
        );
    }
    if super::is_anomaly_enabled() && super::grad_mode::is_anomaly_check_nan_enabled() {
        for (k, g) in outs.iter().enumerate() {
            if let Some(g) = g {
                if g.dtype().is_floating_point()
                    && super::no_grad(|| g.isnan()?.any(None, false)?.item())?.to_bool()
                {
                    let trace = node.trace.as_deref().unwrap_or(
                        "(no forward trace: enable anomaly mode before the forward pass)",
                    );
                    bail!(
                        runtime,
                        "Function '{}' returned nan values in its {k}th output.\nTraceback of forward call that caused the error:\n{trace}",
                        node.name
                    );
                }
            }
        }
    }
    Ok(outs)
}

/// Reduces a broadcast grad to the input's shape and casts it to the input's
/// dtype, or reports a formula that returned a wrong shape.
fn validate(node: &Node, k: usize, g: Tensor) -> Result<Tensor> {
    let meta = &node.input_meta[k];
    let g = if g.shape() != meta.shape.as_slice() {
        if crate::layout::broadcast_shapes(&meta.shape, g.shape())
            .map(|s| s == g.shape())
            .unwrap_or(false)
        {
            sum_to(&g, &meta.shape)?
        } else {
            bail!(
                runtime,
                "Function {} returned an invalid gradient at index {k} - got {:?} but expected shape compatible with {:?}",
                node.name,
                g.shape(),
                meta.shape
            );
        }
    } else {
        g
    };
    // PyTorch's engine sends each grad to its input's dtype and device.
    let g = if g.device() != meta.device { g.to_device(meta.device)? } else { g };
    if g.dtype() != meta.dtype {
        return g.to_dtype(meta.dtype);
    }
    Ok(g)
}

/// Sums `g` down to `shape` (the inverse of broadcasting `shape` to `g`'s shape).
pub(crate) fn sum_to(g: &Tensor, shape: &[usize]) -> Result<Tensor> {
    if g.shape() == shape {
        return Ok(g.clone());
    }
    let lead = g.ndim() - shape.len();
    let mut dims: Vec<i64> = (0..lead as i64).collect();
    for (i, &s) in shape.iter().enumerate() {
        if s == 1 && g.shape()[lead + i] != 1 {
            dims.push((lead + i) as i64);
        }
    }
    let r = if dims.is_empty() {
        g.clone()
    } else {
        g.sum(Some(&dims), true, None)?
    };
    let target: Vec<i64> = shape.iter().map(|&s| s as i64).collect();
    r.reshape(&target)
}

/// Hooks on a node's outputs (non-leaf `register_hook`), then `retain_grad`.
fn apply_pre_hooks(node: &Node, grads: &mut [Option<Tensor>], create_graph: bool) -> Result<()> {
    let (pre, retain) = {
        let h = node.hooks.lock().unwrap();
        if h.pre.is_empty() && h.retain.is_empty() {
            return Ok(());
        }
        (
            h.pre
                .iter()
                .map(|(_, nr, f)| (*nr, f.clone()))
                .collect::<Vec<_>>(),
            h.retain.clone(),
        )
    };
    for (nr, f) in pre {
        if let Some(g) = &grads[nr] {
            if let Some(new) = f(g)? {
                grads[nr] = Some(new);
            }
        }
    }
    for (nr, t) in retain {
        if let (Some(g), Some(t)) = (&grads[nr], t.upgrade()) {
            let t = Tensor(t);
            let g = if create_graph {
                g.clone()
            } else {
                g.detach().deep_clone()?
            };
            let new = match t.grad() {
                None => g,
                Some(old) => old.add(&g)?,
            };
            t.set_grad(Some(new))?;
        }
    }
    Ok(())
}

/// Adds `g` into `t.grad` (leaf hooks first), as `AccumulateGrad` does.
pub(crate) fn accumulate_grad(t: &Tensor, g: Tensor, create_graph: bool) -> Result<()> {
    let mut g = g;
    for h in t.leaf_hooks() {
        if let Some(new) = h(&g)? {
            g = new;
        }
    }
    match t.grad() {
        None => {
            // Keep a grad we own outright; copy one that aliases other memory.
            let g = if create_graph {
                g
            } else if g.is_contiguous() && g.storage().is_unique() && g.base().is_none() {
                g.detach()
            } else {
                g.deep_clone()?
            };
            t.set_grad(Some(g))
        }
        Some(old) if !create_graph && !old.requires_grad() => {
            crate::ops::binary::binary_(crate::BinaryOp::Add, &old, crate::Arg::T(&g))
        }
        Some(old) => t.set_grad(Some(old.add(&g)?)),
    }
}
