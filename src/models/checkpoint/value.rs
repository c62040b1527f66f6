//! The values the restricted pickle reader can produce. Containers are owned trees that
//! record their nesting depth and node count, so copies (memo reads) and drops stay bounded.

/// Element type of a torch storage.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DType {
    /// IEEE binary32.
    F32,
    /// IEEE binary16.
    F16,
    /// bfloat16.
    BF16,
}

impl DType {
    /// Bytes per element.
    pub fn size(self) -> u64 {
        match self {
            DType::F32 => 4,
            DType::F16 | DType::BF16 => 2,
        }
    }
}

/// The only callables and classes a checkpoint may name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Global {
    /// `collections.OrderedDict`.
    OrderedDict,
    /// `torch._utils._rebuild_tensor_v2`.
    RebuildTensorV2,
    /// `torch._utils._rebuild_parameter`.
    RebuildParameter,
    /// `torch.FloatStorage` and friends.
    Storage(DType),
}

impl Global {
    /// Maps `module.name` onto the allowed set, or `None` when it is not allowed.
    pub fn lookup(module: &str, name: &str) -> Option<Self> {
        Some(match (module, name) {
            ("collections", "OrderedDict") => Global::OrderedDict,
            ("torch._utils", "_rebuild_tensor_v2") => Global::RebuildTensorV2,
            ("torch._utils", "_rebuild_parameter") => Global::RebuildParameter,
            ("torch", "FloatStorage") => Global::Storage(DType::F32),
            ("torch", "HalfStorage") => Global::Storage(DType::F16),
            ("torch", "BFloat16Storage") => Global::Storage(DType::BF16),
            _ => return None,
        })
    }
}

/// A storage named by a persistent id: `archive/data/<key>` with `numel` elements.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StorageRef {
    /// Element type.
    pub dtype: DType,
    /// Entry key under `data/`.
    pub key: String,
    /// Declared element count.
    pub numel: u64,
}

/// A tensor view onto a storage, as described by `_rebuild_tensor_v2`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TensorRef {
    /// The storage.
    pub storage: StorageRef,
    /// Element offset into the storage.
    pub offset: u64,
    /// Sizes per dimension.
    pub shape: Vec<u64>,
    /// Strides per dimension, in elements.
    pub stride: Vec<u64>,
}

/// A container's children with its cached depth and node count.
#[derive(Debug, Clone, PartialEq)]
pub struct Seq<T> {
    /// The children.
    pub items: Vec<T>,
    depth: u32,
    nodes: u64,
}

/// Maximum nesting depth of containers.
pub const MAX_DEPTH: u32 = 64;

/// Builds a tuple or list from children, enforcing [`MAX_DEPTH`].
pub fn seq(items: Vec<Value>) -> Option<Seq<Value>> {
    let depth = 1 + items.iter().map(Value::depth).max().unwrap_or(0);
    let nodes = 1 + items.iter().map(Value::nodes).sum::<u64>();
    (depth <= MAX_DEPTH).then_some(Seq {
        items,
        depth,
        nodes,
    })
}

/// Appends children to a tuple or list, enforcing [`MAX_DEPTH`]; returns false, leaving `s` as it
/// was, when the result would nest too deeply. Costs the new children only, so repeated appends
/// stay linear-time.
pub fn seq_extend(s: &mut Seq<Value>, items: Vec<Value>) -> bool {
    let depth = s
        .depth
        .max(1 + items.iter().map(Value::depth).max().unwrap_or(0));
    if depth > MAX_DEPTH {
        return false;
    }
    s.depth = depth;
    s.nodes += items.iter().map(Value::nodes).sum::<u64>();
    s.items.extend(items);
    true
}

/// An empty tuple or list.
pub fn empty_seq() -> Seq<Value> {
    Seq {
        items: Vec::new(),
        depth: 1,
        nodes: 1,
    }
}

/// An empty dictionary.
pub fn empty_dict() -> Seq<(Value, Value)> {
    Seq {
        items: Vec::new(),
        depth: 1,
        nodes: 1,
    }
}

/// Appends a key/value pair, enforcing [`MAX_DEPTH`]. Returns false when the result would nest
/// too deeply. Duplicate keys are kept (lookups see the last one, as Python would); callers that
/// build a state_dict reject duplicates themselves. Appending keeps insertion linear-time.
pub fn dict_insert(d: &mut Seq<(Value, Value)>, k: Value, v: Value) -> bool {
    let depth = d.depth.max(1 + k.depth().max(v.depth()));
    if depth > MAX_DEPTH {
        return false;
    }
    d.depth = depth;
    d.nodes += k.nodes() + v.nodes();
    d.items.push((k, v));
    true
}

/// A value on the pickle stack.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// `None`.
    None,
    /// `True`/`False`.
    Bool(bool),
    /// An integer that fits in `i64`.
    Int(i64),
    /// A text string.
    Str(String),
    /// A tuple.
    Tuple(Seq<Value>),
    /// A list.
    List(Seq<Value>),
    /// A dict or OrderedDict, in insertion order.
    Dict(Seq<(Value, Value)>),
    /// An allowed global.
    Global(Global),
    /// A storage from a persistent id.
    Storage(StorageRef),
    /// A tensor view.
    Tensor(TensorRef),
}

impl Value {
    /// Container nesting depth (0 for scalars).
    pub fn depth(&self) -> u32 {
        match self {
            Value::Tuple(s) | Value::List(s) => s.depth,
            Value::Dict(d) => d.depth,
            _ => 0,
        }
    }

    /// What a copy of this value costs: one per node it creates, plus one per 16 bytes of text
    /// (so memo reads of long strings are bounded by their size, not their count).
    pub fn nodes(&self) -> u64 {
        match self {
            Value::Str(s) => 1 + s.len() as u64 / 16,
            Value::Tuple(s) | Value::List(s) => s.nodes,
            Value::Dict(d) => d.nodes,
            Value::Tensor(t) => 1 + (t.shape.len() + t.stride.len()) as u64,
            _ => 1,
        }
    }

    /// A short type name for error messages.
    pub fn kind(&self) -> &'static str {
        match self {
            Value::None => "None",
            Value::Bool(_) => "bool",
            Value::Int(_) => "int",
            Value::Str(_) => "str",
            Value::Tuple(_) => "tuple",
            Value::List(_) => "list",
            Value::Dict(_) => "dict",
            Value::Global(_) => "global",
            Value::Storage(_) => "storage",
            Value::Tensor(_) => "tensor",
        }
    }

    /// Looks up a string key in a dict value.
    pub fn get(&self, key: &str) -> Option<&Value> {
        match self {
            Value::Dict(d) => d
                .items
                .iter()
                .rev()
                .find(|(k, _)| matches!(k, Value::Str(s) if s == key))
                .map(|(_, v)| v),
            _ => None,
        }
    }
}
