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

use std::borrow::Cow;
use std::io::Write;
use std::path::Path;

use rayon::prelude::*;
use serde::Serialize;
use serde_json::Value;

use crate::model::TraitKind;
use crate::model::{MetadataFlavour, Model};
use crate::sample::{Token, Tokens};

/// The metadata document of one token, as a JSON value.
pub fn metadata(model: &Model, token: Token<'_>) -> Value {
    // A document of strings and numbers always converts.
    serde_json::to_value(document(model, token)).unwrap_or(Value::Null)
}

/// Appends the bytes of `metadata/<id>.json` to `out`: [`metadata`]
/// serialised pretty, with a final newline, byte for byte, but written
/// straight from the document without building the JSON value first (a
/// third of the time of writing 20,000 files was the allocator).
pub fn write_metadata_json(model: &Model, token: Token<'_>, out: &mut Vec<u8>) {
    // Serialising into a `Vec` cannot fail.
    let _ = serde_json::to_writer_pretty(&mut *out, &document(model, token));
    out.push(b'\n');
}

/// One token's metadata document, its fields in the order a
/// `serde_json::Value` object writes them (sorted by name), so that the
/// value and the direct serialisation give the same bytes.
#[derive(Serialize)]
struct Document<'a> {
    attributes: Vec<Attribute<'a>>,
    description: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    external_url: Option<String>,
    image: String,
    name: Cow<'a, str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    properties: Option<Properties<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    seller_fee_basis_points: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    symbol: Option<&'a str>,
}

#[derive(Serialize)]
struct Attribute<'a> {
    trait_type: &'a str,
    value: AttributeValue<'a>,
}

#[derive(Serialize)]
#[serde(untagged)]
enum AttributeValue<'a> {
    Text(&'a str),
    Json(Value),
}

#[derive(Serialize)]
struct Properties<'a> {
    category: &'static str,
    creators: Vec<Creator<'a>>,
    files: [File; 1],
}

#[derive(Serialize)]
struct Creator<'a> {
    address: &'a str,
    share: u8,
}

#[derive(Serialize)]
struct File {
    #[serde(rename = "type")]
    kind: &'static str,
    uri: String,
}

fn document<'a>(model: &'a Model, token: Token<'a>) -> Document<'a> {
    let s = &model.settings;
    let id = token.id().to_string();
    let (name, attributes): (Cow<'a, str>, Vec<Attribute<'a>>) = match token {
        Token::Generated { variants, .. } => {
            let attributes = model
                .traits
                .iter()
                .zip(variants)
                .filter(|&(t, &v)| t.kind != TraitKind::Hidden && !t.variants[v as usize].is_none())
                .map(|(t, &v)| Attribute {
                    trait_type: &t.name,
                    value: AttributeValue::Text(&t.variants[v as usize].name),
                })
                .collect();
            (Cow::Owned(s.token_name_of(token.id())), attributes)
        }
        Token::Legendary { index, .. } => {
            let l = &model.legendaries[index];
            let attributes = l
                .attributes
                .iter()
                .map(|(k, v)| Attribute { trait_type: k, value: AttributeValue::Json(v.to_json()) })
                .collect();
            (Cow::Borrowed(l.name.as_str()), attributes)
        }
    };
    let image = s.image.replace("{id}", &id);
    let metaplex = s.metadata == MetadataFlavour::Metaplex;
    Document {
        attributes,
        description: &s.description,
        external_url: s.external_url.as_ref().map(|url| url.replace("{id}", &id)),
        properties: metaplex.then(|| Properties {
            category: "image",
            creators: s.creators.iter().map(|(address, share)| Creator { address, share: *share }).collect(),
            files: [File { kind: "image/png", uri: image.clone() }],
        }),
        image,
        name,
        seller_fee_basis_points: metaplex.then_some(s.royalty_basis_points),
        symbol: metaplex.then_some(s.symbol.as_str()),
    }
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
        let mut bytes = Vec::with_capacity(1024);
        write_metadata_json(model, token, &mut bytes);
        write_atomic(&layout.metadata(token.id()), &bytes)
    })
}

/// `tokens.json`: every token with the variant of every trait (hidden and
/// `none` included) or its legendary name, for audits.
pub fn tokens_json(model: &Model, tokens: &Tokens, seed: &str) -> Vec<u8> {
    crate::output::TokensRecord::of(model, tokens, seed).to_json()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::{NoArt, check_text};

    /// The direct serialisation gives the bytes of the JSON value, for both
    /// flavours, with and without `external_url`, hidden and `none`
    /// variants, and legendaries with text, whole and fractional numbers.
    #[test]
    fn metadata_bytes_are_the_values() {
        let generated = r#"collection "C" { size 8 canvas 8 x 8 seed "s" description "a \"quoted\" é" image "ipfs://x/{id}.png" }
trait Back < Red: 3, Blue: 2 >
trait Hat < none: 2, Cap: 1 >
hidden trait Secret < A: 1, B: 1 >
"#;
        let metaplex = r#"collection "S" { size 6 canvas 8 x 8 seed "s" metadata metaplex symbol "SPR" royalty 5%
  creators "Abc111": 60%, "Def222": 40% external_url "https://x.io/{id}" image "{id}.png" }
trait Back < Red: 3, Blue: 2 >
metadata trait Faction < Syndicate: 4, Runners: 4 >
legendary "One" at 2 "legendaries/one.png" { Power: 9000, Ratio: 0.5, Kind: "gold" }
legendary Two "legendaries/two.png"
"#;
        for text in [generated, metaplex] {
            let checked = check_text(text, &NoArt);
            let Some(model) = checked.model else { panic!("{text} does not check: {:?}", checked.diagnostics) };
            let tokens = crate::sample::sample(&model, &model.settings.seed).expect("samples");
            let mut bytes = Vec::new();
            for token in tokens.iter() {
                let mut want = serde_json::to_vec_pretty(&metadata(&model, token)).expect("serialises");
                want.push(b'\n');
                bytes.clear();
                write_metadata_json(&model, token, &mut bytes);
                assert_eq!(String::from_utf8_lossy(&bytes), String::from_utf8_lossy(&want));
            }
        }
    }
}
