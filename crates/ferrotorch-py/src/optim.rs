//! Binding for the fused optimizer updates (core: optim.rs). `torch.optim`
//! in Python keeps param_groups/state and calls this once per group.

use crate::errors::IntoPy;
use crate::tensor::PyTensor;
use ferrotorch_core::optim::{self, Algo, Common};
use ferrotorch_core::Tensor;
use pyo3::exceptions::{PyKeyError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyDict;

fn get<'py, T: FromPyObjectOwned<'py>>(hp: &Bound<'py, PyDict>, key: &str) -> PyResult<T> {
    hp.get_item(key)?
        .ok_or_else(|| PyKeyError::new_err(format!("optimizer hyperparameter '{key}' missing")))?
        .extract::<T>()
        .map_err(Into::into)
}

fn betas(hp: &Bound<'_, PyDict>) -> PyResult<(f64, f64)> {
    get(hp, "betas")
}

fn algo(name: &str, hp: &Bound<'_, PyDict>) -> PyResult<Algo> {
    Ok(match name {
        "sgd" => Algo::Sgd { momentum: get(hp, "momentum")?, dampening: get(hp, "dampening")?, nesterov: get(hp, "nesterov")? },
        "adam" | "adamw" => {
            let (beta1, beta2) = betas(hp)?;
            Algo::Adam { beta1, beta2, eps: get(hp, "eps")?, amsgrad: get(hp, "amsgrad")?, decoupled: name == "adamw" }
        }
        "rmsprop" => Algo::RmsProp { alpha: get(hp, "alpha")?, eps: get(hp, "eps")?, momentum: get(hp, "momentum")?, centered: get(hp, "centered")? },
        "adagrad" => Algo::Adagrad { lr_decay: get(hp, "lr_decay")?, eps: get(hp, "eps")? },
        "adadelta" => Algo::Adadelta { rho: get(hp, "rho")?, eps: get(hp, "eps")? },
        "adamax" => {
            let (beta1, beta2) = betas(hp)?;
            Algo::Adamax { beta1, beta2, eps: get(hp, "eps")? }
        }
        "nadam" => {
            let (beta1, beta2) = betas(hp)?;
            Algo::NAdam { beta1, beta2, eps: get(hp, "eps")?, momentum_decay: get(hp, "momentum_decay")?, decoupled: get(hp, "decoupled_weight_decay")? }
        }
        "radam" => {
            let (beta1, beta2) = betas(hp)?;
            Algo::RAdam { beta1, beta2, eps: get(hp, "eps")?, decoupled: get(hp, "decoupled_weight_decay")? }
        }
        _ => return Err(PyValueError::new_err(format!("unknown optimizer '{name}'"))),
    })
}

fn tensors(v: &[Bound<'_, PyTensor>]) -> Vec<Tensor> {
    v.iter().map(|t| t.get().t.clone()).collect()
}

/// One fused update of a parameter group: `hp` holds the group's
/// hyperparameters (lr, weight_decay, maximize and the rule's own).
#[pyfunction]
pub fn _optimizer_step(
    py: Python<'_>,
    name: &str,
    hp: &Bound<'_, PyDict>,
    params: Vec<Bound<'_, PyTensor>>,
    grads: Vec<Bound<'_, PyTensor>>,
    states: Vec<Vec<Bound<'_, PyTensor>>>,
    first: Vec<bool>,
) -> PyResult<()> {
    let a = algo(name, hp)?;
    let c = Common { lr: get(hp, "lr")?, weight_decay: get(hp, "weight_decay")?, maximize: get(hp, "maximize")? };
    let (p, g) = (tensors(&params), tensors(&grads));
    let s: Vec<Vec<Tensor>> = states.iter().map(|v| tensors(v)).collect();
    py.detach(|| optim::step(&a, &c, &p, &g, &s, &first)).py()
}
