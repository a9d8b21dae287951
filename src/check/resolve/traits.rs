//! `trait Name < Variant: weight ..., > options`: variants, weights, art
//! files and folders, rendering options, derived colourways, and variants
//! that can never be drawn.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::Resolver;
use super::problem::{BadPlacement, BadSource, Problem};
use crate::model::paths::{join_inside, weighted_art_names};
use crate::model::*;
use crate::span::Span;
use crate::syntax::{self as ast, LayerOption, Node, Value};

/// Largest `hue` rotation accepted, in degrees either way (one full turn).
pub const MAX_HUE: f64 = 360.0;

/// [`VariantOptions`] as a key of a map: the bits of its numbers.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
struct OptionsKey {
    blend: u8,
    opacity: u32,
    offset: (i32, i32),
    placed: bool,
    profiles: Option<(bool, Span)>,
}

impl OptionsKey {
    fn of(o: &VariantOptions) -> OptionsKey {
        OptionsKey {
            blend: o.style.blend as u8,
            opacity: o.style.opacity.to_bits(),
            offset: o.style.offset,
            placed: o.style.placed,
            profiles: o.profiles.map(|p| (p.ignore, p.span)),
        }
    }
}

/// Traits with more variants than this get an index of their variants by
/// name ([`Resolver::variant_position`]); a scan is faster below.
const INDEXED_VARIANTS: usize = 64;

/// The declarations among `variants` whose name an earlier one already
/// has, each with the position of the first one of that name, in order.
/// (Sorting 4-byte positions by name finds them with no map of the names:
/// a trait may declare hundreds of thousands.)
fn repeated_names(variants: &[ast::VariantDecl]) -> Vec<(usize, usize)> {
    let mut by_name: Vec<u32> = (0..variants.len() as u32).collect();
    // Stable: the positions of one name stay in declaration order.
    by_name.sort_by(|&a, &b| variants[a as usize].name().cmp(variants[b as usize].name()));
    let mut repeats: Vec<(usize, usize)> = by_name
        .chunk_by(|&a, &b| variants[a as usize].name() == variants[b as usize].name())
        .flat_map(|run| run[1..].iter().map(|&r| (r as usize, run[0] as usize)))
        .collect();
    repeats.sort_unstable();
    repeats
}

/// What resolving the variants of one trait carries from one variant to
/// the next.
struct VariantPass {
    kind: TraitKind,
    /// The trait's rendering options, which its variants start from.
    style: LayerStyle,
    trait_profiles: Option<ProfilesOption>,
    folder: PathBuf,
    /// The distinct rendering options of the variants, by their bits (most share the trait's).
    options: HashMap<OptionsKey, u32>,
    /// Every derived variant's name and derivation, resolved once all
    /// variants are known.
    derived: Vec<(ast::Name, ast::Derived)>,
    /// The positions of names declared again with the span of their first
    /// declaration, the next one last.
    repeats: Vec<(usize, Span)>,
}

