//! nftchef/art-engine folders: HashLips' layout plus nested weighted
//! folders, files without a weight that are always drawn, `z<N>,` depth
//! prefixes and `NONE` files.
//!
//! The engine (src/main.js) builds each layer as a tree. In a folder it
//! draws every file without a weight ("required"), enters every folder
//! without a weight, and picks one weighted element (weight / sum): a file is
//! drawn, a folder is entered, a file named `emptyLayerName` (`NONE`) draws
//! nothing. A `z<N>,` prefix on a file or folder gives it (and what it holds)
//! the global depth `N`; the rest are at 0. It then orders each token's files
//! by depth, then by layer, and inside a layer as its `sortLayers` does
//! (shallow paths first, depth-0 files by their DNA text).
//!
//! Here each possible outcome of a layer (a set of files) becomes a variant
//! whose weight is the product of the weights along its path (scaled to whole
//! numbers), named with the attribute value the engine writes; its files are
//! listed in the engine's order, and those at a negative (positive) depth are
//! placed below the first (above the last) trait.
//!
//! The engine's `incompatible` and `forcedCombinations` settings become
//! rules. Both are keyed by the clean name of a weighted file or folder: once
//! the engine picks it, `incompatible` removes the listed names from every
//! later pick (a file or a whole folder), and `forcedCombinations` makes each
//! later folder pick the first listed name it holds, level by level. So
//! `incompatible[X] = [Y]` is `forbid` (every variant whose picks include
//! `X`) `with` (every variant of another trait whose picks include `Y`), and
//! a forced combination is `require` (variants with `X`) `->` (the variants
//! of that trait whose picks include the forced chain). The engine applies
//! both only to layers after the key's; dropc's rules hold whatever the
//! order, and the import says where that differs. A name that only required
//! (unweighted) elements have, or that lies in the key's own layer, is not
//! translated, and the import says so.

use super::config::Config;
use super::hashlips::{bypass, disambiguate, layer_trait, new_draft};
use super::{
    Draft, DraftPart, DraftRule, DraftVariant, Engine, ImportError, LayerPlan, Place, RuleKind, Source, Weight, is_png,
    list_dir,
};

/// An element of a layer's tree.
#[derive(Clone, Debug)]
struct Element {
    id: usize,
    /// The clean name.
    name: String,
    filename: String,
    /// Relative to the layers folder.
    path: String,
    /// `None`: required (no weight).
    weight: Option<u128>,
    /// The depth prefix (`z-10,`), own or inherited; empty for none.
    zindex: String,
    /// The attribute value the engine writes for a drawn file.
    trait_value: String,
    children: Vec<Element>,
    is_dir: bool,
}

/// A file the engine draws: its DNA text and depth.
#[derive(Clone, Debug)]
struct Drawn {
    dna: String,
    z: i64,
    path: String,
    trait_value: String,
}

#[derive(Clone, Copy, Debug)]
enum Op {
    Push,
    Unshift,
}

/// One way a folder can be picked: its probability and the DNA operations, in order.
#[derive(Clone, Debug)]
struct Outcome {
    num: u128,
    den: u128,
    ops: Vec<(Op, Drawn)>,
    /// The weighted choices made: clean name, weight and the sum of its folder's weights.
    path: Vec<(String, u128, u128)>,
    /// A `NONE` file was chosen somewhere.
    none: Vec<String>,
}

fn gcd(a: u128, b: u128) -> u128 {
    if b == 0 { a } else { gcd(b, a % b) }
}

struct Reader<'a> {
    delimiter: String,
    empty_name: String,
    overrides: Vec<(String, String)>,
    root: &'a std::path::Path,
    warnings: Vec<String>,
}

/// The first `z-?\d*,` in `s`.
fn zflag(s: &str) -> Option<(usize, usize)> {
    let bytes = s.as_bytes();
    for start in 0..bytes.len() {
        if bytes[start] != b'z' {
            continue;
        }
        let mut i = start + 1;
        if bytes.get(i) == Some(&b'-') {
            i += 1;
        }
        while bytes.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        if bytes.get(i) == Some(&b',') {
            return Some((start, i + 1));
        }
    }
    None
}

/// `parseZIndex`: the number of the first depth prefix in `s`.
fn parse_z(s: &str) -> Option<i64> {
    let (a, b) = zflag(s)?;
    s[a + 1..b - 1].parse().ok()
}

