//! The record files of the output folder as serde types: what `dropc run`
//! writes is what `dropc qa` reads, field for field.
//!
//! Large records (`tokens.json`, `rarity.json`, `manifest.json`) are laid
//! out one token per line ([`Lines`]): readable, and a diff of two runs
//! shows one line per changed token. The others are pretty-printed.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};

use crate::model::Model;
use crate::sample::{Token, Tokens};

/// A JSON layout: containers nested at most `expand` deep put each element
/// on its own line (indented two spaces a level), deeper ones are compact.
struct Lines {
    expand: usize,
    depth: usize,
    has_value: bool,
}

impl Lines {
    fn expanded(&self) -> bool {
        self.depth <= self.expand
    }

    fn newline<W: ?Sized + std::io::Write>(w: &mut W, depth: usize) -> std::io::Result<()> {
        w.write_all(b"\n")?;
        for _ in 0..depth {
            w.write_all(b"  ")?;
        }
        Ok(())
    }

    fn begin<W: ?Sized + std::io::Write>(&mut self, w: &mut W, open: &[u8]) -> std::io::Result<()> {
        self.depth += 1;
        self.has_value = false;
        w.write_all(open)
    }

    fn end<W: ?Sized + std::io::Write>(&mut self, w: &mut W, close: &[u8]) -> std::io::Result<()> {
        if self.expanded() && self.has_value {
            Self::newline(w, self.depth - 1)?;
        }
        self.depth -= 1;
        w.write_all(close)
    }

    fn element<W: ?Sized + std::io::Write>(&mut self, w: &mut W, first: bool) -> std::io::Result<()> {
        if !first {
            w.write_all(b",")?;
        }
        if self.expanded() { Self::newline(w, self.depth) } else { Ok(()) }
    }
}

impl serde_json::ser::Formatter for Lines {
    fn begin_array<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.begin(w, b"[")
    }
    fn end_array<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.end(w, b"]")
    }
    fn begin_array_value<W: ?Sized + std::io::Write>(&mut self, w: &mut W, first: bool) -> std::io::Result<()> {
        self.element(w, first)
    }
    fn end_array_value<W: ?Sized + std::io::Write>(&mut self, _: &mut W) -> std::io::Result<()> {
        self.has_value = true;
        Ok(())
    }
    fn begin_object<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.begin(w, b"{")
    }
    fn end_object<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.end(w, b"}")
    }
    fn begin_object_key<W: ?Sized + std::io::Write>(&mut self, w: &mut W, first: bool) -> std::io::Result<()> {
        self.element(w, first)
    }
    fn begin_object_value<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        w.write_all(if self.expanded() { b": " } else { b":" })
    }
    fn end_object_value<W: ?Sized + std::io::Write>(&mut self, _: &mut W) -> std::io::Result<()> {
        self.has_value = true;
        Ok(())
    }
}

/// `value` as JSON in the [`Lines`] layout, with a final newline.
fn to_lines<T: Serialize + ?Sized>(value: &T, expand: usize) -> Vec<u8> {
    let mut out = Vec::new();
    let mut ser = serde_json::Serializer::with_formatter(&mut out, Lines { expand, depth: 0, has_value: false });
    // Records hold strings, integers, finite floats and maps with string
    // keys: serialisation cannot fail.
    let _ = value.serialize(&mut ser);
    out.push(b'\n');
    out
}

/// `value` pretty-printed, with a final newline.
fn to_pretty<T: Serialize + ?Sized>(value: &T) -> Vec<u8> {
    let mut out = serde_json::to_vec_pretty(value).unwrap_or_default();
    out.push(b'\n');
    out
}

fn yes() -> bool {
    true
}

