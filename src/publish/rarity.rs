//! Rarity ranks and scores, computed exactly as OpenRarity does, so that the
//! `rarity.json` a studio publishes agrees with what OpenSea shows.
//!
//! OpenRarity's model (open_rarity 0.7, `InformationContentScoringHandler`,
//! `Collection`, `TokenFeatureExtractor` and `RarityRanker`):
//!
//! - attribute names and string values are normalised: lower case, leading
//!   and trailing white space removed;
//! - every token gets one extra attribute, `meta_trait:trait_count`, whose
//!   value is the number of its attributes whose value is neither `none` nor
//!   empty;
//! - every trait type of the collection counts for every token: a token
//!   without it has the value `Null`, whose count is the number of tokens
//!   without the trait type;
//! - the information content of a token is `Σ −log2(count / supply)` over all
//!   trait types (the meta trait included), and its score is that sum divided
//!   by the collection entropy `Σ −p·log2(p)` over every (trait type, value)
//!   pair, `Null` values included (1 when the entropy is 0);
//! - ranking sorts by the number of unique attributes (a value held by
//!   exactly one token; `Null` never counts, the meta trait does), then by
//!   score, both descending, ties kept in input order; a token whose score is
//!   close to its predecessor's (Python's `math.isclose`: relative tolerance
//!   1e-9) shares its rank: standard competition ranking (1, 2, 2, 2, 5).
//!
//! OpenRarity refuses collections with numeric attributes; dropc writes a
//! legendary's numeric attribute as its JSON text and scores it as a string.
//! Summation follows OpenRarity's order (attribute names sorted), so scores
//! match its published values to the last bit on its test collections.

use crate::model::Model;
use crate::sample::Tokens;

/// The name of OpenRarity's trait-count meta trait.
pub const TRAIT_COUNT_ATTRIBUTE: &str = "meta_trait:trait_count";

/// The rarity of one token.
#[derive(Clone, Debug, PartialEq)]
pub struct RarityEntry {
    /// The token's position in the collection passed to [`scores`].
    pub index: usize,
    /// Its rank, 1 for the rarest; tokens with equal scores share a rank.
    pub rank: usize,
    /// Its information-content score normalised by the collection entropy.
    pub score: f64,
    /// Number of its attributes no other token has (the first ranking key).
    pub unique_attributes: usize,
}

/// OpenRarity's normalisation of names and values.
fn normalise(s: &str) -> String {
    s.to_lowercase().trim().to_string()
}

/// Whether two scores are equal for ranking (`math.isclose` defaults).
fn is_close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs())
}

