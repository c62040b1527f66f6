//! Checked access to state-dict tensors, remembering which keys were used.

use std::cell::RefCell;
use std::collections::BTreeSet;

use super::error::GraphError;
use crate::models::weights::{StateDict, Tensor};

/// A view of a state dict that checks shapes and records which keys were read.
pub(crate) struct Weights<'a> {
    sd: &'a StateDict,
    used: RefCell<BTreeSet<&'a str>>,
}

impl<'a> Weights<'a> {
    pub(crate) fn new(sd: &'a StateDict) -> Self {
        Self {
            sd,
            used: RefCell::new(BTreeSet::new()),
        }
    }

    /// Fetches `name`, checks that its shape matches `expected` (`None` = any size) and that its
    /// data fills the shape, and marks it used.
    pub(crate) fn get(
        &self,
        name: &str,
        expected: &[Option<usize>],
    ) -> Result<&'a Tensor, GraphError> {
        let (key, t) = self
            .sd
            .get_key_value(name)
            .ok_or_else(|| GraphError::MissingTensor(name.to_owned()))?;
        let fits = t.shape.len() == expected.len()
            && t.shape
                .iter()
                .zip(expected)
                .all(|(&a, e)| e.is_none_or(|e| e == a));
        if !fits {
            let want: Vec<String> = expected
                .iter()
                .map(|e| e.map_or_else(|| "_".to_owned(), |v| v.to_string()))
                .collect();
            return Err(GraphError::BadShape {
                name: name.to_owned(),
                expected: format!("[{}]", want.join(", ")),
                actual: t.shape.clone(),
            });
        }
        let numel = t
            .shape
            .iter()
            .try_fold(1usize, |acc, &d| acc.checked_mul(d));
        if numel != Some(t.data.len()) {
            return Err(GraphError::BadData {
                name: name.to_owned(),
                shape: t.shape.clone(),
                numel: numel.unwrap_or(usize::MAX),
                len: t.data.len(),
            });
        }
        self.used.borrow_mut().insert(key.as_str());
        Ok(t)
    }

    /// Fails on the first key that was never read and does not start with one of `ignored`.
    pub(crate) fn check_all_used(&self, ignored: &[&str]) -> Result<(), GraphError> {
        let used = self.used.borrow();
        match self
            .sd
            .keys()
            .find(|k| !used.contains(k.as_str()) && !ignored.iter().any(|p| k.starts_with(p)))
        {
            Some(k) => Err(GraphError::UnexpectedTensor(k.clone())),
            None => Ok(()),
        }
    }
}