/// `collection.json`: what went in (settings, the `.drop` and every art
/// file by SHA-256) and what came out (how many tokens drew each variant).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CollectionRecord {
    /// The format of the folder ([`super::FORMAT_VERSION`] when written by
    /// this dropc; 0 for folders written before it was recorded).
    #[serde(default)]
    pub format_version: u32,
    /// The dropc version that wrote the folder.
    pub dropc_version: String,
    /// The collection's name.
    pub collection: String,
    /// The seed of the draw.
    pub seed: String,
    /// Tokens, legendaries included.
    pub size: usize,
    /// Generated (non-legendary) tokens.
    pub generated: usize,
    /// Whether the run wrote images (false after `--no-images`).
    #[serde(default = "yes")]
    pub images: bool,
    /// The extra sizes, as their folder names under `images/` (`512x512`).
    #[serde(default)]
    pub sizes: Vec<String>,
    /// Every trait's realised counts, in declaration order.
    pub traits: Vec<TraitCounts>,
    /// Every legendary and its id.
    pub legendaries: Vec<LegendaryId>,
    /// The inputs' hashes.
    pub inputs: Inputs,
}

/// A trait's realised counts, variants in declaration order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TraitCounts {
    /// The trait's name.
    pub name: String,
    /// `visible`, `hidden` or `metadata`.
    pub kind: String,
    /// Every variant, zero counts included.
    pub variants: Vec<VariantCount>,
}

/// A variant and how many generated tokens drew it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VariantCount {
    /// The variant's name.
    pub name: String,
    /// Generated tokens that drew it.
    pub count: u64,
}

/// A legendary and the id it was given.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct LegendaryId {
    /// The legendary's name.
    pub name: String,
    /// Its token id.
    pub id: u64,
}

/// The inputs of a run, by SHA-256.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Inputs {
    /// The `.drop` file, relative to the output folder, `/`-separated (so
    /// that `dropc qa DIR` finds it). Data, never trusted as a path to open
    /// outside the project.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_path: Option<String>,
    /// SHA-256 of the `.drop` source.
    pub source: String,
    /// SHA-256 of every art file, by project-relative `/`-separated path.
    pub art: BTreeMap<String, String>,
}

impl CollectionRecord {
    /// The record as written to disk (deterministic).
    pub fn to_json(&self) -> Vec<u8> {
        to_pretty(self)
    }

    /// The extra sizes the record lists.
    pub fn size_list(&self) -> Vec<(u32, u32)> {
        self.sizes.iter().filter_map(|s| super::parse_size_folder(s)).collect()
    }
}

/// A variant name in a [`TokensRecord`]: shared by every token that has
/// the variant (ten thousand tokens of eight traits hold eight pointers
/// each, not eighty thousand strings).
pub type RecordedName = std::sync::Arc<str>;

/// The one [`RecordedName`] of each distinct name.
#[derive(Default)]
struct Names(std::collections::HashSet<RecordedName>);

impl Names {
    fn get(&mut self, name: &str) -> RecordedName {
        if let Some(shared) = self.0.get(name) {
            return shared.clone();
        }
        let shared: RecordedName = name.into();
        self.0.insert(shared.clone());
        shared
    }
}

/// One token of `tokens.json`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TokenEntry {
    /// A generated token: the variant name of every trait of the record, in
    /// the record's trait order (hidden and `none` included).
    Generated(Box<[RecordedName]>),
    /// A legendary, by name.
    Legendary(String),
}

/// `tokens.json`: the record of the draw, which the audits take as the
/// truth that metadata, images, rarity and counts must agree with.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokensRecord {
    /// The collection's name.
    pub collection: String,
    /// The seed of the draw.
    pub seed: String,
    /// Trait names, in the order of each token's variants.
    pub traits: Vec<String>,
    /// Every token by id, in file order: `{"id", "variants": [..]}` or
    /// `{"id", "legendary": name}`.
    #[serde(with = "token_lines")]
    pub tokens: Vec<(u64, TokenEntry)>,
}

/// `tokens.json`'s token list, one object per token.
mod token_lines {
    use serde::de::Error as _;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    use super::TokenEntry;

