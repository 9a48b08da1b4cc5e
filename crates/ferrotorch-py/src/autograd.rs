//! `torch.autograd` bindings: graph nodes, backward/grad, grad modes,
//! hooks, custom Python functions, gradcheck and anomaly mode.

use crate::errors::{stash, IntoPy};
use crate::tensor::PyTensor;
use ferrotorch_core::autograd::{self as ag, CheckOptions, Node};
use ferrotorch_core::Tensor;
use pyo3::prelude::*;
use pyo3::types::{PyList, PyTuple};
use std::sync::Arc;

/// A `grad_fn` object: `<MulBackward0 object at 0x...>`.
#[pyclass(name = "Node", module = "ferrotorch.autograd.graph", frozen)]
pub struct PyNode {
    pub node: Arc<Node>,
}

#[pymethods]
impl PyNode {
    fn name(&self) -> String {
        self.node.name().to_string()
    }
    #[getter]
    fn next_functions<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        let items = self
            .node
            .next_edges()
            .iter()
            .map(|e| -> PyResult<Py<PyAny>> {
                Ok(match e {
                    Some(e) => (Py::new(py, PyNode { node: e.node.clone() })?, e.input_nr).into_pyobject(py)?.into_any().unbind(),
                    None => (py.None(), 0).into_pyobject(py)?.into_any().unbind(),
                })
            })
            .collect::<PyResult<Vec<_>>>()?;
        PyTuple::new(py, items)
    }
    /// The leaf of an `AccumulateGrad` node.
    #[getter]
    fn variable(&self, py: Python<'_>) -> PyResult<Option<Py<PyTensor>>> {
        self.node.variable().map(|t| Py::new(py, PyTensor::new(t.clone()))).transpose()
    }
    fn __repr__(&self) -> String {
        format!("<{} object at {:#x}>", self.node.name(), Arc::as_ptr(&self.node) as usize)
    }
    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        other.cast::<PyNode>().map(|o| Arc::ptr_eq(&self.node, &o.get().node)).unwrap_or(false)
    }
    fn __hash__(&self) -> isize {
        Arc::as_ptr(&self.node) as isize
    }
}

fn tensors(list: &Bound<'_, PyAny>) -> PyResult<Vec<Tensor>> {
    list.try_iter()?.map(|o| crate::convert::tensor_arg(&o?, "autograd")).collect()
}

fn opt_tensors(list: &Bound<'_, PyAny>) -> PyResult<Vec<Option<Tensor>>> {
    list.try_iter()?
        .map(|o| {
            let o = o?;
            if o.is_none() {
                Ok(None)
            } else {
                crate::convert::tensor_arg(&o, "autograd").map(Some)
            }
        })
        .collect()
}

#[pyfunction]
#[pyo3(signature = (tensors, grad_tensors, retain_graph, create_graph, inputs))]
pub fn _run_backward(
    tensors: &Bound<'_, PyAny>,
    grad_tensors: &Bound<'_, PyAny>,
    retain_graph: Option<bool>,
    create_graph: bool,
    inputs: Option<&Bound<'_, PyAny>>,
) -> PyResult<()> {
    let roots = self::tensors(tensors)?;
    let grads = opt_tensors(grad_tensors)?;
    let inputs = inputs.map(self::tensors).transpose()?;
    // The engine runs without the GIL; Python hooks and Functions re-acquire it.
    tensors.py().detach(|| ag::backward(&roots, &grads, retain_graph, create_graph, inputs.as_deref())).py()
}

#[pyfunction]
#[pyo3(signature = (outputs, inputs, grad_outputs, retain_graph, create_graph, allow_unused))]
pub fn _run_grad(
    py: Python<'_>,
    outputs: &Bound<'_, PyAny>,
    inputs: &Bound<'_, PyAny>,
    grad_outputs: &Bound<'_, PyAny>,
    retain_graph: Option<bool>,
    create_graph: bool,
    allow_unused: bool,
) -> PyResult<Vec<Option<Py<PyTensor>>>> {
    let outs = tensors(outputs)?;
    let ins = tensors(inputs)?;
    let gos = opt_tensors(grad_outputs)?;
    let r = py.detach(|| ag::grad(&outs, &ins, &gos, retain_graph, create_graph, allow_unused)).py()?;
    r.into_iter().map(|g| g.map(|g| Py::new(py, PyTensor::new(g))).transpose()).collect()
}