/// Scores and ranks `collection`, one list of `(trait_type, value)` pairs per
/// token. Returns one entry per token, in rank order (rarest first; tokens
/// with the same rank keep the order of `collection`).
///
/// A token listing a trait type twice keeps the last value, as OpenRarity's
/// attribute dictionary does.
pub fn scores(collection: &[Vec<(String, String)>]) -> Vec<RarityEntry> {
    let supply = collection.len();
    if supply == 0 {
        return Vec::new();
    }
    // Normalised names and values, each stored once: a token is a list of
    // (name, value) numbers, not a map of strings (the scoring holds every
    // token's attributes at once).
    let mut strings = Interner::default();
    let count_name = strings.id(TRAIT_COUNT_ATTRIBUTE);
    let tokens: Vec<Vec<(u32, u32)>> = collection
        .iter()
        .map(|attributes| {
            let mut pairs: Vec<(u32, u32)> = Vec::with_capacity(attributes.len() + 1);
            for (name, value) in attributes {
                let name = strings.id(&normalise(name));
                if name == count_name {
                    continue;
                }
                let value = strings.id(&normalise(value));
                // A name given twice keeps its last value.
                match pairs.iter_mut().find(|(n, _)| *n == name) {
                    Some(pair) => pair.1 = value,
                    None => pairs.push((name, value)),
                }
            }
            let count = pairs.iter().filter(|&&(_, v)| !strings.get(v).is_empty() && strings.get(v) != "none").count();
            pairs.push((count_name, strings.id(&count.to_string())));
            pairs
        })
        .collect();
    // Names in sorted order, as OpenRarity sums them; each token's pairs in
    // that order.
    let mut names: Vec<u32> = tokens.iter().flatten().map(|&(n, _)| n).collect();
    names.sort_unstable_by(|&a, &b| strings.get(a).cmp(strings.get(b)));
    names.dedup();
    let mut place = vec![usize::MAX; strings.len()];
    for (i, &n) in names.iter().enumerate() {
        place[n as usize] = i;
    }
    let tokens: Vec<Vec<(usize, u32)>> = tokens
        .into_iter()
        .map(|pairs| {
            let mut placed: Vec<(usize, u32)> = pairs.into_iter().map(|(n, v)| (place[n as usize], v)).collect();
            placed.sort_unstable_by_key(|&(p, _)| p);
            placed
        })
        .collect();

    // Frequency counts: per name (sorted), its values in first-seen order
    // (OpenRarity's dictionaries keep insertion order; only the entropy sum
    // depends on it).
    let mut frequencies: Vec<Vec<(u32, usize)>> = vec![Vec::new(); names.len()];
    for token in &tokens {
        for &(name, value) in token {
            let values = &mut frequencies[name];
            match values.iter_mut().find(|(v, _)| *v == value) {
                Some((_, n)) => *n += 1,
                None => values.push((value, 1)),
            }
        }
    }
    let count_of = |name: usize, value: u32| -> usize {
        frequencies[name].iter().find(|(v, _)| *v == value).map_or(0, |&(_, n)| n)
    };
    // Tokens without each name (the `Null` value's count).
    let nulls: Vec<usize> =
        frequencies.iter().map(|values| supply - values.iter().map(|&(_, n)| n).sum::<usize>()).collect();

    let total = supply as f64;
    let mut probabilities: Vec<f64> = Vec::new();
    for (values, &null) in frequencies.iter().zip(&nulls) {
        probabilities.extend(values.iter().map(|&(_, n)| n as f64 / total));
        if null > 0 {
            probabilities.push(null as f64 / total);
        }
    }
    let entropy: f64 = -probabilities.iter().map(|&p| p * p.log2()).sum::<f64>();
    let normalisation = if entropy == 0.0 { 1.0 } else { entropy };

    let mut entries: Vec<RarityEntry> = tokens
        .iter()
        .enumerate()
        .map(|(index, token)| {
            // Every name of the collection, in sorted order.
            let mut information = 0.0_f64;
            let mut unique_attributes = 0;
            let mut pairs = token.iter().peekable();
            for (name, &null) in nulls.iter().enumerate() {
                let count = match pairs.next_if(|&&(n, _)| n == name) {
                    Some(&(_, value)) => {
                        let n = count_of(name, value);
                        if n == 1 {
                            unique_attributes += 1;
                        }
                        n
                    }
                    None => null,
                };
                let inverse = total / count.max(1) as f64;
                information += (1.0 / inverse).log2();
            }
            RarityEntry { index, rank: 0, score: -information / normalisation, unique_attributes }
        })
        .collect();
    rank(&mut entries);
    entries
}

/// Strings numbered in order of first use.
#[derive(Default)]
struct Interner {
    ids: std::collections::HashMap<String, u32>,
    strings: Vec<String>,
}

impl Interner {
    fn id(&mut self, s: &str) -> u32 {
        if let Some(&id) = self.ids.get(s) {
            return id;
        }
        let id = self.strings.len() as u32;
        self.strings.push(s.to_string());
        self.ids.insert(s.to_string(), id);
        id
    }

    fn get(&self, id: u32) -> &str {
        &self.strings[id as usize]
    }

    fn len(&self) -> usize {
        self.strings.len()
    }
}

/// Sorts `entries` by unique attributes then score (descending, stable) and
/// sets their ranks (standard competition ranking on close scores).
fn rank(entries: &mut [RarityEntry]) {
    entries.sort_by(|a, b| b.unique_attributes.cmp(&a.unique_attributes).then_with(|| b.score.total_cmp(&a.score)));
    for i in 0..entries.len() {
        let rank = match i.checked_sub(1).map(|p| &entries[p]) {
            Some(prev) if is_close(entries[i].score, prev.score) => prev.rank,
            _ => i + 1,
        };
        entries[i].rank = rank;
    }
}