impl Reader<'_> {
    /// `cleanName`: without the depth prefix, the extension and the weight.
    fn clean_name(&self, s: &str) -> String {
        let without_z = match zflag(s) {
            Some((a, b)) => format!("{}{}", &s[..a], &s[b..]),
            None => s.to_string(),
        };
        let has_ext = without_z.rfind('.').is_some_and(|dot| {
            let ext = &without_z[dot + 1..];
            !ext.is_empty() && ext.chars().all(|c| c.is_ascii_alphanumeric())
        });
        let base = if has_ext {
            let cut = without_z.char_indices().rev().nth(3).map_or(0, |(i, _)| i);
            &without_z[..cut]
        } else {
            &without_z
        };
        base.split(self.delimiter.as_str()).next().unwrap_or(base).to_string()
    }

    /// `getRarityWeight`: the digits after the first delimiter (none: required).
    fn weight(&self, s: &str) -> Result<Option<u128>, String> {
        let Some(at) = s.find(self.delimiter.as_str()) else { return Ok(None) };
        let digits: String = s[at + self.delimiter.len()..].chars().take_while(char::is_ascii_digit).collect();
        if digits.is_empty() {
            return Ok(Some(0));
        }
        digits.parse().map(Some).map_err(|_| format!("the weight of `{s}` is too large"))
    }

    fn override_value(&self, value: String) -> String {
        self.overrides.iter().find(|(k, _)| *k == value).map_or(value, |(_, v)| v.clone())
    }

    /// `getElements`: the elements of folder `rel` (relative to the layers folder).
    fn elements(&mut self, rel: &str, parent_z: &str) -> Result<Vec<Element>, ImportError> {
        let dir = self.root.join(rel);
        let parent_name = rel.rsplit('/').next().unwrap_or(rel).to_string();
        let mut out = Vec::new();
        for entry in list_dir(&dir)? {
            if super::hidden(&entry.name) || entry.name.contains(".ini") {
                continue;
            }
            let path = format!("{rel}/{}", entry.name);
            if !entry.is_dir && !is_png(&entry.name) {
                self.warnings.push(format!(
                    "skipped `{path}`: dropc draws PNG files only, so the other choices there are more likely than in the engine; convert it to PNG and import again"
                ));
                continue;
            }
            let id = out.len();
            let name = self.clean_name(&entry.name);
            let weight = self.weight(&entry.name).map_err(ImportError::Input)?;
            let zindex = zflag(&entry.name).map_or_else(|| parent_z.to_string(), |(a, b)| entry.name[a..b].to_string());
            let raw_value = if weight.is_some() { name.clone() } else { self.clean_name(&parent_name) };
            let trait_value = self.override_value(raw_value);
            let children = if entry.is_dir { self.elements(&path, &zindex)? } else { Vec::new() };
            out.push(Element {
                id,
                name,
                filename: entry.name.clone(),
                path,
                weight,
                zindex,
                trait_value,
                children,
                is_dir: entry.is_dir,
            });
        }
        Ok(out)
    }

    /// `pickRandomElement`, every way it can go.
    fn outcomes(&self, elements: &[Element], parent_id: &str) -> Vec<Outcome> {
        // Required files and folders, in order, then one weighted pick.
        let mut acc = vec![Outcome { num: 1, den: 1, ops: Vec::new(), path: Vec::new(), none: Vec::new() }];
        for e in elements.iter().filter(|e| e.weight.is_none()) {
            let address = format!("{parent_id}.{}", e.id);
            if e.is_dir {
                let sub = self.outcomes(&e.children, &address);
                acc = combine(&acc, &sub);
            } else {
                let drawn = self.drawn(e, &address);
                for o in &mut acc {
                    o.ops.push((Op::Unshift, drawn.clone()));
                }
            }
        }
        let weighted: Vec<&Element> = elements.iter().filter(|e| e.weight.is_some()).collect();
        let total: u128 = weighted.iter().filter_map(|e| e.weight).sum();
        if total == 0 {
            return acc;
        }
        let mut picks = Vec::new();
        for e in weighted {
            let w = e.weight.unwrap_or(0);
            let address = format!("{parent_id}.{}", e.id);
            let mut subs = if e.is_dir {
                self.outcomes(&e.children, &address)
            } else if e.name == self.empty_name {
                vec![Outcome { num: 1, den: 1, ops: Vec::new(), path: Vec::new(), none: vec![e.path.clone()] }]
            } else {
                vec![Outcome {
                    num: 1,
                    den: 1,
                    ops: vec![(Op::Push, self.drawn(e, &address))],
                    path: Vec::new(),
                    none: Vec::new(),
                }]
            };
            for s in &mut subs {
                s.path.insert(0, (e.name.clone(), w, total));
                let (n, d) = (s.num * w, s.den * total);
                let g = gcd(n, d).max(1);
                s.num = n / g;
                s.den = d / g;
            }
            picks.extend(subs);
        }
        combine(&acc, &picks)
    }

    fn drawn(&self, e: &Element, address: &str) -> Drawn {
        let dna = format!("{address}:{}{}", e.zindex, e.filename);
        Drawn { z: parse_z(&dna).unwrap_or(0), dna, path: e.path.clone(), trait_value: e.trait_value.clone() }
    }
}

