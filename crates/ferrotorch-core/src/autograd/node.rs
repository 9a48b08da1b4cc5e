//! Graph nodes: one per recorded op (its backward formula, saved tensors and
//! edges to the nodes of its inputs), plus `AccumulateGrad` sinks for leaves.

use crate::{bail, DType, Result, Tensor};
use std::borrow::Cow;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};

/// A backward formula: `(saved tensors, grads of the outputs, which inputs
/// need a grad) -> grads of the inputs` (one entry per input, `None` = zero).
pub type BackwardFn =
    dyn Fn(&[Tensor], &[Option<Tensor>], &[bool]) -> Result<Vec<Option<Tensor>>> + Send + Sync;

/// A tensor hook: may replace the gradient (`Some`) or observe it (`None`).
pub type Hook = Arc<dyn Fn(&Tensor) -> Result<Option<Tensor>> + Send + Sync>;

#[derive(Clone)]
pub struct Edge {
    pub node: Arc<Node>,
    pub input_nr: usize,
}

/// Shape and dtype of an input, to validate and reduce the grads sent to it.
pub(crate) struct InputMeta {
    pub shape: Vec<usize>,
    pub dtype: DType,
    pub device: crate::Device,
}

/// A tensor saved for backward, stored so that it neither forms a reference
/// cycle with its node nor keeps the graph alive through tensor metadata.
pub(crate) enum Saved {
    /// Tensors without history (leaves, constants): kept as they are.
    Plain { t: Tensor, version: u64 },
    /// Tensors with history: a data alias plus a weak link to the producing node,
    /// rebuilt into a tensor with history only when `create_graph` needs it.
    Tracked {
        data: Tensor,
        version: u64,
        grad_fn: Weak<Node>,
        output_nr: usize,
        name: Cow<'static, str>,
    },
}

impl Saved {
    pub(crate) fn new(t: &Tensor) -> Saved {
        match t.grad_fn() {
            None => Saved::Plain {
                t: t.clone(),
                version: t.version(),
            },
            Some(f) => Saved::Tracked {
                data: t.alias(),
                version: t.version(),
                output_nr: t.output_nr(),
                name: f.name.clone(),
                grad_fn: Arc::downgrade(&f),
            },
        }
    }
    /// An output of the node that saves it (its history is the node itself).
    pub(crate) fn output(t: &Tensor, node: &Arc<Node>, output_nr: usize) -> Saved {
        Saved::Tracked {
            data: t.alias(),
            version: t.version(),
            output_nr,
            name: node.name.clone(),
            grad_fn: Arc::downgrade(node),
        }
    }

    fn unpack(&self) -> Result<Tensor> {
        let (t, version, what) = match self {
            Saved::Plain { t, version } => (t, *version, String::new()),
            Saved::Tracked {
                data,
                version,
                output_nr,
                name,
                ..
            } => (
                data,
                *version,
                format!(", which is output {output_nr} of {name},"),
            ),
        };
        if t.version() != version {
            bail!(
                runtime,
                "one of the variables needed for gradient computation has been modified by an inplace operation: [torch.{}Tensor {}]{} is at version {}; expected version {} instead. Hint: enable anomaly detection to find the operation that failed to compute its gradient, with torch.autograd.set_detect_anomaly(True).",
                t.dtype().legacy_name(),
                crate::layout::fmt_shape(t.shape()).trim_start_matches("torch.Size(").trim_end_matches(')'),
                what,
                t.version(),
                version
            );
        }
        Ok(match self {
            Saved::Plain { t, .. } => t.clone(),
            Saved::Tracked {
                data,
                grad_fn,
                output_nr,
                ..
            } => match grad_fn.upgrade() {
                // Higher-order grads differentiate through the saved value's history.
                Some(f) if super::is_grad_enabled() => data.alias_with_history(f, *output_nr),
                _ => data.clone(),
            },
        })
    }
}

