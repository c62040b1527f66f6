//! Typed errors of the checkpoint readers. Every error reaching the caller is a
//! [`CheckpointError`], which names the file and wraps one [`ErrorKind`].

use std::path::PathBuf;

use thiserror::Error;

/// A checkpoint could not be read: which file, and what is wrong with it.
#[derive(Debug, Error)]
#[error("{}: {kind}", path.display())]
pub struct CheckpointError {
    /// The file that was being read (for ncnn, the `.param` or the `.bin`).
    pub path: PathBuf,
    /// What is wrong.
    pub kind: ErrorKind,
}

impl CheckpointError {
    /// Attaches the file name to an error kind.
    pub fn new(path: impl Into<PathBuf>, kind: impl Into<ErrorKind>) -> Self {
        Self {
            path: path.into(),
            kind: kind.into(),
        }
    }
}

/// What is wrong with a checkpoint file.
#[derive(Debug, Error)]
pub enum ErrorKind {
    /// The file could not be opened, mapped or read.
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),
    /// The content is neither a torch zip archive nor an ncnn `.param` file.
    #[error("unknown checkpoint format: {0}")]
    UnknownFormat(String),
    /// A declared size exceeds a configured limit.
    #[error("{what} needs {size} bytes, above the limit of {limit} bytes")]
    TooLarge {
        /// What was being sized.
        what: String,
        /// The declared size in bytes.
        size: u64,
        /// The limit in bytes.
        limit: u64,
    },
    /// The zip container is malformed or uses an unsupported feature.
    #[error("zip archive: {0}")]
    Zip(#[from] ZipError),
    /// The pickle stream is malformed or asks for something not allowed.
    #[error("pickle: {0}")]
    Pickle(#[from] PickleError),
    /// The unpickled object is not a usable state_dict or its storages are inconsistent.
    #[error("torch checkpoint: {0}")]
    Torch(#[from] TorchError),
    /// The ncnn `.param`/`.bin` pair is malformed.
    #[error("ncnn model: {0}")]
    Ncnn(#[from] NcnnError),
    /// The tensors do not form a supported architecture.
    #[error("architecture: {0}")]
    Arch(#[from] ArchError),
}

/// Errors of the zip container reader.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum ZipError {
    /// No end-of-central-directory record was found.
    #[error("no end-of-central-directory record (not a zip file or truncated)")]
    NoEndOfCentralDirectory,
    /// A structure lies (partly) outside the file.
    #[error(
        "{what} at offset {offset} with length {len} lies outside the file of {file_len} bytes"
    )]
    OutOfBounds {
        /// The structure.
        what: String,
        /// Its declared offset.
        offset: u64,
        /// Its declared length.
        len: u64,
        /// The file length.
        file_len: u64,
    },
    /// A record does not start with its signature.
    #[error("bad signature for {what} at offset {offset}")]
    BadSignature {
        /// The record expected.
        what: &'static str,
        /// Where it was expected.
        offset: u64,
    },
    /// The archive spans several disks.
    #[error("multi-disk archives are not supported")]
    MultiDisk,
    /// The central directory declares more entries than allowed or than fit.
    #[error("{count} entries declared, limit is {limit}")]
    TooManyEntries {
        /// Declared count.
        count: u64,
        /// Allowed count.
        limit: u64,
    },
    /// A zip64 field is needed but missing or malformed.
    #[error("malformed zip64 data: {0}")]
    Zip64(&'static str),
    /// An entry is compressed; torch archives store entries uncompressed.
    #[error("entry {name:?} is compressed (method {method}); only stored entries are supported")]
    Compressed {
        /// Entry name.
        name: String,
        /// Compression method number.
        method: u16,
    },
    /// An entry is encrypted.
    #[error("entry {name:?} is encrypted")]
    Encrypted {
        /// Entry name.
        name: String,
    },
    /// Compressed and uncompressed sizes of a stored entry differ.
    #[error("entry {name:?}: stored size {compressed} differs from size {uncompressed}")]
    SizeMismatch {
        /// Entry name.
        name: String,
        /// Declared compressed size.
        compressed: u64,
        /// Declared uncompressed size.
        uncompressed: u64,
    },
    /// The local header disagrees with the central directory.
    #[error("local header of entry {name:?} disagrees with the central directory")]
    LocalHeaderMismatch {
        /// Entry name.
        name: String,
    },
    /// The CRC-32 of an entry's data is wrong.
    #[error("entry {name:?}: CRC-32 mismatch")]
    Crc {
        /// Entry name.
        name: String,
    },
    /// An entry name is not valid UTF-8.
    #[error("an entry name is not valid UTF-8")]
    BadName,
    /// Two entries have the same name.
    #[error("duplicate entry {0:?}")]
    Duplicate(String),
}

/// Errors of the restricted pickle reader.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum PickleError {
    /// An opcode outside the supported subset.
    #[error("unsupported opcode {name} (0x{opcode:02x}) at offset {offset}")]
    UnsupportedOpcode {
        /// The opcode byte.
        opcode: u8,
        /// Its pickletools name, or `unknown`.
        name: &'static str,
        /// Offset in the pickle.
        offset: usize,
    },
    /// A global outside the allowed set; nothing is imported or called.
    #[error("global {module}.{name} is not allowed")]
    ForbiddenGlobal {
        /// Module part.
        module: String,
        /// Name part.
        name: String,
    },
    /// Unsupported protocol version.
    #[error("unsupported pickle protocol {0}")]
    Protocol(u8),
    /// The stream ends inside an opcode or before STOP.
    #[error("truncated pickle at offset {0}")]
    Truncated(usize),
    /// Pop from an empty stack or no MARK.
    #[error("stack underflow at offset {0}")]
    StackUnderflow(usize),
    /// BINGET of a memo slot never written.
    #[error("memo slot {index} read at offset {offset} was never written")]
    BadMemo {
        /// Memo index.
        index: u32,
        /// Offset in the pickle.
        offset: usize,
    },
    /// An operand had the wrong type.
    #[error("at offset {offset}: {message}")]
    Type {
        /// Offset in the pickle.
        offset: usize,
        /// What was expected and found.
        message: String,
    },
    /// Nesting or copying exceeded the built-in bounds.
    #[error("{0} exceeds the reader's bounds")]
    Bounds(&'static str),
    /// A string is not valid UTF-8.
    #[error("invalid UTF-8 string at offset {0}")]
    Utf8(usize),
    /// STOP left something other than exactly one value.
    #[error("STOP with {0} values on the stack")]
    BadStop(usize),
}

/// Errors turning the unpickled object and storages into tensors.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum TorchError {
    /// No `*/data.pkl` entry, or more than one.
    #[error("expected exactly one top-level <name>/data.pkl entry, found {0}")]
    DataPkl(usize),
    /// The archive declares a byte order other than little-endian.
    #[error("byte order {0:?} is not supported")]
    ByteOrder(String),
    /// The pickled object has an unexpected structure.
    #[error("not a state_dict: {0}")]
    NotStateDict(String),
    /// A storage entry is missing.
    #[error("storage entry {0:?} is missing")]
    MissingStorage(String),
    /// A storage entry's size disagrees with its declared element count.
    #[error("storage {key:?} declares {declared} bytes but the entry has {actual}")]
    StorageSize {
        /// Storage key.
        key: String,
        /// numel × element size.
        declared: u64,
        /// Entry length.
        actual: u64,
    },
    /// A tensor view reaches outside its storage.
    #[error("tensor {name:?} reaches element {needed} of a storage of {numel}")]
    ViewOutOfBounds {
        /// Tensor key.
        name: String,
        /// One past the largest element index addressed.
        needed: u64,
        /// Storage element count.
        numel: u64,
    },
    /// A view with more elements than its storage holds (strides of 0 or overlapping rows): a
    /// few bytes of file could otherwise declare gigabytes of tensor.
    #[error("tensor {name:?} has {count} elements, more than the {numel} of its storage")]
    OverlappingView {
        /// Tensor key.
        name: String,
        /// Elements of the view.
        count: u64,
        /// Storage element count.
        numel: u64,
    },
    /// Shape and stride lists are malformed.
    #[error("tensor {0:?} has malformed shape or strides")]
    BadLayout(String),
    /// Two keys are equal after `module.` is stripped.
    #[error("duplicate key {0:?}")]
    DuplicateKey(String),
}

/// Errors of the ncnn reader.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum NcnnError {
    /// The first line is not the magic `7767517`.
    #[error("missing magic 7767517")]
    BadMagic,
    /// A `.param` line could not be parsed.
    #[error("line {line}: {message}")]
    Param {
        /// 1-based line number.
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// The `.bin` ends before a layer's data.
    #[error("layer {layer:?} needs {needed} bytes at offset {offset}, the .bin has {len}")]
    BinTooShort {
        /// Layer name.
        layer: String,
        /// Bytes needed.
        needed: u64,
        /// Offset reached.
        offset: u64,
        /// File length.
        len: u64,
    },
    /// The `.bin` has bytes no layer consumed.
    #[error("{extra} trailing bytes after the last layer")]
    BinTooLong {
        /// Unconsumed bytes.
        extra: u64,
    },
    /// A weight blob has an unsupported storage tag.
    #[error("layer {layer:?}: unsupported weight tag 0x{tag:08x}")]
    BadTag {
        /// Layer name.
        layer: String,
        /// The tag read.
        tag: u32,
    },
    /// The weighted layers do not map onto a known architecture.
    #[error("layer sequence not recognised: {0}")]
    Layout(String),
}

/// Errors of architecture detection.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum ArchError {
    /// The key set matches no supported network.
    #[error("unrecognised network: {0}")]
    Unrecognised(String),
    /// Keys are missing or unexpected for the detected network.
    #[error("{arch}: missing keys {missing:?}, unexpected keys {unexpected:?}")]
    Keys {
        /// Detected network.
        arch: String,
        /// Expected but absent.
        missing: Vec<String>,
        /// Present but not expected.
        unexpected: Vec<String>,
    },
    /// A tensor has the wrong shape.
    #[error("{key}: shape {found:?}, expected {expected:?}")]
    Shape {
        /// Key.
        key: String,
        /// Shape found.
        found: Vec<usize>,
        /// Shape expected.
        expected: Vec<usize>,
    },
}