/// Every outcome of `a` followed by every outcome of `b`.
fn combine(a: &[Outcome], b: &[Outcome]) -> Vec<Outcome> {
    let mut out = Vec::new();
    for x in a {
        for y in b {
            let (n, d) = (x.num * y.num, x.den * y.den);
            let g = gcd(n, d).max(1);
            let mut ops = x.ops.clone();
            ops.extend(y.ops.iter().cloned());
            let mut path = x.path.clone();
            path.extend(y.path.iter().cloned());
            let mut none = x.none.clone();
            none.extend(y.none.iter().cloned());
            out.push(Outcome { num: n / g, den: d / g, ops, path, none });
        }
    }
    out
}

/// The DNA sequence the operations build.
fn sequence(ops: &[(Op, Drawn)]) -> Vec<Drawn> {
    let mut seq = std::collections::VecDeque::new();
    for (op, d) in ops {
        match op {
            Op::Push => seq.push_back(d.clone()),
            Op::Unshift => seq.push_front(d.clone()),
        }
    }
    seq.into()
}

/// JavaScript's default sort order: by UTF-16 code units.
fn js_cmp(a: &str, b: &str) -> std::cmp::Ordering {
    a.encode_utf16().cmp(b.encode_utf16())
}

/// `sortLayers`: shallow addresses first; negative depths, then depth 0 in
/// DNA-text order, then positive depths, each by depth.
fn sort_layer(mut seq: Vec<Drawn>) -> Vec<Drawn> {
    seq.sort_by_key(|d| d.dna.split(':').next().map_or(0, |a| a.encode_utf16().count()));
    let (mut front, mut normal, mut end) = (Vec::new(), Vec::new(), Vec::new());
    for d in seq {
        match parse_z(&d.dna) {
            Some(z) if z < 0 => front.push(d),
            Some(z) if z > 0 => end.push(d),
            _ => normal.push(d),
        }
    }
    normal.sort_by(|a, b| js_cmp(&a.dna, &b.dna));
    front.sort_by_key(|d| d.z);
    end.sort_by_key(|d| d.z);
    front.into_iter().chain(normal).chain(end).collect()
}

fn lcm(a: u128, b: u128) -> Option<u128> {
    (a / gcd(a, b).max(1)).checked_mul(b)
}