#[pyfunction]
pub fn is_grad_enabled() -> bool {
    ag::is_grad_enabled()
}
#[pyfunction]
pub fn _set_grad_enabled(enabled: bool) -> bool {
    ag::set_grad_enabled(enabled)
}
#[pyfunction]
pub fn is_inference_mode_enabled() -> bool {
    ag::is_inference_mode_enabled()
}
#[pyfunction]
pub fn _set_inference_mode(enabled: bool) -> bool {
    ag::set_inference_mode(enabled)
}
#[pyfunction]
pub fn is_anomaly_enabled() -> bool {
    ag::is_anomaly_enabled()
}
#[pyfunction]
pub fn is_anomaly_check_nan_enabled() -> bool {
    ag::is_anomaly_check_nan_enabled()
}
#[pyfunction]
pub fn _set_anomaly_enabled(enabled: bool, check_nan: bool) {
    ag::set_anomaly_enabled(enabled, check_nan)
}

/// Anomaly mode's record of where a node was created: the Python stack.
fn python_stack() -> String {
    Python::attach(|py| {
        py.import("traceback")
            .and_then(|tb| tb.call_method0("format_stack"))
            .and_then(|l| l.extract::<Vec<String>>())
            .map(|v| v.concat())
            .unwrap_or_default()
    })
}

pub fn install_trace_provider() {
    ag::set_trace_provider(python_stack);
}

/// Wraps a Python callable `f(grad) -> Tensor | None` as a tensor hook.
fn py_hook(f: Py<PyAny>) -> ag::Hook {
    Arc::new(move |g: &Tensor| {
        Python::attach(|py| {
            let r = f.call1(py, (PyTensor::new(g.clone()),)).map_err(stash)?;
            if r.is_none(py) {
                return Ok(None);
            }
            crate::convert::tensor_arg(r.bind(py), "hook").map(Some).map_err(stash)
        })
    })
}

