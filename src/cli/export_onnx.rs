//! `smoothscale export-onnx`: writes the ONNX graph of a model file.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context as _};
use clap::Args;
use prost::Message as _;

use smoothscale::models::checkpoint;
use smoothscale::models::onnx::proto::{
    tensor_shape_proto::dimension, type_proto, ModelProto, ValueInfoProto,
};
use smoothscale::models::onnx::GraphShape;
use smoothscale::models::runtime::{graph_for, ModelKind, RIFE_MULTIPLE};

#[derive(Debug, Args)]
pub struct ExportOnnxArgs {
    /// The model file (torch .pth/.pkl, or ncnn .param with its .bin).
    #[arg(long, value_name = "FILE")]
    model: PathBuf,
    /// Where to write the graph.
    #[arg(long, value_name = "FILE.onnx")]
    out: PathBuf,
    /// Fixed input height (with --width); symbolic when absent. RIFE: a multiple of 64.
    #[arg(long, requires = "width", value_parser = clap::value_parser!(u32).range(1..=65536))]
    height: Option<u32>,
    /// Fixed input width (with --height); symbolic when absent. RIFE: a multiple of 64.
    #[arg(long, requires = "height", value_parser = clap::value_parser!(u32).range(1..=65536))]
    width: Option<u32>,
}

pub fn run(args: &ExportOnnxArgs) -> anyhow::Result<ExitCode> {
    let loaded = checkpoint::load(&args.model)
        .with_context(|| format!("cannot load {}", args.model.display()))?;
    let shape = match (args.height, args.width) {
        (Some(h), Some(w)) => {
            let (h, w) = (h as usize, w as usize);
            if loaded.architecture == checkpoint::Architecture::Rife425
                && (h % RIFE_MULTIPLE != 0 || w % RIFE_MULTIPLE != 0)
            {
                bail!("RIFE needs --height and --width that are multiples of {RIFE_MULTIPLE} (got {h}x{w}); pad the frames");
            }
            GraphShape::fixed(h, w)
        }
        _ => GraphShape::dynamic(),
    };
    let (kind, bytes) = graph_for(loaded.architecture, &loaded.state_dict, shape)
        .with_context(|| format!("cannot build the graph of {}", args.model.display()))?;
    smoothscale::atomic_file::write_atomically(&args.out, &bytes)
        .with_context(|| format!("cannot write {}", args.out.display()))?;
    let proto = ModelProto::decode(&bytes[..]).context("the written graph does not decode")?;
    let graph = proto.graph.unwrap_or_default();
    let what = match kind {
        ModelKind::Rife => "RIFE interpolation",
        ModelKind::Upscaler { .. } => "upscaler",
    };
    println!(
        "{} ({}, {what}) -> {}",
        args.model.display(),
        loaded.architecture,
        args.out.display()
    );
    for (dir, infos) in [("input", &graph.input), ("output", &graph.output)] {
        for info in infos {
            println!(
                "  {dir:<6} {:<9} {}",
                info.name.as_deref().unwrap_or("?"),
                dims(info)
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `[batch, 3, height, width]`-style dimensions of a tensor value.
fn dims(info: &ValueInfoProto) -> String {
    let Some(type_proto::Value::TensorType(t)) =
        info.r#type.as_ref().and_then(|t| t.value.as_ref())
    else {
        return "?".into();
    };
    let dims: Vec<String> = t
        .shape
        .iter()
        .flat_map(|s| &s.dim)
        .map(|d| match &d.value {
            Some(dimension::Value::DimValue(v)) => v.to_string(),
            Some(dimension::Value::DimParam(p)) => p.clone(),
            None => "?".into(),
        })
        .collect();
    format!("[{}]", dims.join(", "))
}