pub(super) fn read(source: &Source, plan: &LayerPlan, config: Option<&Config>) -> Result<Draft, ImportError> {
    let mut reader = Reader {
        delimiter: config
            .and_then(|c| c.string("rarityDelimiter"))
            .filter(|d| !d.is_empty())
            .unwrap_or("#")
            .to_string(),
        empty_name: config.and_then(|c| c.string("emptyLayerName")).unwrap_or("NONE").to_string(),
        overrides: config.map(|c| c.string_map("traitValueOverrides")).unwrap_or_default(),
        root: &source.dir,
        warnings: Vec::new(),
    };
    let mut draft = new_draft(Engine::NftChef);
    let last = plan.layers.len().saturating_sub(1);
    // Per trait: the depths of its parts placed at the bottom and at the top.
    let mut depths: Vec<(Vec<i64>, Vec<i64>)> = Vec::new();
    let mut trees: Vec<Tree> = Vec::new();
    for (index, layer) in plan.layers.iter().enumerate() {
        let elements = reader.elements(&layer.name, "")?;
        let outcomes = reader.outcomes(&elements, &index.to_string());
        let picks = outcomes.iter().map(|o| o.path.iter().map(|(n, _, _)| n.clone()).collect()).collect();
        let mut t = layer_trait(layer, &mut reader.warnings);
        // Whole-number weights: each probability times the top folder's sum, scaled by the common denominator.
        let top: u128 = elements.iter().filter_map(|e| e.weight).sum::<u128>().max(1);
        let scaled: Vec<(u128, u128)> = outcomes
            .iter()
            .map(|o| {
                let (n, d) = (o.num.saturating_mul(top), o.den);
                let g = gcd(n, d).max(1);
                (n / g, d / g)
            })
            .collect();
        let common = scaled.iter().try_fold(1u128, |acc, (_, d)| lcm(acc, *d));
        let mut bottom_z = Vec::new();
        let mut top_z = Vec::new();
        let nested = outcomes.iter().any(|o| o.path.len() > 1 || o.ops.len() > 1);
        for (o, (n, d)) in outcomes.iter().zip(&scaled) {
            let weight = match common.and_then(|c| n.checked_mul(c / d)) {
                Some(w) => Weight::Whole(w),
                None => Weight::Decimal(*n as f64 / *d as f64),
            };
            let drawn = sort_layer(sequence(&o.ops));
            if drawn.is_empty() {
                let why = if o.none.is_empty() {
                    "nothing to draw".to_string()
                } else {
                    o.none.iter().map(|p| format!("`{p}`")).collect::<Vec<_>>().join(", ")
                };
                t.variants.push(DraftVariant { name: "none".into(), weight, parts: Vec::new(), comment: Some(why) });
                continue;
            }
            let parts: Vec<DraftPart> = drawn
                .iter()
                .map(|d| {
                    let place = if d.z < 0 && index != 0 {
                        bottom_z.push(d.z);
                        Place::Bottom
                    } else if d.z > 0 && index != last {
                        top_z.push(d.z);
                        Place::Top
                    } else {
                        if d.z < 0 {
                            bottom_z.push(d.z);
                        } else if d.z > 0 {
                            top_z.push(d.z);
                        }
                        Place::Own
                    };
                    DraftPart { path: d.path.clone(), place }
                })
                .collect();
            let comment = (nested && o.path.len() > 1).then(|| {
                let steps: Vec<String> = o.path.iter().map(|(n, w, t)| format!("`{n}` {w}/{t}")).collect();
                format!(
                    "{} of the layer: {}",
                    if o.den == 1 { "always".to_string() } else { format!("{} in {}", o.num, o.den) },
                    steps.join(", then ")
                )
            });
            t.variants.push(DraftVariant { name: drawn[0].trait_value.clone(), weight, parts, comment });
        }
        // Two outcomes with one attribute value: name them by their path.
        let mut counts = std::collections::HashMap::new();
        for v in &t.variants {
            *counts.entry(v.name.clone()).or_insert(0) += 1;
        }
        for (v, o) in t.variants.iter_mut().zip(&outcomes) {
            if v.name != "none" && counts.get(&v.name).copied().unwrap_or(0) > 1 && !o.path.is_empty() {
                v.name = o.path.iter().map(|(n, _, _)| n.as_str()).collect::<Vec<_>>().join(" ");
            }
        }
        disambiguate(&mut t);
        if t.variants.is_empty() {
            return Err(ImportError::Input(format!(
                "the layer folder `{}` holds no PNG files",
                source.dir.join(&layer.name).display()
            )));
        }
        if t.variants.iter().all(|v| v.weight.value() == 0.0) {
            return Err(ImportError::Input(format!("every element of the layer `{}` has weight 0", layer.name)));
        }
        depths.push((bottom_z, top_z));
        draft.traits.push(t);
        trees.push(Tree { elements, picks });
    }
    depth_conflicts(&draft, &depths, &mut reader.warnings);
    if let Some(config) = config {
        draft.rules = combination_rules(config, &trees, &draft, &mut reader.warnings);
    }
    draft.warnings.append(&mut reader.warnings);
    bypass(plan, &mut draft);
    Ok(draft)
}

/// One layer as the rules see it: its elements, and per variant (in the
/// trait's order) the clean names of the weighted picks that lead to it.
struct Tree {
    elements: Vec<Element>,
    picks: Vec<Vec<String>>,
}