impl<'a> Resolver<'a> {
    /// Resolves variant declaration `v`, at `position` in trait `id`'s list.
    fn resolve_variant(
        &mut self,
        id: TraitId,
        decl: &Node<ast::TraitDecl>,
        pass: &mut VariantPass,
        position: usize,
        v: &ast::VariantDecl,
    ) {
        if let Some(Node { node: ast::VariantSource::Derived(derived), .. }) = v.source() {
            pass.derived.push((v.name_node(), derived.clone()));
        }
        if pass.repeats.last().is_some_and(|&(repeat, _)| repeat == position) {
            let first = pass.repeats.pop().map_or(v.name_span(), |(_, first)| first);
            self.report(Problem::DuplicateVariant {
                name: v.name().to_string(),
                trait_name: decl.name.node.clone(),
                span: v.name_span(),
                first,
            });
            return;
        }
        let kind = pass.kind;
        // An invalid weight is reported once; 1 keeps it from cascading into `unused_variant`.
        let weight = self.weight(&v.weight()).unwrap_or(1.0);
        let mut variant_style = pass.style;
        let mut variant_profiles = pass.trait_profiles;
        self.repeated_options(v.options(), || format!("`{}.{}`", decl.name, v.name()));
        for option in v.options() {
            if kind == TraitKind::MetadataOnly {
                self.metadata_art(option.span, &decl.name.node, "rendering options");
            } else if let LayerOption::Profiles(word) = &option.node {
                if let Some(p) = self.profiles_option(word, option.span) {
                    let no_files = if v.name() == "none" {
                        Some("`none` draws no file".to_string())
                    } else if let Some(Node { node: ast::VariantSource::Derived(d), .. }) = v.source() {
                        Some(format!("a derived variant draws the files of `{}`, whose option counts", d.from))
                    } else {
                        None
                    };
                    if !self.redundant_profiles(p, pass.trait_profiles, no_files) {
                        variant_profiles = Some(p);
                    }
                }
            } else {
                self.apply_option(&option.node, &mut variant_style);
            }
        }
        let art = self.variant_art(id, &decl.name.node, v, &pass.folder, true);
        let found = VariantOptions { style: variant_style, profiles: variant_profiles };
        if weight == 0.0 {
            let index = self.traits[id].variants.len();
            self.zero_weights.push((VariantId { trait_id: id, index }, v.weight().span));
        }
        let t = &mut self.traits[id];
        let options = *pass.options.entry(OptionsKey::of(&found)).or_insert_with(|| {
            t.options.push(found);
            (t.options.len() - 1) as u32
        });
        t.variants.push(Variant::new(v.name(), v.name_span(), weight, art, options));
    }

    /// Resolves trait `id` declared by `decl`, whose variant declarations
    /// are `decl`'s own, or `detached`: the same taken out of the AST, which
    /// are freed as they are resolved.
    pub(super) fn resolve_trait(
        &mut self,
        id: TraitId,
        decl: &'a Node<ast::TraitDecl>,
        detached: Option<Vec<ast::VariantDecl>>,
    ) {
        let kind = self.traits[id].kind;
        let mut style = LayerStyle::default();
        let mut trait_profiles: Option<ProfilesOption> = None;
        let mut folder = self.settings.layers.join(file_name(&decl.name.node).unwrap_or("_"));
        if file_name(&decl.name.node).is_none() && kind != TraitKind::MetadataOnly {
            self.report(Problem::TraitFolderName { name: decl.name.node.clone(), span: decl.name.span });
        }
        for option in &decl.options {
            if kind == TraitKind::MetadataOnly && !matches!(option.node, LayerOption::Folder(_)) {
                self.metadata_art(option.span, &decl.name.node, "rendering options");
                continue;
            }
            match &option.node {
                LayerOption::Folder(path) => {
                    if kind == TraitKind::MetadataOnly {
                        self.metadata_art(option.span, &decl.name.node, "an art folder");
                    }
                    match join_inside(&self.settings.layers, &path.node) {
                        Ok(p) => folder = p,
                        Err(why) => self.report(Problem::Escape { span: path.span, path: path.node.clone(), why }),
                    }
                }
                LayerOption::Profiles(word) => {
                    if let Some(p) = self.profiles_option(word, option.span) {
                        if !self.redundant_profiles(p, None, None) {
                            trait_profiles = Some(p);
                        }
                    }
                }
                other => self.apply_option(other, &mut style),
            }
        }
        self.traits[id].folder = folder.clone();
        self.repeated_options(&decl.options, || format!("trait `{}`", decl.name));

        // A name declared again is reported there and left out.
        let repeats = match &detached {
            Some(list) => repeated_names(list),
            None => repeated_names(&decl.variants),
        };
        let mut pass = VariantPass {
            kind,
            style,
            trait_profiles,
            folder,
            options: HashMap::new(),
            derived: Vec::new(),
            repeats: Vec::with_capacity(repeats.len()),
        };
        let declared = detached.as_ref().map_or(decl.variants.len(), Vec::len);
        self.traits[id].variants.reserve_exact(declared - repeats.len());
        match detached {
            Some(mut list) => {
                let firsts: Vec<Span> = repeats.iter().map(|&(_, first)| list[first].name_span()).collect();
                pass.repeats = repeats.iter().map(|&(at, _)| at).zip(firsts).rev().collect();
                // Taken from the front and freed as they are resolved: the
                // list of a trait of 100,000 variants (4 MB) shrinks as its
                // model grows, instead of being held whole beside it.
                list.reverse();
                let mut position = 0;
                while let Some(v) = list.pop() {
                    self.resolve_variant(id, decl, &mut pass, position, &v);
                    position += 1;
                    if list.capacity() > 2 * list.len() + 4096 {
                        list.shrink_to_fit();
                    }
                }
            }
            None => {
                pass.repeats =
                    repeats.iter().map(|&(at, first)| (at, decl.variants[first].name_span())).rev().collect();
                for (position, v) in decl.variants.iter().enumerate() {
                    self.resolve_variant(id, decl, &mut pass, position, v);
                }
            }
        }
        let VariantPass { trait_profiles, derived, .. } = pass;
        if self.traits[id].variants.len() > INDEXED_VARIANTS {
            let index = super::names::NameIndex::new(&self.traits[id].variants);
            self.variant_index.insert(id, index);
        }
        // A trait's `profiles` that no variant with files of its own keeps changes nothing.
        if let Some(p) = trait_profiles {
            let t = &self.traits[id];
            let kept = t
                .variants
                .iter()
                .any(|v| matches!(v.art, Art::Files(_) | Art::Default) && t.options_of(v).profiles == Some(p));
            if !kept {
                self.report(Problem::RedundantProfiles {
                    word: if p.ignore { "ignore" } else { "check" },
                    why: "no variant with art files of its own keeps it".into(),
                    span: p.span,
                    already: None,
                });
            }
        }
        // Derivations refer to variants by name, so resolve them once all are known.
        for (name, derived) in &derived {
            let Some(index) =
                self.variant_position(id, &name.node).filter(|&i| self.traits[id].variants[i].span() == name.span)
            else {
                continue;
            };
            if kind == TraitKind::MetadataOnly {
                continue;
            }
            if let Some(art) = self.resolve_derived(id, name, derived, false) {
                self.traits[id].variants[index].art = art;
            }
        }
        let t = &self.traits[id];
        if !t.variants.is_empty() && t.variants.iter().all(|v| v.weight == 0.0) {
            self.report(Problem::ZeroWeights { trait_name: decl.name.node.clone(), span: decl.name.span });
        }
    }