    #[derive(Serialize, Deserialize)]
    struct Line<'a> {
        id: u64,
        #[serde(default, skip_serializing_if = "Option::is_none", borrow)]
        variants: Option<Vec<std::borrow::Cow<'a, str>>>,
        #[serde(default, skip_serializing_if = "Option::is_none", borrow)]
        legendary: Option<std::borrow::Cow<'a, str>>,
    }

    pub fn serialize<S: Serializer>(tokens: &[(u64, TokenEntry)], s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(tokens.iter().map(|(id, entry)| match entry {
            TokenEntry::Generated(v) => {
                Line { id: *id, variants: Some(v.iter().map(|n| (&**n).into()).collect()), legendary: None }
            }
            TokenEntry::Legendary(name) => Line { id: *id, variants: None, legendary: Some(name.as_str().into()) },
        }))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<(u64, TokenEntry)>, D::Error> {
        let lines: Vec<Line<'de>> = Vec::deserialize(d)?;
        let mut names = super::Names::default();
        lines
            .into_iter()
            .map(|line| match (line.variants, line.legendary) {
                (Some(v), None) => Ok((line.id, TokenEntry::Generated(v.iter().map(|n| names.get(n)).collect()))),
                (None, Some(name)) => Ok((line.id, TokenEntry::Legendary(name.into_owned()))),
                _ => Err(D::Error::custom(format!("token {} needs either `variants` or `legendary`", line.id))),
            })
            .collect()
    }
}