/// Whether some element named `name` anywhere in `elements` has no weight.
fn required_named(elements: &[Element], name: &str) -> bool {
    elements.iter().any(|e| (e.weight.is_none() && e.name == name) || required_named(&e.children, name))
}

/// `pickRandomElement` with `forcedDNA = names`: the chain of elements it
/// force-picks from the top folder down (empty: the layer is not forced).
/// `Err` names a forced element without a weight, which picks cannot express.
fn forced_chain(elements: &[Element], names: &[String]) -> Result<Vec<String>, String> {
    let mut chain = Vec::new();
    let mut level = elements;
    while let Some(e) = level.iter().find(|e| names.contains(&e.name)) {
        if e.weight.is_none() {
            return Err(e.path.clone());
        }
        chain.push(e.name.clone());
        if !e.is_dir {
            break;
        }
        level = &e.children;
    }
    Ok(chain)
}

/// Whether `chain` occurs in `picks` in order.
fn picks_follow(picks: &[String], chain: &[String]) -> bool {
    let mut rest = picks.iter();
    chain.iter().all(|c| rest.any(|p| p == c))
}

/// The `(trait, variant)` references of the variants of layer `layer` that `keep` selects.
fn refs(draft: &Draft, trees: &[Tree], layer: usize, keep: impl Fn(&[String]) -> bool) -> Vec<(String, String)> {
    let t = &draft.traits[layer];
    trees[layer]
        .picks
        .iter()
        .zip(&t.variants)
        .filter(|(picks, _)| keep(picks))
        .map(|(_, v)| (t.name.clone(), v.name.clone()))
        .collect()
}

/// nftchef's `incompatible` and `forcedCombinations` as `forbid` and
/// `require` rules (module docs), with a warning for each entry the rules
/// cannot express or that the engine itself ignores.
fn combination_rules(config: &Config, trees: &[Tree], draft: &Draft, warnings: &mut Vec<String>) -> Vec<DraftRule> {
    let mut rules = Vec::new();
    let layer_name = |i: usize| draft.traits[i].name.clone();
    for (setting, kind) in [("incompatible", RuleKind::Forbid), ("forcedCombinations", RuleKind::Require)] {
        for (key, names) in config.string_lists(setting) {
            let key_layers: Vec<usize> =
                (0..trees.len()).filter(|&i| trees[i].picks.iter().any(|p| p.contains(&key))).collect();
            if key_layers.is_empty() {
                warnings.push(format!(
                    "`{setting}` names `{key}`, which no weighted file or folder is called: the engine never applies it, and neither does the import"
                ));
                continue;
            }
            for &a in &key_layers {
                let left = refs(draft, trees, a, |p| p.contains(&key));
                for b in (0..trees.len()).filter(|&b| b != a) {
                    let (right, what) = match kind {
                        RuleKind::Forbid => {
                            let hit: Vec<&String> =
                                names.iter().filter(|n| trees[b].picks.iter().any(|p| p.contains(n))).collect();
                            for n in names.iter().filter(|n| !hit.contains(n)) {
                                if required_named(&trees[b].elements, n) {
                                    warnings.push(format!(
                                        "`incompatible` pairs `{key}` with `{n}`, a file of `{}` drawn without a weight: dropc cannot leave out part of a variant, so that pair is not imported",
                                        layer_name(b)
                                    ));
                                }
                            }
                            if hit.is_empty() {
                                continue;
                            }
                            let listed: Vec<String> = hit.iter().map(|n| format!("`{n}`")).collect();
                            (refs(draft, trees, b, |p| hit.iter().any(|n| p.contains(n))), listed.join(", "))
                        }
                        RuleKind::Require => match forced_chain(&trees[b].elements, &names) {
                            Ok(chain) if chain.is_empty() => continue,
                            Ok(chain) => {
                                let listed: Vec<String> = chain.iter().map(|n| format!("`{n}`")).collect();
                                (refs(draft, trees, b, |p| picks_follow(p, &chain)), listed.join(" then "))
                            }
                            Err(path) => {
                                warnings.push(format!(
                                    "`forcedCombinations` of `{key}` forces `{path}`, which has no weight: dropc cannot express that pick, so it is not imported"
                                ));
                                continue;
                            }
                        },
                    };
                    if right.is_empty() {
                        continue;
                    }
                    if b < a {
                        warnings.push(format!(
                            "`{setting}` of `{key}` names {what} in `{}`, a layer drawn before `{}`: the engine ignores it there, dropc enforces it",
                            layer_name(b),
                            layer_name(a)
                        ));
                    }
                    let comment = match kind {
                        RuleKind::Forbid => {
                            format!("`incompatible`: `{key}` ({}) with {what} ({})", layer_name(a), layer_name(b))
                        }
                        RuleKind::Require => {
                            format!(
                                "`forcedCombinations`: `{key}` ({}) forces {what} ({})",
                                layer_name(a),
                                layer_name(b)
                            )
                        }
                    };
                    rules.push(DraftRule { kind, left: left.clone(), right, comment });
                }
            }
            for n in &names {
                let same_layer = key_layers.iter().all(|&a| {
                    trees.iter().enumerate().all(|(b, t)| (b == a) == t.picks.iter().any(|p| p.contains(n)))
                        && trees[a].picks.iter().any(|p| p.contains(n))
                });
                if same_layer {
                    warnings.push(format!(
                        "`{setting}` of `{key}` names `{n}`, in the same layer as `{key}`: a trait has one variant per token, so this is not imported"
                    ));
                }
            }
        }
    }
    rules
}