/// The metadata attributes of every token, in token order, as OpenRarity
/// reads them: exactly the `attributes` that [`super::metadata`] writes
/// (`none` and hidden traits omitted, metadata-only traits and legendaries'
/// attributes included), numbers as their JSON text.
pub fn collection_attributes(model: &Model, tokens: &Tokens) -> Vec<Vec<(String, String)>> {
    tokens
        .iter()
        .map(|token| {
            let doc = super::metadata(model, token);
            doc.get("attributes")
                .and_then(|a| a.as_array())
                .map(|attributes| {
                    attributes
                        .iter()
                        .filter_map(|a| {
                            let name = a.get("trait_type")?.as_str()?.to_string();
                            let value = match a.get("value")? {
                                serde_json::Value::String(s) => s.clone(),
                                other => other.to_string(),
                            };
                            Some((name, value))
                        })
                        .collect()
                })
                .unwrap_or_default()
        })
        .collect()
}

/// `rarity.json`: `[{"id", "rank", "score"}]` for every token, sorted by rank
/// then id, scored on the attributes its metadata publishes.
pub fn rarity_json(model: &Model, tokens: &Tokens) -> Vec<u8> {
    crate::output::rarity_to_json(&rarity_lines(model, tokens))
}

/// The lines of `rarity.json`, sorted by rank then id.
pub fn rarity_lines(model: &Model, tokens: &Tokens) -> Vec<crate::output::RarityLine> {
    use crate::output::RarityLine;
    let ids: Vec<u64> = tokens.iter().map(|t| t.id()).collect();
    let mut lines: Vec<RarityLine> = scores(&collection_attributes(model, tokens))
        .into_iter()
        .filter_map(|e| ids.get(e.index).map(|&id| RarityLine { id, rank: e.rank, score: e.score }))
        .collect();
    lines.sort_by_key(|l| (l.rank, l.id));
    lines
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    /// The scoring as first written, over a map of strings per token: the
    /// numbered scoring must give the same entries, bit for bit.
    fn scores_by_maps(collection: &[Vec<(String, String)>]) -> Vec<RarityEntry> {
        let supply = collection.len();
        if supply == 0 {
            return Vec::new();
        }
        // Normalised attributes of every token, meta trait included, by name.
        let tokens: Vec<BTreeMap<String, String>> = collection
            .iter()
            .map(|attributes| {
                let mut map: BTreeMap<String, String> = BTreeMap::new();
                for (name, value) in attributes {
                    let name = normalise(name);
                    if name != TRAIT_COUNT_ATTRIBUTE {
                        map.insert(name, normalise(value));
                    }
                }
                let count = map.values().filter(|v| !v.is_empty() && v.as_str() != "none").count();
                map.insert(TRAIT_COUNT_ATTRIBUTE.to_string(), count.to_string());
                map
            })
            .collect();

        // Frequency counts: trait type -> value -> tokens, values in first-seen
        // order (OpenRarity's dictionaries keep insertion order; only the entropy
        // sum depends on it).
        let mut frequencies: BTreeMap<&str, Vec<(&str, usize)>> = BTreeMap::new();
        for token in &tokens {
            for (name, value) in token {
                let values = frequencies.entry(name.as_str()).or_default();
                match values.iter_mut().find(|(v, _)| *v == value.as_str()) {
                    Some((_, n)) => *n += 1,
                    None => values.push((value.as_str(), 1)),
                }
            }
        }
        let count_of = |name: &str, value: &str| -> usize {
            frequencies.get(name).and_then(|vs| vs.iter().find(|(v, _)| *v == value)).map_or(0, |&(_, n)| n)
        };
        // Tokens without each trait type (the `Null` value's count).
        let nulls: BTreeMap<&str, usize> = frequencies
            .iter()
            .map(|(&name, values)| (name, supply - values.iter().map(|&(_, n)| n).sum::<usize>()))
            .collect();

        let total = supply as f64;
        let mut probabilities: Vec<f64> = Vec::new();
        for (name, values) in &frequencies {
            probabilities.extend(values.iter().map(|&(_, n)| n as f64 / total));
            if let Some(&n) = nulls.get(name).filter(|&&n| n > 0) {
                probabilities.push(n as f64 / total);
            }
        }
        let entropy: f64 = -probabilities.iter().map(|&p| p * p.log2()).sum::<f64>();
        let normalisation = if entropy == 0.0 { 1.0 } else { entropy };

        let mut entries: Vec<RarityEntry> = tokens
            .iter()
            .enumerate()
            .map(|(index, token)| {
                // Every trait type of the collection, in sorted name order.
                let mut information = 0.0_f64;
                let mut unique_attributes = 0;
                for &name in frequencies.keys() {
                    let count = match token.get(name) {
                        Some(value) => {
                            let n = count_of(name, value);
                            if n == 1 {
                                unique_attributes += 1;
                            }
                            n
                        }
                        None => nulls.get(name).copied().unwrap_or(0),
                    };
                    let inverse = total / count.max(1) as f64;
                    information += (1.0 / inverse).log2();
                }
                RarityEntry { index, rank: 0, score: -information / normalisation, unique_attributes }
            })
            .collect();
        rank(&mut entries);
        entries
    }

    proptest::proptest! {
        #[test]
        fn numbered_scoring_is_the_scoring_by_maps(
            tokens in proptest::collection::vec(
                proptest::collection::vec((0usize..6, 0usize..5), 0..7),
                1..40,
            ),
        ) {
            // Names and values that normalise alike, repeat, are empty,
            // `none`, or the meta trait's own name.
            const NAMES: [&str; 6] = ["Eyes", " eyes", "Hat", "meta_trait:trait_count", "B", "a"];
            const VALUES: [&str; 5] = ["none", "", "Red", "red ", "Blue"];
            let c: Vec<Vec<(String, String)>> = tokens
                .iter()
                .map(|t| t.iter().map(|&(n, v)| (NAMES[n].to_string(), VALUES[v].to_string())).collect())
                .collect();
            let (new, old) = (scores(&c), scores_by_maps(&c));
            proptest::prop_assert_eq!(new.len(), old.len());
            for (a, b) in new.iter().zip(&old) {
                proptest::prop_assert_eq!((a.index, a.rank, a.unique_attributes), (b.index, b.rank, b.unique_attributes));
                proptest::prop_assert_eq!(a.score.to_bits(), b.score.to_bits());
            }
        }
    }

    fn collection(tokens: &[&[(&str, &str)]]) -> Vec<Vec<(String, String)>> {
        tokens.iter().map(|t| t.iter().map(|&(k, v)| (k.to_string(), v.to_string())).collect()).collect()
    }

    /// (index, unique attributes, rank) in rank order.
    fn ranking(entries: &[RarityEntry]) -> Vec<(usize, usize, usize)> {
        entries.iter().map(|e| (e.index, e.unique_attributes, e.rank)).collect()
    }

    /// OpenRarity's `test_rarity_ranker_same_scores`: its published scores,
    /// bit for bit, and ranks 1, 2, 3, 3, 5.
    #[test]
    fn openrarity_five_token_vector() {
        let c = collection(&[
            &[("trait1", "value1"), ("trait2", "value1"), ("trait3", "value1")],
            &[("trait1", "value1"), ("trait2", "value1"), ("trait3", "value1")],
            &[("trait1", "value2"), ("trait2", "value1"), ("trait3", "value3")],
            &[("trait1", "value2"), ("trait2", "value2"), ("trait3", "value3")],
            &[("trait1", "value3"), ("trait2", "value3"), ("trait3", "value3")],
        ]);
        let r = scores(&c);
        assert_eq!(ranking(&r), vec![(4, 2, 1), (3, 1, 2), (0, 0, 3), (1, 0, 3), (2, 0, 5)]);
        let got: Vec<f64> = r.iter().map(|e| e.score).collect();
        let want = [1.3926137488801251, 1.1338031424711967, 0.8749925360622679, 0.8749925360622679, 0.7235980365241422];
        assert_eq!(got, want);
    }

    /// OpenRarity's `test_information_content_rarity_uniform` (smaller): every
    /// token of a uniform collection scores 1.0.
    #[test]
    fn uniform_collection_scores_one() {
        // 5 attributes, 10 values each, token i has value i % 10 everywhere.
        let c: Vec<Vec<(String, String)>> = (0..1000)
            .map(|i| (0..5).map(|a| (format!("attribute_{a}"), format!("value_{}", i % 10))).collect())
            .collect();
        let r = scores(&c);
        assert_eq!(r.len(), 1000);
        for e in &r {
            assert!((e.score - 1.0).abs() < 1e-12, "{}", e.score);
            assert_eq!(e.rank, 1);
        }
    }

    /// `test_rarity_ranker_equal_score_and_unique_trait`: the meta trait
    /// counts as a unique attribute (token 3 has 4 traits, the others 3) and
    /// equal scores share a rank across unique-count groups.
    #[test]
    fn unique_traits_rank_first_and_meta_trait_counts() {
        let c = collection(&[
            &[("trait1", "value1"), ("trait2", "value1"), ("trait3", "value2")],
            &[("trait1", "value1"), ("trait2", "value2"), ("trait3", "value2")],
            &[("trait1", "value1"), ("trait2", "value2"), ("trait3", "value3")],
            &[("trait1", "value1"), ("trait2", "value2"), ("trait3", "value2"), ("trait4", "value1")],
        ]);
        assert_eq!(ranking(&scores(&c)), vec![(3, 2, 1), (0, 1, 2), (2, 1, 2), (1, 0, 4)]);
    }

    /// `test_rarity_ranker_unique_scores`.
    #[test]
    fn unique_scores_rank_distinctly() {
        let c = collection(&[
            &[("trait1", "value1"), ("trait2", "value1"), ("trait3", "value2")],
            &[("trait1", "value1"), ("trait2", "value2"), ("trait3", "value2")],
            &[("trait1", "value1"), ("trait2", "value2"), ("trait3", "value3")],
            &[("trait1", "value1"), ("trait2", "value4"), ("trait3", "value2"), ("trait4", "value1")],
        ]);
        assert_eq!(ranking(&scores(&c)), vec![(3, 3, 1), (2, 1, 2), (0, 1, 3), (1, 0, 4)]);
    }

    /// `test_information_content_null_value_attribute`: missing trait types
    /// score as `Null` and the entropy includes `Null` and the meta trait.
    #[test]
    fn null_values_and_meta_trait_in_entropy() {
        let c = collection(&[
            &[("bottom", "spec"), ("hat", "spec"), ("special", "true")],
            &[("bottom", "1"), ("hat", "1"), ("special", "true")],
            &[("bottom", "1"), ("hat", "1")],
            &[("bottom", "2"), ("hat", "2")],
            &[("bottom", "2"), ("hat", "2")],
            &[("bottom", "3"), ("hat", "2")],
        ]);
        let spread: [&[f64]; 4] = [&[2.0, 2.0, 1.0, 1.0], &[2.0, 3.0, 1.0], &[2.0, 4.0], &[4.0, 2.0]];
        let entropy: f64 = spread.iter().flat_map(|s| s.iter()).map(|&n| -(n / 6.0) * (n / 6.0).log2()).sum();
        let mut by_index = scores(&c);
        by_index.sort_by_key(|e| e.index);
        let s: Vec<f64> = by_index.iter().map(|e| e.score).collect();
        assert!(s[0] > s[1] && s[1] > s[2] && s[5] > s[2] && s[2] > s[3]);
        assert_eq!(s[3], s[4]);
        // Token 2: bottom=1 (2), hat=1 (2), special=Null (4), trait count 2 (4).
        let expected = [2.0, 2.0, 4.0, 4.0].iter().map(|&n: &f64| (6.0 / n).log2()).sum::<f64>() / entropy;
        assert!((s[2] - expected).abs() < 1e-12);
    }

    /// `test_information_content_empty_attribute`: a `none` value scores like
    /// a missing one; names and values are normalised.
    #[test]
    fn none_equals_missing_and_normalisation() {
        let with_missing = collection(&[
            &[("bottom", "1"), ("hat", "1"), ("special", "true")],
            &[("bottom", "1"), ("hat", "1")],
            &[("bottom", "2"), ("hat", "2")],
            &[("bottom", "2"), ("hat", "2")],
            &[("bottom", "3"), ("hat", "2")],
        ]);
        let with_none = collection(&[
            &[("Bottom", "1"), ("hat", "1 "), ("special", "TRUE")],
            &[("bottom", "1"), ("hat", "1"), ("special", "none")],
            &[("bottom", "2"), ("HAT", "2"), ("special", "None")],
            &[("bottom", "2"), ("hat", "2"), ("special", "none")],
            &[("bottom", "3"), ("hat", "2"), ("special", " none")],
        ]);
        let a: Vec<f64> = scores(&with_missing).iter().map(|e| e.score).collect();
        let b: Vec<f64> = scores(&with_none).iter().map(|e| e.score).collect();
        for (x, y) in a.iter().zip(&b) {
            assert!((x - y).abs() < 1e-12, "{a:?} vs {b:?}");
        }
    }

    /// One token: score 0, rank 1; no tokens: nothing.
    #[test]
    fn degenerate_collections() {
        let r = scores(&collection(&[&[("trait1", "value1")]]));
        assert_eq!((r[0].rank, r[0].score), (1, 0.0));
        assert!(scores(&[]).is_empty());
    }

    /// Competition ranking on close scores: 1, 2, 2, 2, 5.
    #[test]
    fn competition_ranking() {
        let mut e: Vec<RarityEntry> = [3.0, 2.0, 2.0 + 1e-12, 2.0, 1.0]
            .iter()
            .enumerate()
            .map(|(index, &score)| RarityEntry { index, rank: 0, score, unique_attributes: 0 })
            .collect();
        rank(&mut e);
        assert_eq!(e.iter().map(|e| e.rank).collect::<Vec<_>>(), vec![1, 2, 2, 2, 5]);
    }

    const DROP: &str = r#"collection "R" {
    size 12
    seed 7
    canvas 4 x 4
    layers "layers"
    name "R #{id}"
    description "d"
    image "ipfs://x/{id}.png"
}
hidden trait Shadow < Soft: 1, Hard: 1 >
trait Body < Ape: 3, Robot: 1 >
metadata trait Mood < Calm: 1, Angry: 1 >
trait Hat < none: 1, Cap: 1 >
legendary "The One" at 5 "one.png" { Body: "Gold", Power: 100 }
"#;

    fn model_and_tokens() -> (Model, Tokens) {
        let checked = crate::check_text(DROP, &crate::check::NoArt);
        assert!(!checked.has_errors(), "{:?}", checked.diagnostics);
        let model = checked.model.expect("model");
        let tokens = crate::sample(&model, "7").expect("sample");
        (model, tokens)
    }

    /// The attributes scored are the metadata's: no hidden trait, no `none`,
    /// metadata-only traits and legendary attributes included.
    #[test]
    fn attributes_follow_metadata() {
        let (model, tokens) = model_and_tokens();
        let attributes = collection_attributes(&model, &tokens);
        assert_eq!(attributes.len(), tokens.len());
        for (token, attrs) in tokens.iter().zip(&attributes) {
            assert!(attrs.iter().all(|(k, v)| k != "Shadow" && v != "none"));
            match token {
                crate::sample::Token::Legendary { .. } => assert_eq!(
                    attrs,
                    &vec![("Body".to_string(), "Gold".to_string()), ("Power".to_string(), "100".to_string())]
                ),
                crate::sample::Token::Generated { .. } => {
                    assert!(attrs.iter().any(|(k, _)| k == "Mood"));
                    assert!(attrs.iter().any(|(k, _)| k == "Body"));
                }
            }
        }
    }

    /// `rarity.json` lists every token once, sorted by rank then id, and is
    /// deterministic.
    #[test]
    fn rarity_json_sorted_and_complete() {
        let (model, tokens) = model_and_tokens();
        let bytes = rarity_json(&model, &tokens);
        assert_eq!(bytes, rarity_json(&model, &tokens));
        let v: serde_json::Value = serde_json::from_slice(&bytes).expect("json");
        let lines = v.as_array().expect("array");
        assert_eq!(lines.len(), tokens.len());
        let keys: Vec<(u64, u64)> =
            lines.iter().map(|l| (l["rank"].as_u64().unwrap_or(0), l["id"].as_u64().unwrap_or(0))).collect();
        let mut sorted = keys.clone();
        sorted.sort();
        assert_eq!(keys, sorted);
        let mut ids: Vec<u64> = keys.iter().map(|k| k.1).collect();
        ids.sort();
        assert_eq!(ids, tokens.iter().map(|t| t.id()).collect::<Vec<_>>());
        assert_eq!(keys[0].0, 1);
        // The legendary is unique in Body and Power: it ranks first.
        assert_eq!(lines[0]["id"], 5);
        assert!(lines.iter().all(|l| l.as_object().map(|o| o.len()) == Some(3)));
    }
}