/// Hooks that run on the grads arriving at a node's outputs.
#[derive(Default)]
pub(crate) struct NodeHooks {
    /// (hook id, output_nr, hook): `Tensor.register_hook` on a non-leaf.
    pub pre: Vec<(u64, usize, Hook)>,
    /// Non-leaf tensors that asked for `.grad` (`retain_grad`).
    pub retain: Vec<(usize, Weak<crate::tensor::TensorImpl>)>,
}

pub struct Node {
    pub(crate) name: Cow<'static, str>,
    pub(crate) next: Vec<Option<Edge>>,
    pub(crate) input_meta: Vec<InputMeta>,
    /// `None` once released after a backward pass without `retain_graph`.
    pub(crate) saved: Mutex<Option<Vec<Saved>>>,
    pub(crate) has_saved: bool,
    pub(crate) backward: Option<Box<BackwardFn>>,
    /// The leaf an `AccumulateGrad` node writes `.grad` into.
    pub(crate) leaf: Option<Tensor>,
    pub(crate) num_outputs: usize,
    /// Creation order: the engine runs later nodes first, like PyTorch.
    pub(crate) seq: u64,
    pub(crate) hooks: Mutex<NodeHooks>,
    /// Anomaly mode: the stack of the forward call that created this node.
    pub(crate) trace: Option<String>,
}

static SEQ: AtomicU64 = AtomicU64::new(0);

impl Node {
    pub fn name(&self) -> &str {
        &self.name
    }
    pub fn next_edges(&self) -> &[Option<Edge>] {
        &self.next
    }
    pub fn num_outputs(&self) -> usize {
        self.num_outputs
    }
    /// The leaf of an `AccumulateGrad` node (`grad_fn.next_functions[0][0].variable`).
    pub fn variable(&self) -> Option<&Tensor> {
        self.leaf.as_ref()
    }
    pub(crate) fn accumulator(leaf: &Tensor) -> Node {
        Node {
            name: Cow::Borrowed("AccumulateGrad"),
            next: Vec::new(),
            input_meta: Vec::new(),
            saved: Mutex::new(None),
            has_saved: false,
            backward: None,
            leaf: Some(leaf.clone()),
            num_outputs: 1,
            seq: u64::MAX,
            hooks: Mutex::default(),
            trace: None,
        }
    }

    /// Saved tensors, version-checked, or PyTorch's error after release.
    pub(crate) fn unpack_saved(&self) -> Result<Vec<Tensor>> {
        let guard = self.saved.lock().unwrap();
        match guard.as_ref() {
            Some(v) => v.iter().map(Saved::unpack).collect(),
            None if self.has_saved => bail!(
                runtime,
                "Trying to backward through the graph a second time (or directly access saved tensors after they have already been freed). Saved intermediate values of the graph are freed when you call .backward() or autograd.grad(). Specify retain_graph=True if you need to backward through the graph a second time or if you need to access saved tensors after calling backward."
            ),
            None => Ok(Vec::new()),
        }
    }
    pub(crate) fn release_saved(&self) {
        *self.saved.lock().unwrap() = None;
    }

    pub fn add_hook(&self, output_nr: usize, hook: Hook) -> u64 {
        let id = next_hook_id();
        self.hooks.lock().unwrap().pre.push((id, output_nr, hook));
        id
    }
    pub fn remove_hook(&self, id: u64) -> bool {
        let mut h = self.hooks.lock().unwrap();
        let n = h.pre.len();
        h.pre.retain(|(i, _, _)| *i != id);
        h.pre.len() != n
    }
}

pub(crate) fn next_hook_id() -> u64 {
    static ID: AtomicU64 = AtomicU64::new(1);
    ID.fetch_add(1, Ordering::Relaxed)
}

impl Drop for Node {
    /// Frees a long chain of nodes iteratively: the default recursive drop
    /// would overflow the stack on a 100k-op graph.
    fn drop(&mut self) {
        let mut stack: Vec<Arc<Node>> = self.next.drain(..).flatten().map(|e| e.node).collect();
        while let Some(n) = stack.pop() {
            if let Some(mut inner) = Arc::into_inner(n) {
                stack.extend(inner.next.drain(..).flatten().map(|e| e.node));
            }
        }
    }
}

