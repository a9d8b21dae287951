//! JSON Schemas (draft 2020-12) of the metadata `dropc run` writes, one per
//! flavour: `schemas/erc721.schema.json` and `schemas/metaplex.schema.json`,
//! embedded in the binary. They are strict — every field `dropc` writes is
//! required (`external_url` only when the collection has one), no other
//! field is allowed, and attributes are `{trait_type: string, value: string
//! | number}` — so a document that passes is exactly of the shape a
//! marketplace is promised.
//!
//! Metaplex limits `name` to 32 and `symbol` to 10 *bytes*; a schema's
//! `maxLength` counts characters, so [`violations`] also checks the bytes.

use serde_json::Value;

use crate::model::MetadataFlavour;

/// The ERC-721 / OpenSea schema's text.
pub const ERC721: &str = include_str!("../../schemas/erc721.schema.json");
/// The Metaplex schema's text.
pub const METAPLEX: &str = include_str!("../../schemas/metaplex.schema.json");

/// Longest Metaplex `name`, in bytes.
pub const METAPLEX_NAME_BYTES: usize = 32;
/// Longest Metaplex `symbol`, in bytes.
pub const METAPLEX_SYMBOL_BYTES: usize = 10;

/// The schema's text for `flavour`.
pub fn text(flavour: MetadataFlavour) -> &'static str {
    match flavour {
        MetadataFlavour::Erc721 => ERC721,
        MetadataFlavour::Metaplex => METAPLEX,
    }
}

/// The compiled schema of one flavour. `qa` compiles it for the metadata
/// pass of an audit and drops it before the images are read: it holds a
/// few hundred KiB, as much as the images of a small collection.
pub struct Schema {
    flavour: MetadataFlavour,
    validator: jsonschema::Validator,
}

impl Schema {
    /// The schema of `flavour`, compiled, or why the embedded schema does
    /// not compile (a bug the tests rule out).
    pub fn compile(flavour: MetadataFlavour) -> Result<Schema, String> {
        let schema: Value = serde_json::from_str(text(flavour)).map_err(|e| e.to_string())?;
        let validator = jsonschema::draft202012::new(&schema).map_err(|e| e.to_string())?;
        Ok(Schema { flavour, validator })
    }

    /// Every way `doc` breaks the schema, one line each, prefixed with the
    /// JSON pointer of the offending value (`/attributes/0/value: …`);
    /// empty when it is valid.
    pub fn violations(&self, doc: &Value) -> Vec<String> {
        let mut out: Vec<String> = self
            .validator
            .iter_errors(doc)
            .map(|e| {
                let mut message = e.to_string();
                if message.len() > MAX_MESSAGE {
                    let cut = (0..=MAX_MESSAGE).rev().find(|&i| message.is_char_boundary(i)).unwrap_or(0);
                    message.truncate(cut);
                    message.push('…');
                }
                let at = e.instance_path().to_string();
                if at.is_empty() { message } else { format!("{at}: {message}") }
            })
            .collect();
        if self.flavour == MetadataFlavour::Metaplex {
            for (key, limit) in [("name", METAPLEX_NAME_BYTES), ("symbol", METAPLEX_SYMBOL_BYTES)] {
                if let Some(s) = doc.get(key).and_then(Value::as_str) {
                    if s.len() > limit && s.chars().count() <= limit {
                        out.push(format!("/{key}: {} bytes of UTF-8, more than Metaplex's {limit}", s.len()));
                    }
                }
            }
        }
        out
    }
}

/// Longest message kept per violation (they can quote whole documents).
const MAX_MESSAGE: usize = 160;

/// Every way `doc` breaks the schema of `flavour` ([`Schema::violations`]),
/// the schema compiled for this one document: to check many, compile a
/// [`Schema`] once.
pub fn violations(flavour: MetadataFlavour, doc: &Value) -> Vec<String> {
    match Schema::compile(flavour) {
        Ok(schema) => schema.violations(doc),
        Err(e) => vec![format!("the {flavour:?} schema does not compile: {e}")],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_schemas_compile() {
        assert!(Schema::compile(MetadataFlavour::Erc721).is_ok());
        assert!(Schema::compile(MetadataFlavour::Metaplex).is_ok());
    }

    #[test]
    fn metaplex_names_are_limited_in_bytes() {
        let doc = serde_json::json!({
            "name": "é".repeat(20), "symbol": "S", "description": "", "seller_fee_basis_points": 0,
            "image": "1.png", "attributes": [],
            "properties": { "files": [{ "uri": "1.png", "type": "image/png" }], "category": "image", "creators": [] }
        });
        let v = violations(MetadataFlavour::Metaplex, &doc);
        assert_eq!(v, vec!["/name: 40 bytes of UTF-8, more than Metaplex's 32".to_string()]);
    }
}