    pub(super) fn metadata_art(&mut self, span: Span, trait_name: &str, what: &'static str) {
        self.report(Problem::ArtOnMetadataTrait { trait_name: trait_name.to_string(), what, span });
    }

    /// Reports options given twice in one list (the last would silently win).
    pub(super) fn repeated_options(&mut self, options: &[Node<LayerOption>], whose: impl Fn() -> String) {
        if options.len() < 2 {
            return;
        }
        let mut seen: HashMap<&'static str, Span> = HashMap::new();
        for option in options {
            let key = match option.node {
                LayerOption::Blend(_) => "blend",
                LayerOption::Opacity(_) => "opacity",
                LayerOption::Offset(..) => "offset",
                LayerOption::Folder(_) => "folder",
                LayerOption::Profiles(_) => "profiles",
            };
            if let Some(first) = seen.insert(key, option.span) {
                self.report(Problem::RepeatedOption { key, whose: whose(), span: option.span, first });
            }
        }
    }

    pub(super) fn apply_option(&mut self, option: &LayerOption, style: &mut LayerStyle) {
        match option {
            LayerOption::Blend(mode) => match BlendMode::NAMES.iter().find(|(n, _)| *n == mode.node) {
                Some((_, m)) => style.blend = *m,
                None => self.report(Problem::UnknownBlend {
                    mode: mode.node.clone(),
                    span: mode.span,
                    names: BlendMode::NAMES.iter().map(|(n, _)| *n).collect(),
                }),
            },
            LayerOption::Opacity(value) => {
                let opacity = match value.node {
                    Value::Percentage(p) if (0.0..=100.0).contains(&p) => Some(p / 100.0),
                    Value::Number(n) if (0.0..=1.0).contains(&n) => Some(n),
                    _ => None,
                };
                match opacity {
                    Some(o) => style.opacity = o as f32,
                    None => self.report(Problem::Opacity { span: value.span }),
                }
            }
            LayerOption::Offset(x, y) => {
                let mut ok = true;
                let limit = crate::check::settings::MAX_PIXELS as f64;
                for c in [x, y] {
                    let problem = if c.node.fract() != 0.0 {
                        Problem::OffsetFraction { value: c.node, limit, span: c.span }
                    } else if c.node.abs() > limit {
                        Problem::OffsetBeyond { value: c.node, limit, span: c.span }
                    } else {
                        continue;
                    };
                    ok = false;
                    self.report(problem);
                }
                if ok {
                    style.offset = (x.node as i32, y.node as i32);
                    style.placed = true;
                }
            }
            // Not a rendering option: resolved by `profiles_option`.
            LayerOption::Folder(_) | LayerOption::Profiles(_) => {}
        }
    }