/// The engine orders parts at non-zero depths by depth, then by layer; the
/// `.drop` (below the first / above the last trait) by trait. Says where
/// the two orders can differ.
fn depth_conflicts(draft: &Draft, depths: &[(Vec<i64>, Vec<i64>)], warnings: &mut Vec<String>) {
    for (side, pick) in [("negative", 0usize), ("positive", 1usize)] {
        for a in 0..depths.len() {
            for b in a + 1..depths.len() {
                let (za, zb) = if pick == 0 { (&depths[a].0, &depths[b].0) } else { (&depths[a].1, &depths[b].1) };
                if let (Some(max_a), Some(min_b)) = (za.iter().max(), zb.iter().min()) {
                    if max_a > min_b {
                        warnings.push(format!(
                            "`{}` has a part at depth z{max_a} and `{}` one at z{min_b}: the engine draws the {side} depths by number, dropc by trait, so where both are drawn `{}`'s part comes first; check those tokens",
                            draft.traits[a].name, draft.traits[b].name, draft.traits[a].name
                        ));
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reader() -> Reader<'static> {
        Reader {
            delimiter: "#".into(),
            empty_name: "NONE".into(),
            overrides: vec![("Helmet".into(), "Space Helmet".into())],
            root: std::path::Path::new("."),
            warnings: Vec::new(),
        }
    }

    #[test]
    fn names_weights_and_depths_as_the_engine_reads_them() {
        let r = reader();
        assert_eq!(r.clean_name("z-10,Glasses back.png"), "Glasses back");
        assert_eq!(r.clean_name("z1,eye#50"), "eye");
        assert_eq!(r.clean_name("shirt one #3.png"), "shirt one ");
        assert_eq!(r.weight("z1,eye#50").ok(), Some(Some(50)));
        assert_eq!(r.weight("Helmet.png").ok(), Some(None));
        assert_eq!(r.weight("Blank#.png").ok(), Some(Some(0)));
        assert_eq!(parse_z("6.3.1:z-10,Glasses back.png"), Some(-10));
        assert_eq!(parse_z("4.0.0.0:z1,eye2.png"), Some(1));
        assert_eq!(parse_z("2.1:floral#30.png"), None);
        assert_eq!(r.override_value("Helmet".into()), "Space Helmet");
    }

    #[test]
    fn layer_order_follows_sort_layers() {
        let d = |dna: &str| Drawn {
            dna: dna.into(),
            z: parse_z(dna).unwrap_or(0),
            path: dna.into(),
            trait_value: String::new(),
        };
        let sorted = sort_layer(vec![
            d("6.3.0:Glasses front.png"),
            d("6.3.1:z-10,z-10,Glasses back.png"),
            d("6.10:b.png"),
            d("6.2:a.png"),
        ]);
        let order: Vec<&str> = sorted.iter().map(|d| d.dna.as_str()).collect();
        assert_eq!(order, ["6.3.1:z-10,z-10,Glasses back.png", "6.10:b.png", "6.2:a.png", "6.3.0:Glasses front.png"]);
    }
}