/// Something saved for backward: a tensor, or an output of the op itself.
pub(crate) enum Save {
    T(Tensor),
    Out(usize),
}

/// True when an op on `inputs` must be recorded.
#[inline]
pub fn needs_grad(inputs: &[&Tensor]) -> bool {
    inputs.iter().any(|t| t.requires_grad()) && super::is_grad_enabled()
}

/// Records a node named `name` whose inputs are `inputs` and whose outputs
/// are `outputs` (already computed with grad mode off). Outputs that cannot
/// carry a grad (integer/bool) are left without history.
pub(crate) fn record(
    name: &'static str,
    inputs: &[&Tensor],
    outputs: &[&Tensor],
    save: Vec<Save>,
    f: impl Fn(&[Tensor], &[Option<Tensor>], &[bool]) -> Result<Vec<Option<Tensor>>>
        + Send
        + Sync
        + 'static,
) -> Result<()> {
    record_named(Cow::Borrowed(name), inputs, outputs, save, Box::new(f))
}

fn record_named(
    name: Cow<'static, str>,
    inputs: &[&Tensor],
    outputs: &[&Tensor],
    save: Vec<Save>,
    f: Box<BackwardFn>,
) -> Result<()> {
    let next: Vec<Option<Edge>> = inputs
        .iter()
        .map(|t| t.gradient_edge())
        .collect::<Result<_>>()?;
    let input_meta = inputs
        .iter()
        .map(|t| InputMeta {
            shape: t.shape().to_vec(),
            dtype: t.dtype(),
            device: t.device(),
        })
        .collect();
    let has_saved = !save.is_empty();
    let node = Arc::new(Node {
        name,
        next,
        input_meta,
        saved: Mutex::new(None),
        has_saved,
        backward: Some(f),
        leaf: None,
        num_outputs: outputs.len(),
        seq: SEQ.fetch_add(1, Ordering::Relaxed),
        hooks: Mutex::default(),
        trace: super::grad_mode::capture_trace(),
    });
    if has_saved {
        let saved = save
            .into_iter()
            .map(|s| match s {
                Save::T(t) => Saved::new(&t),
                Save::Out(i) => Saved::output(outputs[i], &node, i),
            })
            .collect();
        *node.saved.lock().unwrap() = Some(saved);
    }
    for (i, out) in outputs.iter().enumerate() {
        if out.dtype().is_floating_point() {
            out.set_history(node.clone(), i);
        }
    }
    Ok(())
}

/// Records a node for a user-defined function (Python `autograd.Function`):
/// `f` receives `saved` (version-checked, freed after backward like any
/// node's) and the output grads, and returns one grad per input.
pub fn record_function(name: String, inputs: &[&Tensor], outputs: &[&Tensor], saved: &[Tensor], f: Box<BackwardFn>) -> Result<()> {
    let save = saved
        .iter()
        .map(|t| match outputs.iter().position(|o| o.same_tensor(t)) {
            Some(i) => Save::Out(i),
            None => Save::T(t.clone()),
        })
        .collect();
    record_named(Cow::Owned(name), inputs, outputs, save, f)
}

/// Runs a single-output op, recording `name` when an input needs grad. The
/// forward runs with grad mode off so nested ops record nothing; `save` picks
/// what backward needs and `f` maps the output grad to the input grads.
pub(crate) fn op(
    name: &'static str,
    inputs: &[&Tensor],
    forward: impl FnOnce() -> Result<Tensor>,
    save: impl FnOnce() -> Vec<Save>,
    f: impl Fn(&[Tensor], &Tensor, &[bool]) -> Result<Vec<Option<Tensor>>> + Send + Sync + 'static,
) -> Result<Tensor> {
    if !needs_grad(inputs) {
        return forward();
    }
    let out = super::no_grad(forward)?;
    record(name, inputs, &[&out], save(), move |s, g, n| {
        f(
            s,
            g[0].as_ref().expect("engine skips nodes without grads"),
            n,
        )
    })?;
    Ok(out)
}
