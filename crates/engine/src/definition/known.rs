//! The codes a definition declares, gathered while it is loaded, which the rest of the file (the
//! loader's sections and each guard kind's conversion) may name.

use super::FieldType;
use std::collections::{HashMap, HashSet};

/// The codes the definition declares, which the rest of the file may name.
pub(crate) struct Known {
    pub(crate) stages: HashSet<String>,
    pub(crate) roles: HashSet<String>,
    pub(crate) specification_kinds: HashSet<String>,
    pub(crate) project_flags: HashSet<String>,
    pub(crate) artifact_kinds: HashSet<String>,
    pub(crate) fields: HashMap<String, FieldType>,
    pub(crate) motions: HashSet<String>,
    pub(crate) sign_offs: HashSet<String>,
    pub(crate) actions: HashSet<String>,
}