    /// `profiles check` / `profiles ignore` as written at `span`.
    pub(super) fn profiles_option(&mut self, word: &ast::Name, span: Span) -> Option<ProfilesOption> {
        match word.node.as_str() {
            "check" => Some(ProfilesOption { ignore: false, span }),
            "ignore" => Some(ProfilesOption { ignore: true, span }),
            _ => {
                self.report(Problem::UnknownProfiles { word: word.node.clone(), span: word.span });
                None
            }
        }
    }

    /// Warns when `written` changes nothing: what it overrides (`inherited`,
    /// the trait's or variant's option, else the collection's `profiles`)
    /// already says the same, or (`no_files`, why) it names no art file.
    /// Returns whether it warned: a redundant option is not the one that
    /// decides (notes point at what it repeats).
    pub(super) fn redundant_profiles(
        &mut self,
        written: ProfilesOption,
        inherited: Option<ProfilesOption>,
        no_files: Option<String>,
    ) -> bool {
        let word = if written.ignore { "ignore" } else { "check" };
        if let Some(why) = no_files {
            self.report(Problem::RedundantProfiles { word, why, span: written.span, already: None });
            return true;
        }
        let (ignore, already, why) = match inherited {
            Some(p) => (p.ignore, Some(p.span), format!("the `profiles {word}` it overrides says the same")),
            None if self.settings.ignore_profiles => (
                true,
                self.spans.by_key.get("profiles").copied(),
                "the collection's `profiles ignore` says the same".to_string(),
            ),
            None => (false, self.spans.by_key.get("profiles").copied(), "colour spaces are checked by default".into()),
        };
        if ignore == written.ignore {
            self.report(Problem::RedundantProfiles { word, why, span: written.span, already });
        }
        ignore == written.ignore
    }

    /// Validates a weight as written.
    pub(super) fn weight(&mut self, value: &Node<Value>) -> Option<f64> {
        let problem = match value.node {
            Value::Number(n) if n >= 0.0 && n.is_finite() => return Some(n),
            Value::Number(n) => Problem::NegativeWeight { value: n, span: value.span },
            Value::Percentage(p) => Problem::PercentWeight { value: p, span: value.span },
            ref other => Problem::NotAWeight { kind: other.kind(), span: value.span },
        };
        self.report(problem);
        None
    }