#[pymethods]
impl PyTensor {
    #[getter]
    fn grad(&self, py: Python<'_>) -> PyResult<Option<Py<PyTensor>>> {
        self.t.grad().map(|g| Py::new(py, PyTensor::new(g))).transpose()
    }
    #[setter]
    fn set_grad(&self, g: Option<&Bound<'_, PyAny>>) -> PyResult<()> {
        let g = match g {
            Some(g) if !g.is_none() => Some(crate::convert::tensor_arg(g, "grad")?),
            _ => None,
        };
        self.t.set_grad(g).py()
    }
    #[getter]
    fn grad_fn(&self) -> Option<PyNode> {
        self.t.grad_fn().map(|node| PyNode { node })
    }
    #[getter]
    fn is_leaf(&self) -> bool {
        self.t.is_leaf()
    }
    #[getter]
    fn retains_grad(&self) -> bool {
        self.t.retains_grad()
    }
    #[getter]
    fn _version(&self) -> u64 {
        self.t.version()
    }
    #[getter]
    fn _base(&self, py: Python<'_>) -> PyResult<Option<Py<PyTensor>>> {
        self.t.base().map(|b| Py::new(py, PyTensor::new(b.clone()))).transpose()
    }
    fn retain_grad(&self) -> PyResult<()> {
        self.t.retain_grad().py()
    }
    #[pyo3(signature = (gradient=None, retain_graph=None, create_graph=false, inputs=None))]
    fn backward(
        &self,
        py: Python<'_>,
        gradient: Option<&Bound<'_, PyAny>>,
        retain_graph: Option<bool>,
        create_graph: bool,
        inputs: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<()> {
        let g = match gradient {
            Some(g) if !g.is_none() => Some(crate::convert::tensor_arg(g, "backward")?),
            _ => None,
        };
        let inputs = match inputs {
            None => None,
            Some(i) if i.cast::<PyTensor>().is_ok() => Some(vec![i.cast::<PyTensor>()?.get().t.clone()]),
            Some(i) => Some(tensors(i)?),
        };
        let root = [self.t.clone()];
        py.detach(|| ag::backward(&root, &[g], retain_graph, create_graph, inputs.as_deref())).py()
    }
    fn _register_hook(&self, hook: Py<PyAny>) -> PyResult<u64> {
        self.t.register_hook(py_hook(hook)).py()
    }
    fn _remove_hook(&self, id: u64) {
        self.t.remove_hook(id)
    }
    /// `fill_`/`zero_` write through `copy_`, so they update autograd history.
    fn fill_<'py>(slf: Bound<'py, Self>, value: &Bound<'py, PyAny>) -> PyResult<Bound<'py, Self>> {
        let t = &slf.get().t;
        let v = match crate::convert::scalar(value) {
            Some(s) => Tensor::scalar(s, t.dtype()),
            None => {
                let v = crate::convert::tensor_arg(value, "fill_")?;
                if v.ndim() != 0 {
                    return Err(pyo3::exceptions::PyRuntimeError::new_err(format!(
                        "fill_ only supports 0-dimension value tensor but got tensor with {} dimensions.",
                        v.ndim()
                    )));
                }
                v
            }
        };
        t.copy_(&v).py()?;
        Ok(slf)
    }
    fn zero_(slf: Bound<'_, Self>) -> PyResult<Bound<'_, Self>> {
        let t = &slf.get().t;
        t.copy_(&Tensor::zeros(&[], t.dtype())).py()?;
        Ok(slf)
    }
    fn detach_(slf: Bound<'_, Self>) -> PyResult<Bound<'_, Self>> {
        slf.get().t.detach_().py()?;
        Ok(slf)
    }
}

fn py_tensor_list<'py>(py: Python<'py>, ts: &[Tensor]) -> PyResult<Bound<'py, PyList>> {
    PyList::new(py, ts.iter().map(|t| PyTensor::new(t.clone())))
}

/// Records the node of a Python `autograd.Function` call. The node keeps the
/// tensors of `ctx.save_for_backward` (so they are version-checked and freed
/// like any saved tensor, and an output saved by its own node forms no
/// cycle); `backward(saved, grads)` gets them with one grad (or None) per
/// output and returns one grad per input.
#[pyfunction]
pub fn _record_function(
    name: String,
    backward: Py<PyAny>,
    inputs: &Bound<'_, PyAny>,
    outputs: &Bound<'_, PyAny>,
    saved: &Bound<'_, PyAny>,
) -> PyResult<()> {
    let ins = tensors(inputs)?;
    let outs = tensors(outputs)?;
    let saved = tensors(saved)?;
    let n_in = ins.len();
    let f = move |saved: &[Tensor], grads: &[Option<Tensor>], _: &[bool]| -> ferrotorch_core::Result<Vec<Option<Tensor>>> {
        Python::attach(|py| {
            let saved = py_tensor_list(py, saved).map_err(stash)?;
            let args = grads
                .iter()
                .map(|g| -> PyResult<Py<PyAny>> {
                    Ok(match g {
                        Some(g) => Py::new(py, PyTensor::new(g.clone()))?.into_any(),
                        None => py.None(),
                    })
                })
                .collect::<PyResult<Vec<_>>>()
                .map_err(stash)?;
            let r = backward.call1(py, (saved, PyList::new(py, args).map_err(stash)?)).map_err(stash)?;
            let r = opt_tensors(r.bind(py)).map_err(stash)?;
            if r.len() != n_in {
                ferrotorch_core::bail!(runtime, "function backward returned an incorrect number of gradients (expected {}, got {})", n_in, r.len());
            }
            Ok(r)
        })
    };
    let in_refs: Vec<&Tensor> = ins.iter().collect();
    let out_refs: Vec<&Tensor> = outs.iter().collect();
    ag::record_function(name, &in_refs, &out_refs, &saved, Box::new(f)).py()
}

/// Adapts a Python function of tensors to the core checker's signature.
fn check_fn<'a, 'py>(py_f: &'a Bound<'py, PyAny>) -> impl Fn(&[Tensor]) -> ferrotorch_core::Result<Vec<Tensor>> + 'a {
    move |xs: &[Tensor]| {
        let py = py_f.py();
        let args = xs.iter().map(|t| Py::new(py, PyTensor::new(t.clone()))).collect::<PyResult<Vec<_>>>().map_err(stash)?;
        let out = py_f.call1(PyTuple::new(py, args).map_err(stash)?).map_err(stash)?;
        if let Ok(t) = out.cast::<PyTensor>() {
            return Ok(vec![t.get().t.clone()]);
        }
        tensors(&out).map_err(stash)
    }
}

#[pyfunction]
#[pyo3(signature = (func, inputs, eps, atol, rtol))]
pub fn _gradcheck(func: &Bound<'_, PyAny>, inputs: &Bound<'_, PyAny>, eps: f64, atol: f64, rtol: f64) -> PyResult<()> {
    let xs = tensors(inputs)?;
    ag::gradcheck(&check_fn(func), &xs, CheckOptions { eps, atol, rtol }).py()
}

#[pyfunction]
#[pyo3(signature = (func, inputs, grad_outputs, eps, atol, rtol))]
pub fn _gradgradcheck(
    func: &Bound<'_, PyAny>,
    inputs: &Bound<'_, PyAny>,
    grad_outputs: Option<&Bound<'_, PyAny>>,
    eps: f64,
    atol: f64,
    rtol: f64,
) -> PyResult<()> {
    let xs = tensors(inputs)?;
    let gos = grad_outputs.map(tensors).transpose()?;
    ag::gradgradcheck(&check_fn(func), &xs, gos.as_deref(), CheckOptions { eps, atol, rtol }).py()
}
