//! Publishing: the files a marketplace and an auditor read, written from the
//! model and the sampled tokens — `metadata/<id>.json` per token (ERC-721 /
//! OpenSea, or Metaplex) and `tokens.json`, the whole sample in one file.
//!
//! Every file is a pure function of (model, tokens): the bytes do not depend
//! on the number of threads writing them. Files are written atomically (a
//! temporary file in the same folder, then a rename), so an interrupted run
//! never leaves a half-written JSON document behind.

pub mod manifest;
pub mod provenance;
pub mod rarity;
pub mod run;

use std::io::Write;
use std::path::Path;

use rayon::prelude::*;
use serde_json::{Value, json};

use crate::model::TraitKind;
use crate::model::{MetadataFlavour, Model};
use crate::sample::{Token, Tokens};

/// The metadata document of one token.
pub fn metadata(model: &Model, token: Token<'_>) -> Value {
    let s = &model.settings;
    let id = token.id();
    let (name, attributes): (String, Vec<Value>) = match token {
        Token::Generated { variants, .. } => (
            s.token_name_of(id),
            model
                .traits
                .iter()
                .zip(variants)
                .filter(|&(t, &v)| t.kind != TraitKind::Hidden && !t.variants[v as usize].is_none())
                .map(|(t, &v)| json!({ "trait_type": t.name, "value": t.variants[v as usize].name }))
                .collect(),
        ),
        Token::Legendary { index, .. } => {
            let l = &model.legendaries[index];
            let attributes =
                l.attributes.iter().map(|(k, v)| json!({ "trait_type": k, "value": v.to_json() })).collect();
            (l.name.clone(), attributes)
        }
    };
    let image = s.image.replace("{id}", &id.to_string());
    let mut doc = json!({
        "name": name,
        "description": s.description,
        "image": image,
        "attributes": attributes,
    });
    if let Some(url) = &s.external_url {
        doc["external_url"] = json!(url.replace("{id}", &id.to_string()));
    }
    if s.metadata == MetadataFlavour::Metaplex {
        doc["symbol"] = json!(s.symbol);
        doc["seller_fee_basis_points"] = json!(s.royalty_basis_points);
        let creators: Vec<Value> =
            s.creators.iter().map(|(a, share)| json!({ "address": a, "share": share })).collect();
        doc["properties"] =
            json!({ "files": [{ "uri": image, "type": "image/png" }], "category": "image", "creators": creators });
    }
    doc
}

/// Writes `bytes` to `path` atomically: a temporary file beside it
/// ([`crate::output::temporary_path`]), then a rename, so that readers see
/// the old file or the new one, never a part. When the write fails (a full
/// disk), the temporary file is removed.
///
/// Nothing is flushed to the disk: a killed process loses nothing the
/// kernel already has, and after a power loss every file is verified again
/// by the next run (images by hash, the rest by content) and rewritten when
/// it differs.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let tmp = crate::output::temporary_path(path);
    let written =
        std::fs::File::create(&tmp).and_then(|mut f| f.write_all(bytes)).and_then(|()| std::fs::rename(&tmp, path));
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written
}

/// Writes `bytes` to `path` atomically unless the file already holds
/// exactly them; returns whether it wrote.
pub fn write_if_changed(path: &Path, bytes: &[u8]) -> std::io::Result<bool> {
    let same = crate::files::read(path, bytes.len() as u64, crate::files::Links::Refuse).is_ok_and(|old| old == bytes);
    if same {
        return Ok(false);
    }
    write_atomic(path, bytes).map(|()| true)
}

/// Writes `dir/metadata/<id>.json` for every token, in parallel on the
/// current rayon pool.
pub fn write_metadata(model: &Model, tokens: &Tokens, dir: &Path) -> std::io::Result<()> {
    let layout = crate::output::Layout::new(dir);
    std::fs::create_dir_all(layout.metadata_folder())?;
    let all: Vec<Token<'_>> = tokens.iter().collect();
    all.par_iter().try_for_each(|&token| {
        let doc = metadata(model, token);
        let mut bytes = serde_json::to_vec_pretty(&doc).map_err(std::io::Error::other)?;
        bytes.push(b'\n');
        write_atomic(&layout.metadata(token.id()), &bytes)
    })
}

/// `tokens.json`: every token with the variant of every trait (hidden and
/// `none` included) or its legendary name, for audits.
pub fn tokens_json(model: &Model, tokens: &Tokens, seed: &str) -> Vec<u8> {
    crate::output::TokensRecord::of(model, tokens, seed).to_json()
}