impl TokensRecord {
    /// Parses `tokens.json`; the error says what is wrong, naming the
    /// token by its place in the file when its id is unusable.
    pub fn parse(bytes: &[u8]) -> Result<TokensRecord, String> {
        /// The record as found, before each token is checked.
        #[derive(Deserialize)]
        struct Raw<'a> {
            collection: String,
            seed: String,
            traits: Vec<String>,
            #[serde(borrow)]
            tokens: Vec<RawLine<'a>>,
        }
        #[derive(Deserialize)]
        struct RawLine<'a> {
            id: Option<serde_json::Value>,
            // Borrowed from the file when no escape needs decoding.
            #[serde(borrow)]
            variants: Option<Vec<std::borrow::Cow<'a, str>>>,
            legendary: Option<String>,
        }
        let raw: Raw = serde_json::from_slice(bytes).map_err(|e| format!("is not a dropc token record ({e})"))?;
        let mut names = Names::default();
        let mut tokens = Vec::with_capacity(raw.tokens.len());
        for (i, line) in raw.tokens.into_iter().enumerate() {
            let id = match line.id {
                None => return Err(format!("token number {} has no `id`", i + 1)),
                Some(id) => id.as_u64().ok_or_else(|| {
                    format!("token number {} has the `id` {id}, which is no whole number from 0 to {}", i + 1, u64::MAX)
                })?,
            };
            let entry = match (line.variants, line.legendary) {
                (Some(variants), None) if variants.len() != raw.traits.len() => {
                    return Err(format!("token {id} has {} variants for {} traits", variants.len(), raw.traits.len()));
                }
                (Some(variants), None) => TokenEntry::Generated(variants.iter().map(|n| names.get(n)).collect()),
                (None, Some(name)) => TokenEntry::Legendary(name),
                (Some(_), Some(_)) => return Err(format!("token {id} has both `variants` and `legendary`")),
                (None, None) => return Err(format!("token {id} has neither `variants` nor `legendary`")),
            };
            tokens.push((id, entry));
        }
        Ok(TokensRecord { collection: raw.collection, seed: raw.seed, traits: raw.traits, tokens })
    }

    /// The record as written to disk: one token per line.
    pub fn to_json(&self) -> Vec<u8> {
        to_lines(self, 2)
    }

    /// The record of a draw.
    pub fn of(model: &Model, tokens: &Tokens, seed: &str) -> TokensRecord {
        let names: Vec<Vec<RecordedName>> =
            model.traits.iter().map(|t| t.variants.iter().map(|v| v.name.as_str().into()).collect()).collect();
        TokensRecord {
            collection: model.settings.name.clone(),
            seed: seed.to_string(),
            traits: model.traits.iter().map(|t| t.name.clone()).collect(),
            tokens: tokens
                .iter()
                .map(|t| match t {
                    Token::Generated { id, variants } => (
                        id,
                        TokenEntry::Generated(
                            names.iter().zip(variants).map(|(names, &v)| names[v as usize].clone()).collect(),
                        ),
                    ),
                    Token::Legendary { id, index } => {
                        (id, TokenEntry::Legendary(model.legendaries[index].name.clone()))
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
            .map(|t| t.variants.iter().enumerate().map(|(i, v)| (&*v.name, i as u32)).collect())
            .collect();
        let mut entries: Vec<(u64, &TokenEntry)> = self.tokens.iter().map(|(id, e)| (*id, e)).collect();
        entries.sort_by_key(|(id, _)| *id);
        let mut tokens =
            Tokens { traits: model.traits.len(), ids: Vec::new(), variants: Vec::new(), legendaries: Vec::new() };
        'tokens: for (id, entry) in entries {
            match entry {
                TokenEntry::Generated(names) => {
                    let mut row = Vec::with_capacity(model.traits.len());
                    for ((t, c), index) in model.traits.iter().zip(&column).zip(&variant_index) {
                        let Some(c) = c else { continue 'tokens };
                        let name = names.get(*c).map_or("", |n| &**n);
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
                TokenEntry::Legendary(name) => match model.legendaries.iter().position(|l| l.name == *name) {
                    Some(index) => tokens.legendaries.push((id, index)),
                    None => problems.push((Some(id), format!("names the legendary `{name}`, which does not exist"))),
                },
            }
        }
        (tokens, problems)
    }

    /// The variant names of a generated token, by model trait (`None` when
    /// the record lacks the token, the trait, or has a legendary there).
    pub fn variant_names<'r>(&'r self, model: &Model, entry: &'r TokenEntry) -> Vec<Option<&'r str>> {
        match entry {
            TokenEntry::Generated(names) => model
                .traits
                .iter()
                .map(|t| self.traits.iter().position(|n| *n == t.name).and_then(|c| names.get(c)).map(|n| &**n))
                .collect(),
            TokenEntry::Legendary(_) => vec![None; model.traits.len()],
        }
    }
}

/// One line of `rarity.json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RarityLine {
    /// Token id.
    pub id: u64,
    /// Rank, 1 the rarest.
    pub rank: usize,
    /// OpenRarity score.
    pub score: f64,
}

/// `rarity.json` as written to disk: one token per line.
pub fn rarity_to_json(lines: &[RarityLine]) -> Vec<u8> {
    to_lines(lines, 1)
}

/// One image of `provenance.json`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageDigest {
    /// Token id.
    pub id: u64,
    /// SHA-256 of `images/<id>.png`, lowercase hex.
    pub sha256: String,
}

/// `provenance.json`: every image's SHA-256 in id order, their
/// concatenation and its SHA-256, the provenance hash.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProvenanceRecord {
    /// `sha256`.
    pub algorithm: String,
    /// Every canvas-size image, in id order.
    pub images: Vec<ImageDigest>,
    /// The digests joined in id order.
    pub concatenated: String,
    /// SHA-256 of `concatenated`.
    pub provenance: String,
}

impl ProvenanceRecord {
    /// The record as written to disk.
    pub fn to_json(&self) -> Vec<u8> {
        to_pretty(self)
    }
}

/// `manifest.json`: what each token's images were made from, so that a run
/// after an edit renders only what changed, and a rerun after a kill reuses
/// every image that still hashes to its record.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// The dropc version that wrote it (keys are only comparable within one).
    pub dropc_version: String,
    /// Per token id.
    pub tokens: BTreeMap<u64, ManifestEntry>,
}

/// One token's images.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManifestEntry {
    /// Hash of every input that shapes the canvas-size image.
    pub key: String,
    /// SHA-256 of `images/<id>.png`.
    pub sha256: String,
    /// Every extra size, by folder name (`512x512`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub sizes: BTreeMap<String, SizedImage>,
}

/// One extra size of a token.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SizedImage {
    /// Hash of the canvas image's key and the resizing (size, filter,
    /// compression).
    pub key: String,
    /// SHA-256 of `images/<W>x<H>/<id>.png`.
    pub sha256: String,
}

