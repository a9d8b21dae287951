//! `tokens.json` read back: the record of the draw, which the audits take as
//! the truth that metadata, images, rarity and counts must agree with.

use std::collections::HashMap;

use serde_json::Value;

use crate::check::Model;
use crate::sample::Tokens;

/// One token of the record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Entry {
    /// A generated token: the variant name of every trait of the record, in
    /// the record's trait order (hidden and `none` included).
    Generated(Vec<String>),
    /// A legendary, by name.
    Legendary(String),
}

/// `tokens.json`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record {
    /// The collection's name.
    pub collection: String,
    /// The seed of the draw.
    pub seed: String,
    /// Trait names, in the order of each token's variants.
    pub traits: Vec<String>,
    /// Every token by id, in file order.
    pub tokens: Vec<(u64, Entry)>,
}

impl Record {
    /// Parses `tokens.json`; the error says what is wrong.
    pub fn parse(bytes: &[u8]) -> Result<Record, String> {
        let doc: Value = serde_json::from_slice(bytes).map_err(|e| format!("is not JSON ({e})"))?;
        let text = |key: &str| doc.get(key).and_then(Value::as_str).map(str::to_string);
        let collection = text("collection").ok_or("has no `collection`")?;
        let seed = text("seed").ok_or("has no `seed`")?;
        let names = |v: &Value| -> Option<Vec<String>> {
            v.as_array()?.iter().map(|x| x.as_str().map(str::to_string)).collect()
        };
        let traits = doc.get("traits").and_then(names).ok_or("has no list of `traits`")?;
        let list = doc.get("tokens").and_then(Value::as_array).ok_or("has no list of `tokens`")?;
        let mut tokens = Vec::with_capacity(list.len());
        for (i, t) in list.iter().enumerate() {
            let id = match t.get("id") {
                None => return Err(format!("token number {} has no `id`", i + 1)),
                Some(id) => id.as_u64().ok_or_else(|| {
                    format!("token number {} has the `id` {id}, which is no whole number from 0 to {}", i + 1, u64::MAX)
                })?,
            };
            let entry = if let Some(variants) = t.get("variants").and_then(names) {
                if variants.len() != traits.len() {
                    return Err(format!("token {id} has {} variants for {} traits", variants.len(), traits.len()));
                }
                Entry::Generated(variants)
            } else if let Some(name) = t.get("legendary").and_then(Value::as_str) {
                Entry::Legendary(name.to_string())
            } else {
                return Err(format!("token {id} has neither `variants` nor `legendary`"));
            };
            tokens.push((id, entry));
        }
        Ok(Record { collection, seed, traits, tokens })
    }

    /// The record of a draw, as `tokens.json` would hold it.
    pub fn of(model: &Model, tokens: &Tokens, seed: &str) -> Record {
        Record {
            collection: model.settings.name.clone(),
            seed: seed.to_string(),
            traits: model.traits.iter().map(|t| t.name.clone()).collect(),
            tokens: tokens
                .iter()
                .map(|t| match t {
                    crate::sample::Token::Generated { id, variants } => (
                        id,
                        Entry::Generated(
                            model
                                .traits
                                .iter()
                                .zip(variants)
                                .map(|(tr, &v)| tr.variants[v as usize].name.clone())
                                .collect(),
                        ),
                    ),
                    crate::sample::Token::Legendary { id, index } => {
                        (id, Entry::Legendary(model.legendaries[index].name.clone()))
                    }
                })
                .collect(),
        }
    }

    /// The record as [`Tokens`] of `model`: trait names are matched by name,
    /// variants and legendaries by name. Tokens naming what the model does
    /// not have are left out and described, one line each, in the second
    /// value (as are model traits the record lacks).
    pub fn to_tokens(&self, model: &Model) -> (Tokens, Vec<(Option<u64>, String)>) {
        let mut problems: Vec<(Option<u64>, String)> = Vec::new();
        let column: Vec<Option<usize>> =
            model.traits.iter().map(|t| self.traits.iter().position(|n| *n == t.name)).collect();
        for (t, c) in model.traits.iter().zip(&column) {
            if c.is_none() {
                problems.push((None, format!("has no trait `{}`", t.name)));
            }
        }
        for name in &self.traits {
            if !model.traits.iter().any(|t| t.name == *name) {
                problems.push((None, format!("has a trait `{name}` the collection does not have")));
            }
        }
        let variant_index: Vec<HashMap<&str, u32>> = model
            .traits
            .iter()
            .map(|t| t.variants.iter().enumerate().map(|(i, v)| (v.name.as_str(), i as u32)).collect())
            .collect();
        let mut entries: Vec<(u64, &Entry)> = self.tokens.iter().map(|(id, e)| (*id, e)).collect();
        entries.sort_by_key(|(id, _)| *id);
        let mut tokens =
            Tokens { traits: model.traits.len(), ids: Vec::new(), variants: Vec::new(), legendaries: Vec::new() };
        'tokens: for (id, entry) in entries {
            match entry {
                Entry::Generated(names) => {
                    let mut row = Vec::with_capacity(model.traits.len());
                    for ((t, c), index) in model.traits.iter().zip(&column).zip(&variant_index) {
                        let Some(c) = c else { continue 'tokens };
                        let name = names.get(*c).map_or("", String::as_str);
                        match index.get(name) {
                            Some(&v) => row.push(v),
                            None => {
                                problems.push((Some(id), format!("names `{}.{name}`, which is no variant", t.name)));
                                continue 'tokens;
                            }
                        }
                    }
                    tokens.ids.push(id);
                    tokens.variants.extend(row);
                }
                Entry::Legendary(name) => match model.legendaries.iter().position(|l| l.name == *name) {
                    Some(index) => tokens.legendaries.push((id, index)),
                    None => problems.push((Some(id), format!("names the legendary `{name}`, which does not exist"))),
                },
            }
        }
        (tokens, problems)
    }

    /// The variant names of a generated token, by model trait (`None` when
    /// the record lacks the token, the trait, or has a legendary there).
    pub fn variant_names<'r>(&'r self, model: &Model, entry: &'r Entry) -> Vec<Option<&'r str>> {
        match entry {
            Entry::Generated(names) => model
                .traits
                .iter()
                .map(|t| self.traits.iter().position(|n| *n == t.name).and_then(|c| names.get(c)).map(String::as_str))
                .collect(),
            Entry::Legendary(_) => vec![None; model.traits.len()],
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::Record;

    #[test]
    fn an_id_beyond_64_bits_is_named_as_such() {
        let record = |id: &str| {
            format!(
                r#"{{"collection": "C", "seed": "s", "traits": ["T"], "tokens": [{{"id": {id}, "variants": ["V"]}}]}}"#
            )
        };
        assert_eq!(Record::parse(record("7").as_bytes()).unwrap().tokens[0].0, 7);
        let error = Record::parse(record("18446744073709551616").as_bytes()).unwrap_err();
        assert!(error.contains("token number 1 has the `id` 1.8446744073709552e+19"), "{error}");
        assert!(error.contains("no whole number from 0 to 18446744073709551615"), "{error}");
        let error = Record::parse(record("-1").as_bytes()).unwrap_err();
        assert!(error.contains("the `id` -1"), "{error}");
        let error = Record::parse(br#"{"collection": "C", "seed": "s", "traits": [], "tokens": [{}]}"#).unwrap_err();
        assert_eq!(error, "token number 1 has no `id`");
    }
}