    /// The art of variant `v` of trait `trait_id`, whose files are in
    /// `folder`. `own`: `v` is the variant's declaration, not conditional
    /// art, so its default file can be left to [`Art::Default`] (which names
    /// it at the variant's span).
    pub(super) fn variant_art(
        &mut self,
        trait_id: TraitId,
        trait_name: &str,
        v: &ast::VariantDecl,
        folder: &Path,
        own: bool,
    ) -> Art {
        let kind = self.traits[trait_id].kind;
        let is_none = v.name() == "none";
        let parts = match v.source() {
            Some(source) if is_none => {
                self.report(Problem::NoneWithArt { span: source.span, name: v.name_span() });
                return Art::Empty;
            }
            Some(source) if kind == TraitKind::MetadataOnly => {
                self.metadata_art(source.span, trait_name, "art");
                return Art::Empty;
            }
            _ if is_none || kind == TraitKind::MetadataOnly => return Art::Empty,
            None => {
                // The variant's own default file, `<folder>/<Name>.png` as its
                // trait makes it ([`Trait::default_files`]), is not kept.
                if own && self.art.is_none() && file_name(v.name()).is_some() {
                    return Art::Default; // what `default_path` gives without an art store
                }
                let file = self.default_file(trait_id, v, folder, None);
                let plain = file.path.file_name().and_then(|f| f.to_str()).and_then(|f| f.strip_suffix(".png"));
                // (Any other file `default_path` finds is named otherwise.)
                return if own && plain == Some(v.name()) { Art::Default } else { Art::Files(vec![file].into()) };
            }
            Some(Node { node: ast::VariantSource::Derived(_), .. }) => return Art::Empty, // filled in later
            Some(Node { node: ast::VariantSource::Art(parts), .. }) => parts,
        };
        let mut files = Vec::new();
        for part in parts {
            let placement = part.placement.as_ref().and_then(|p| self.resolve_placement(trait_id, p));
            match &part.path {
                None => files.push(self.default_file(trait_id, v, folder, placement)),
                Some(path) => match join_inside(&self.settings.layers, &path.node) {
                    Ok(p) => files.push(ArtFile::new(p, path.span, placement)),
                    Err(why) => self.report(Problem::Escape { span: path.span, path: path.node.clone(), why }),
                },
            }
        }
        Art::Files(files.into())
    }

    fn default_file(
        &mut self,
        trait_id: TraitId,
        v: &ast::VariantDecl,
        folder: &Path,
        placement: Option<(ast::Side, TraitId)>,
    ) -> ArtFile {
        let path = match file_name(v.name()) {
            Some(name) => self.default_path(trait_id, folder, name, v),
            None => {
                self.report(Problem::VariantFileName { name: v.name().to_string(), span: v.name_span() });
                PathBuf::new()
            }
        };
        ArtFile::new(path, v.name_span(), placement)
    }

    /// `<folder>/<name>.png`; or, when that file does not exist and exactly
    /// one `<name>#<weight>.png` does, that file (the name an art engine
    /// such as HashLips gives a layer). Several such files are ambiguous.
    fn default_path(&mut self, trait_id: TraitId, folder: &Path, name: &str, v: &ast::VariantDecl) -> PathBuf {
        let plain = format!("{name}.png");
        let Some(art) = self.art else { return folder.join(plain) };
        let names = self.listings.entry(folder.to_path_buf()).or_insert_with(|| art.file_names(folder));
        if names.contains(&plain) {
            return folder.join(plain);
        }
        let found: Vec<String> =
            weighted_art_names(name, names.iter().map(String::as_str)).into_iter().map(str::to_string).collect();
        match found.as_slice() {
            [] => folder.join(plain),
            [one] => folder.join(one),
            several => {
                let first = several[0].clone();
                let problem = Problem::AmbiguousArt {
                    span: v.name_span(),
                    missing: folder.join(&plain).display().to_string(),
                    reference: format!("{}.{}", source_name(&self.traits[trait_id].name), source_name(v.name())),
                    variant: v.name().to_string(),
                    example: folder
                        .strip_prefix(&self.settings.layers)
                        .unwrap_or(folder)
                        .join(&first)
                        .display()
                        .to_string(),
                    candidates: several.to_vec(),
                };
                self.report(problem);
                folder.join(first) // checked as art; the error above stands
            }
        }
    }

    fn resolve_placement(
        &mut self,
        trait_id: TraitId,
        placement: &Node<ast::Placement>,
    ) -> Option<(ast::Side, TraitId)> {
        let target = self.lookup_trait(&placement.trait_name)?;
        let why = if target == trait_id {
            Some(BadPlacement::OwnTrait(self.traits[trait_id].name.clone()))
        } else if self.traits[target].kind == TraitKind::MetadataOnly {
            Some(BadPlacement::Metadata(self.traits[target].name.clone()))
        } else {
            None
        };
        if let Some(why) = why {
            self.report(Problem::InvalidPlacement { why, span: placement.trait_name.span });
            return None;
        }
        Some((placement.side, target))
    }

