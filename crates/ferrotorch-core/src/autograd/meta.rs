//! Per-tensor autograd state and the `Tensor` methods that read and change it.

use super::node::{next_hook_id, Edge, Hook, Node};
use crate::{bail, Result, Tensor};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Weak};

/// Allocated only for tensors that take part in autograd.
#[derive(Default)]
pub struct AutogradMeta {
    pub(crate) grad: Option<Tensor>,
    pub(crate) grad_fn: Option<Arc<Node>>,
    pub(crate) output_nr: usize,
    /// A leaf's `AccumulateGrad` node, shared by every op that uses the leaf.
    pub(crate) accumulator: Weak<Node>,
    pub(crate) retains_grad: bool,
    /// Hooks on a leaf (a non-leaf's hooks live on its `grad_fn`).
    pub(crate) hooks: Vec<(u64, Hook)>,
}

impl Tensor {
    fn with_meta<R>(&self, f: impl FnOnce(&mut AutogradMeta) -> R) -> R {
        let mut g = self.0.autograd.lock().unwrap();
        f(g.get_or_insert_with(Default::default))
    }
    fn read_meta<R>(&self, f: impl FnOnce(&AutogradMeta) -> R) -> Option<R> {
        self.0.autograd.lock().unwrap().as_deref().map(f)
    }

    #[inline]
    pub fn requires_grad(&self) -> bool {
        self.0.requires_grad.load(Ordering::Relaxed)
    }
    pub fn set_requires_grad(&self, value: bool) -> Result<()> {
        if !self.is_leaf() {
            if value {
                return Ok(());
            }
            bail!(
                runtime,
                "you can only change requires_grad flags of leaf variables. If you want to use a computed variable in a subgraph that doesn't require differentiation use var_no_grad = var.detach()."
            );
        }
        if value && !self.dtype().is_floating_point() {
            bail!(
                runtime,
                "only Tensors of floating point dtype can require gradients"
            );
        }
        self.0.requires_grad.store(value, Ordering::Relaxed);
        Ok(())
    }
    pub fn is_leaf(&self) -> bool {
        self.grad_fn().is_none()
    }
    pub fn grad_fn(&self) -> Option<Arc<Node>> {
        if !self.requires_grad() {
            return None;
        }
        self.read_meta(|m| m.grad_fn.clone()).flatten()
    }
    pub fn output_nr(&self) -> usize {
        self.read_meta(|m| m.output_nr).unwrap_or(0)
    }
    pub fn grad(&self) -> Option<Tensor> {
        self.read_meta(|m| m.grad.clone()).flatten()
    }
    /// Assigns `.grad`, checking it fits like PyTorch does.
    pub fn set_grad(&self, grad: Option<Tensor>) -> Result<()> {
        if let Some(g) = &grad {
            if g.dtype() != self.dtype() {
                bail!(runtime, "assigned grad has data of a different type");
            }
            if g.shape() != self.shape() {
                bail!(runtime, "assigned grad has data of a different size");
            }
            if g.device() != self.device() {
                bail!(
                    runtime,
                    "assigned grad has data located on a different device"
                );
            }
        }
        self.with_meta(|m| m.grad = grad);
        Ok(())
    }
    pub fn retains_grad(&self) -> bool {
        self.read_meta(|m| m.retains_grad).unwrap_or(false)
    }
    pub fn retain_grad(&self) -> Result<()> {
        if !self.requires_grad() {
            bail!(
                runtime,
                "can't retain_grad on Tensor that has requires_grad=False"
            );
        }
        if self.is_leaf() || self.retains_grad() {
            return Ok(());
        }
        let f = self.grad_fn().expect("non-leaf");
        f.hooks
            .lock()
            .unwrap()
            .retain
            .push((self.output_nr(), Arc::downgrade(&self.0)));
        self.with_meta(|m| m.retains_grad = true);
        Ok(())
    }