impl Manifest {
    /// The manifest as written to disk: one token per line.
    pub fn to_json(&self) -> Vec<u8> {
        to_lines(self, 2)
    }
}

/// One line of `manifest.journal`: a token whose images a run finished.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct JournalLine {
    /// The dropc version that wrote it.
    pub dropc_version: String,
    /// Token id.
    pub id: u64,
    /// Its images.
    pub entry: ManifestEntry,
}

impl JournalLine {
    /// The line as appended to the journal, newline included.
    pub fn to_line(&self) -> Vec<u8> {
        let mut out = serde_json::to_vec(self).unwrap_or_default();
        out.push(b'\n');
        out
    }

    /// Every complete line of a journal, in order; a line cut short by a
    /// kill, or written by another version, is skipped.
    pub fn parse_all(bytes: &[u8]) -> Vec<JournalLine> {
        bytes
            .split(|&b| b == b'\n')
            .filter_map(|line| serde_json::from_slice::<JournalLine>(line).ok())
            .filter(|l| l.dropc_version == env!("CARGO_PKG_VERSION"))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_round_trip_one_token_per_line() {
        let record = TokensRecord {
            collection: "C".into(),
            seed: "1".into(),
            traits: vec!["A".into(), "B".into()],
            tokens: vec![
                (1, TokenEntry::Generated(["x".into(), "y \"q\"".into()].into())),
                (2, TokenEntry::Legendary("L".into())),
            ],
        };
        let bytes = record.to_json();
        let text = String::from_utf8(bytes.clone()).expect("utf-8");
        assert_eq!(
            text,
            "{\n  \"collection\": \"C\",\n  \"seed\": \"1\",\n  \"traits\": [\n    \"A\",\n    \"B\"\n  ],\n  \
             \"tokens\": [\n    {\"id\":1,\"variants\":[\"x\",\"y \\\"q\\\"\"]},\n    {\"id\":2,\"legendary\":\"L\"}\n  ]\n}\n"
        );
        assert_eq!(TokensRecord::parse(&bytes), Ok(record));
        let bad = br#"{"collection":"C","seed":"1","traits":["A"],"tokens":[{"id":1}]}"#;
        assert_eq!(TokensRecord::parse(bad), Err("token 1 has neither `variants` nor `legendary`".to_string()));
        assert!(serde_json::from_slice::<TokensRecord>(bad).is_err());
        let short = br#"{"collection":"C","seed":"1","traits":["A","B"],"tokens":[{"id":1,"variants":["x"]}]}"#;
        assert_eq!(TokensRecord::parse(short), Err("token 1 has 1 variants for 2 traits".to_string()));
    }

    #[test]
    fn empty_containers_stay_compact() {
        let m = Manifest { dropc_version: "v".into(), tokens: BTreeMap::new() };
        assert_eq!(
            String::from_utf8(m.to_json()).expect("utf-8"),
            "{\n  \"dropc_version\": \"v\",\n  \"tokens\": {}\n}\n"
        );
        assert_eq!(rarity_to_json(&[]), b"[]\n");
    }

    #[test]
    fn earlier_collection_records_read_as_version_0() {
        let old = br#"{"dropc_version":"0.1.0","collection":"C","seed":"1","size":1,"generated":1,
            "traits":[],"legendaries":[],"inputs":{"source":"00","art":{}}}"#;
        let record: CollectionRecord = serde_json::from_slice(old).expect("parses");
        assert_eq!(record.format_version, 0);
        assert!(record.images);
        assert!(record.sizes.is_empty());
    }

    #[test]
    fn a_journal_cut_short_keeps_its_complete_lines() {
        let entry = ManifestEntry { key: "k".into(), sha256: "s".into(), sizes: BTreeMap::new() };
        let line = JournalLine { dropc_version: env!("CARGO_PKG_VERSION").into(), id: 7, entry };
        let mut bytes = line.to_line();
        bytes.extend_from_slice(&line.to_line()[..10]);
        assert_eq!(JournalLine::parse_all(&bytes), vec![line]);
    }
}