    /// `from V hue N` / `from V palette {...}` of variant `name`; `itself`:
    /// whether `V` may be the variant itself (conditional art recolours a
    /// variant's own art so).
    pub(super) fn resolve_derived(
        &mut self,
        trait_id: TraitId,
        name: &ast::Name,
        derived: &ast::Derived,
        itself: bool,
    ) -> Option<Art> {
        let Some(from) = self.variant_position(trait_id, &derived.from.node) else {
            let candidates: Vec<String> =
                self.traits[trait_id].variants.iter().map(|x| String::from(&*x.name)).collect();
            self.unknown_variant_in(trait_id, &derived.from, candidates);
            return None;
        };
        let source = &self.traits[trait_id].variants[from];
        let why = if *source.name == *name.node && !itself {
            Some(BadSource::Itself)
        } else if source.is_none() {
            Some(BadSource::None)
        } else if !matches!(source.art, Art::Files(_) | Art::Default) {
            Some(BadSource::Derived(String::from(&*source.name)))
        } else {
            None
        };
        if let Some(why) = why {
            self.report(Problem::InvalidDerive { why, span: derived.from.span });
            return None;
        }
        let recolour = self.resolve_recolour(&derived.recolour)?;
        Some(Art::Derived { from: from as u32, recolour: Box::new(recolour) })
    }

    /// A recolouring as written: `hue` within one turn, palette colours mapped once.
    pub(super) fn resolve_recolour(&mut self, recolour: &Node<ast::Recolour>) -> Option<Recolour> {
        let recolour = match &recolour.node {
            ast::Recolour::Hue(value) => match value.node {
                Value::Number(n) if (-MAX_HUE..=MAX_HUE).contains(&n) => Recolour::Hue(n),
                // Far from zero a float cannot hold the rotation modulo 360:
                // `hue 1e20` would render an arbitrary colour.
                Value::Number(n) => {
                    self.report(Problem::HueOutOfRange { value: n, limit: MAX_HUE, span: value.span });
                    return None;
                }
                ref other => {
                    self.report(Problem::HueNotNumber { kind: other.kind(), span: value.span });
                    return None;
                }
            },
            ast::Recolour::Palette(pairs) => {
                let mut seen: HashMap<[u8; 4], Span> = HashMap::new();
                let mut out = Vec::new();
                for pair in pairs {
                    if let Some(first) = seen.insert(pair.from.node, pair.from.span) {
                        self.report(Problem::ColourMappedTwice { span: pair.from.span, first });
                    }
                    out.push((pair.from.node, pair.to.node));
                }
                Recolour::Palette(out)
            }
        };
        Some(recolour)
    }

    /// Variants never drawn: weight 0 and no `when` gives them weight.
    pub(super) fn check_unused(&mut self) {
        let mut found = Vec::new();
        for &(id, weight) in &self.zero_weights {
            let t = &self.traits[id.trait_id];
            if t.variants.iter().all(|v| v.weight == 0.0) {
                continue; // reported as zero_weights
            }
            if !self.enabled_by_when.contains(&id) {
                let v = &t.variants[id.index];
                found.push(Problem::UnusedVariant {
                    trait_name: t.name.clone(),
                    name: String::from(&*v.name),
                    span: v.span(),
                    weight,
                });
            }
        }
        for problem in found {
            self.report(problem);
        }
    }
}

/// `name` when it can be used as one file or folder name.
fn file_name(name: &str) -> Option<&str> {
    let bad = name.is_empty() || name == "." || name == ".." || name.contains(['/', '\\', '\0']);
    (!bad).then_some(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_names_are_found_with_their_first_declaration() {
        let decls: Vec<ast::VariantDecl> = ["a", "b", "a", "c", "b", "a", "d"]
            .iter()
            .enumerate()
            .map(|(i, n)| {
                ast::VariantDecl::new(ast::VariantParts {
                    name: Node::new(n.to_string(), Span::new(i * 10, i * 10 + 1)),
                    weight: Node::new(Value::Number(1.0), Span::new(i * 10 + 3, i * 10 + 4)),
                    source: None,
                    options: Vec::new(),
                    span: Span::new(i * 10, i * 10 + 4),
                })
            })
            .collect();
        assert_eq!(repeated_names(&decls), vec![(2, 0), (4, 1), (5, 0)]);
        assert_eq!(repeated_names(&decls[..2]), vec![]);
        assert_eq!(repeated_names(&[]), vec![]);
    }
}