    /// Registers a gradient hook; returns an id for `remove_hook`.
    pub fn register_hook(&self, hook: Hook) -> Result<u64> {
        if !self.requires_grad() {
            bail!(
                runtime,
                "cannot register a hook on a tensor that doesn't require gradient"
            );
        }
        match self.grad_fn() {
            Some(f) => Ok(f.add_hook(self.output_nr(), hook)),
            None => {
                let id = next_hook_id();
                self.with_meta(|m| m.hooks.push((id, hook)));
                Ok(id)
            }
        }
    }
    pub fn remove_hook(&self, id: u64) {
        if let Some(f) = self.grad_fn() {
            if f.remove_hook(id) {
                return;
            }
        }
        self.with_meta(|m| m.hooks.retain(|(i, _)| *i != id));
    }
    pub(crate) fn leaf_hooks(&self) -> Vec<Hook> {
        self.read_meta(|m| m.hooks.iter().map(|(_, h)| h.clone()).collect())
            .unwrap_or_default()
    }

    /// Same data and version counter, no autograd state (`Tensor.detach`).
    pub fn detach(&self) -> Tensor {
        self.alias()
    }
    /// Drops this tensor's history in place (`Tensor.detach_`).
    pub fn detach_(&self) -> Result<()> {
        if self.0.base.is_some() && self.grad_fn().is_some() {
            bail!(
                runtime,
                "Can't detach views in-place. Use detach() instead. If you are using DistributedDataParallel (DDP) for training, and gradient_as_bucket_view is set as True, gradients are views of DDP buckets, and hence detach_() cannot be called on these gradients. To fix this error, please refer to the Optimizer.zero_grad() function in torch/optim/optimizer.py as the solution."
            );
        }
        self.with_meta(|m| {
            m.grad_fn = None;
            m.output_nr = 0;
        });
        self.0.requires_grad.store(false, Ordering::Relaxed);
        Ok(())
    }

    /// Makes `node`'s output `output_nr` this tensor's history.
    pub(crate) fn set_history(&self, node: Arc<Node>, output_nr: usize) {
        self.with_meta(|m| {
            m.grad_fn = Some(node);
            m.output_nr = output_nr;
        });
        self.0.requires_grad.store(true, Ordering::Relaxed);
    }

    /// Where this tensor's gradient flows: its `grad_fn`, or for a leaf that
    /// requires grad its (shared, lazily created) `AccumulateGrad` node.
    pub(crate) fn gradient_edge(&self) -> Result<Option<Edge>> {
        if !self.requires_grad() {
            return Ok(None);
        }
        let mut g = self.0.autograd.lock().unwrap();
        let m = g.get_or_insert_with(Default::default);
        if let Some(f) = &m.grad_fn {
            return Ok(Some(Edge {
                node: f.clone(),
                input_nr: m.output_nr,
            }));
        }
        if let Some(acc) = m.accumulator.upgrade() {
            return Ok(Some(Edge {
                node: acc,
                input_nr: 0,
            }));
        }
        drop(g);
        let acc = Arc::new(Node::accumulator(self));
        self.with_meta(|m| m.accumulator = Arc::downgrade(&acc));
        Ok(Some(Edge {
            node: acc,
            input_nr: 0,
        }))
    }
    /// The existing edge, without creating an accumulator (for `autograd.grad` inputs).
    pub(crate) fn existing_edge(&self) -> Option<Edge> {
        self.read_meta(|m| match &m.grad_fn {
            Some(f) => Some(Edge {
                node: f.clone(),
                input_nr: m.output_nr,
            }),
            None => m.accumulator.upgrade().map(|a| Edge {
                node: a,
                input_nr: 0,
            }),
        })
        .flatten()
    }
    /// An alias of the data whose history is `node`'s output `output_nr`.
    pub(crate) fn alias_with_history(&self, node: Arc<Node>, output_nr: usize) -> Tensor {
        let t = self.alias();
        t.set_history(node, output_nr);
        t
    }
}
