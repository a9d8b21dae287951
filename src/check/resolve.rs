//! Name resolution and validation of traits and rules: AST to [`Model`].

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};

use super::paths::{escape_diagnostic, join_inside, project_relative};
use super::settings::SettingSpans;
use crate::diagnostic::{Code, Diagnostic, did_you_mean};
use crate::model::*;
use crate::model::{CountOp, TraitKind};
use crate::span::Span;
use crate::syntax::{self as ast, LayerOption, Node, Statement, Value};

/// Largest `hue` rotation accepted, in degrees either way (one full turn).
pub const MAX_HUE: f64 = 360.0;

/// Traits and rules resolved against the declared names.
pub struct Resolver<'a> {
    file: &'a ast::File,
    settings: &'a Settings,
    spans: &'a SettingSpans,
    diagnostics: &'a mut Vec<Diagnostic>,
    traits: Vec<Trait>,
    by_name: HashMap<String, TraitId>,
    /// Variants some `when` gives a positive weight.
    enabled_by_when: HashSet<VariantId>,
    /// Tokens drawn by the sampler: `size` less legendaries.
    drawn: u64,
}

impl<'a> Resolver<'a> {
    /// A resolver for `file` with its checked `settings`.
    pub fn new(
        file: &'a ast::File,
        settings: &'a Settings,
        spans: &'a SettingSpans,
        diagnostics: &'a mut Vec<Diagnostic>,
    ) -> Self {
        let legendaries = file.statements.iter().filter(|s| matches!(s, Statement::Legendary(_))).count() as u64;
        let drawn = settings.size.saturating_sub(legendaries);
        Resolver {
            file,
            settings,
            spans,
            diagnostics,
            traits: Vec::new(),
            by_name: HashMap::new(),
            enabled_by_when: HashSet::new(),
            drawn,
        }
    }

    fn push(&mut self, d: Diagnostic) {
        self.diagnostics.push(d);
    }

    /// Resolves everything into a model (which is only meaningful when no
    /// error was reported).
    pub fn resolve(mut self) -> Model {
        let decls: Vec<&Node<ast::TraitDecl>> = self
            .file
            .statements
            .iter()
            .filter_map(|s| if let Statement::Trait(t) = s { Some(t) } else { None })
            .collect();
        // Names first, so that placements can refer to any trait.
        let mut kept = Vec::new();
        for decl in decls {
            if let Some(&first) = self.by_name.get(&decl.name.node) {
                let first_span = self.traits[first].span;
                self.push(
                    Diagnostic::new(
                        Code::DuplicateTrait,
                        decl.name.span,
                        format!("trait `{}` is declared twice", decl.name),
                    )
                    .label("declared again here")
                    .with_label(first_span, "first declared here")
                    .help("give each trait a distinct name, or merge their variants"),
                );
                continue;
            }
            self.by_name.insert(decl.name.node.clone(), self.traits.len());
            self.traits.push(Trait {
                name: decl.name.node.clone(),
                span: decl.name.span,
                kind: decl.kind.as_ref().map_or(TraitKind::Visible, |k| k.node),
                folder: PathBuf::new(),
                variants: Vec::new(),
            });
            kept.push(decl);
        }
        for (id, decl) in kept.iter().enumerate() {
            self.resolve_trait(id, decl);
        }

        let mut forbids = Vec::new();
        let mut requires = Vec::new();
        let mut whens = Vec::new();
        let mut counts = Vec::new();
        let mut unique: Option<(Vec<TraitId>, Span)> = None;
        let mut visually = None;
        let mut legendaries = Vec::new();
        let mut forbidden_pairs: HashMap<(VariantId, VariantId), Span> = HashMap::new();
        let mut required: HashMap<(VariantId, Vec<VariantId>), Span> = HashMap::new();

        for statement in &self.file.statements {
            match statement {
                Statement::Forbid(rule) => self.resolve_forbid(rule, &mut forbids, &mut forbidden_pairs),
                Statement::Require(rule) => self.resolve_require(rule, &mut requires, &mut required),
                Statement::When(rule) => {
                    if let Some(when) = self.resolve_when(rule) {
                        whens.push(when);
                    }
                }
                Statement::Count(rule) => {
                    if let Some(count) = self.resolve_count(rule) {
                        counts.push(count);
                    }
                }
                Statement::Unique(rule) => {
                    if let Some((_, first)) = &unique {
                        let first = *first;
                        self.push(
                            Diagnostic::new(Code::ConflictingUnique, rule.span, "`unique` is given twice")
                                .label("given again here")
                                .with_label(first, "first given here")
                                .help("keep one `unique` rule"),
                        );
                        continue;
                    }
                    let traits = self.resolve_unique(rule);
                    unique = Some((traits, rule.span));
                    visually = rule.node.visually.then_some(rule.span);
                }
                Statement::Legendary(rule) => {
                    if let Some(legendary) = self.resolve_legendary(rule) {
                        legendaries.push(legendary);
                    }
                }
                Statement::Collection(_) | Statement::Trait(_) => {}
            }
        }
        self.check_whens(&whens);
        self.check_counts(&counts);
        self.check_legendaries(&legendaries);
        self.check_unused();

        let unique = unique.map_or_else(|| (0..self.traits.len()).collect(), |(t, _)| t);
        Model {
            settings: self.settings.clone(),
            traits: self.traits,
            forbids,
            requires,
            whens,
            counts,
            unique,
            visually,
            visibility: None,
            legendaries,
        }
    }

    // -----------------------------------------------------------------------
    // Traits

    fn resolve_trait(&mut self, id: TraitId, decl: &Node<ast::TraitDecl>) {
        let kind = self.traits[id].kind;
        let mut style = LayerStyle::default();
        let mut folder = self.settings.layers.join(file_name(&decl.name.node).unwrap_or("_"));
        if file_name(&decl.name.node).is_none() && kind != TraitKind::MetadataOnly {
            self.push(
                Diagnostic::new(
                    Code::PathEscape,
                    decl.name.span,
                    format!("the trait name `{}` cannot be a folder name", decl.name),
                )
                .label("contains `/`, `\\` or is `.`/`..`")
                .help("give the trait's art folder with `folder \"path\"`"),
            );
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
                        Err(why) => self.push(escape_diagnostic(path.span, &path.node, why)),
                    }
                }
                other => self.apply_option(other, option.span, &mut style),
            }
        }
        self.traits[id].folder = folder.clone();
        self.repeated_options(&decl.options, || format!("trait `{}`", decl.name));

        let mut names: HashMap<&str, Span> = HashMap::new();
        for v in &decl.variants {
            if let Some(first) = names.get(v.name.node.as_str()) {
                self.push(
                    Diagnostic::new(
                        Code::DuplicateVariant,
                        v.name.span,
                        format!("`{}` is declared twice in trait `{}`", v.name, decl.name),
                    )
                    .label("declared again here")
                    .with_label(*first, "first declared here")
                    .help("give each variant a distinct name"),
                );
                continue;
            }
            names.insert(&v.name.node, v.name.span);
            // An invalid weight is reported once; 1 keeps it from cascading into `unused_variant`.
            let weight = self.weight(&v.weight).unwrap_or(1.0);
            let mut variant_style = style;
            self.repeated_options(&v.options, || format!("`{}.{}`", decl.name, v.name));
            for option in &v.options {
                if kind == TraitKind::MetadataOnly {
                    self.metadata_art(option.span, &decl.name.node, "rendering options");
                } else {
                    self.apply_option(&option.node, option.span, &mut variant_style);
                }
            }
            let art = self.variant_art(id, decl, v, &folder);
            self.traits[id].variants.push(Variant {
                name: v.name.node.clone(),
                span: v.name.span,
                weight,
                weight_span: v.weight.span,
                art,
                style: variant_style,
            });
        }
        // Derivations refer to variants by name, so resolve them once all are known.
        for v in &decl.variants {
            let Some(Node { node: ast::VariantSource::Derived(derived), span }) = &v.source else { continue };
            let Some(index) = self.traits[id].variants.iter().position(|x| x.span == v.name.span) else { continue };
            if kind == TraitKind::MetadataOnly {
                continue;
            }
            if let Some(art) = self.resolve_derived(id, &v.name, derived, *span) {
                self.traits[id].variants[index].art = art;
            }
        }
        let t = &self.traits[id];
        if !t.variants.is_empty() && t.variants.iter().all(|v| v.weight == 0.0) {
            self.push(
                Diagnostic::new(
                    Code::ZeroWeights,
                    decl.name.span,
                    format!("every variant of `{}` has weight 0", decl.name),
                )
                .label("no variant can be drawn")
                .help("give at least one variant a positive weight"),
            );
        }
    }

    fn metadata_art(&mut self, span: Span, trait_name: &str, what: &str) {
        self.push(
            Diagnostic::new(
                Code::ArtOnMetadataTrait,
                span,
                format!("metadata trait `{trait_name}` cannot have {what}"),
            )
            .label("a metadata trait has no art")
            .help("remove this, or declare the trait without `metadata` to render it"),
        );
    }

    /// Reports options given twice in one list (the last would silently win).
    fn repeated_options(&mut self, options: &[Node<LayerOption>], whose: impl Fn() -> String) {
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
            };
            if let Some(first) = seen.insert(key, option.span) {
                self.push(
                    Diagnostic::new(
                        Code::DuplicateSetting,
                        option.span,
                        format!("`{key}` is given twice for {}", whose()),
                    )
                    .label("given again here")
                    .with_label(first, "first given here")
                    .help("keep one of them"),
                );
            }
        }
    }

    fn apply_option(&mut self, option: &LayerOption, span: Span, style: &mut LayerStyle) {
        match option {
            LayerOption::Blend(mode) => match BlendMode::NAMES.iter().find(|(n, _)| *n == mode.node) {
                Some((_, m)) => style.blend = *m,
                None => {
                    let names = BlendMode::NAMES.iter().map(|(n, _)| *n);
                    let list = names.clone().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", ");
                    let help = match did_you_mean(&mode.node, names) {
                        Some(s) => format!("did you mean `{s}`? (blend modes: {list})"),
                        None => format!("blend modes: {list}"),
                    };
                    self.push(
                        Diagnostic::new(Code::InvalidOption, mode.span, format!("unknown blend mode `{}`", mode.node))
                            .label("not a blend mode")
                            .help(help),
                    );
                }
            },
            LayerOption::Opacity(value) => {
                let opacity = match value.node {
                    Value::Percentage(p) if (0.0..=100.0).contains(&p) => Some(p / 100.0),
                    Value::Number(n) if (0.0..=1.0).contains(&n) => Some(n),
                    _ => None,
                };
                match opacity {
                    Some(o) => style.opacity = o as f32,
                    None => self.push(
                        Diagnostic::new(Code::InvalidOption, value.span, "opacity must be between 0% and 100%")
                            .label("out of range")
                            .help("write a percentage like `60%` or a fraction like `0.6`"),
                    ),
                }
            }
            LayerOption::Offset(x, y) => {
                let mut ok = true;
                let limit = super::settings::MAX_PIXELS as f64;
                for c in [x, y] {
                    let message = if c.node.fract() != 0.0 {
                        format!("an offset is a whole number of pixels, not {}", c.node)
                    } else if c.node.abs() > limit {
                        format!("an offset of {} pixels is beyond ±{limit}", c.node)
                    } else {
                        continue;
                    };
                    ok = false;
                    self.push(
                        Diagnostic::new(Code::InvalidOption, c.span, message)
                            .label("not a valid offset")
                            .help(format!("offsets are whole numbers of pixels within ±{limit}")),
                    );
                }
                if ok {
                    style.offset = (x.node as i32, y.node as i32);
                    style.placed = true;
                }
            }
            LayerOption::Folder(_) => {}
        }
        let _ = span;
    }

    /// Validates a weight as written.
    fn weight(&mut self, value: &Node<Value>) -> Option<f64> {
        match value.node {
            Value::Number(n) if n >= 0.0 && n.is_finite() => Some(n),
            Value::Number(n) => {
                self.push(
                    Diagnostic::new(Code::NegativeWeight, value.span, format!("weight {n} is negative"))
                        .label("negative weight")
                        .help("weights are relative and non-negative; use 0 for a variant that is never drawn"),
                );
                None
            }
            Value::Percentage(p) => {
                self.push(
                    Diagnostic::new(
                        Code::InvalidWeight,
                        value.span,
                        format!("weights are relative numbers, not percentages (`{p}%`)"),
                    )
                    .label("a percentage")
                    .help(format!("write `{p}`: weights are normalised within their trait")),
                );
                None
            }
            ref other => {
                self.push(
                    Diagnostic::new(
                        Code::InvalidWeight,
                        value.span,
                        format!("a weight must be a number, not {}", other.kind()),
                    )
                    .label("not a number")
                    .help("a variant is written `Name: weight`, e.g. `Cyber: 3` or `Rare: 0.5`"),
                );
                None
            }
        }
    }

    fn variant_art(
        &mut self,
        trait_id: TraitId,
        decl: &Node<ast::TraitDecl>,
        v: &Node<ast::VariantDecl>,
        folder: &Path,
    ) -> Art {
        let kind = self.traits[trait_id].kind;
        let is_none = v.name.node == "none";
        let parts = match &v.source {
            Some(source) if is_none => {
                self.push(
                    Diagnostic::new(Code::ReservedName, source.span, "`none` cannot have art")
                        .label("art for `none`")
                        .with_label(v.name.span, "`none` is the empty variant")
                        .help("`none` renders nothing; give this variant another name to draw it"),
                );
                return Art::Empty;
            }
            Some(source) if kind == TraitKind::MetadataOnly => {
                self.metadata_art(source.span, &decl.name.node, "art");
                return Art::Empty;
            }
            _ if is_none || kind == TraitKind::MetadataOnly => return Art::Empty,
            None => return Art::Files(vec![self.default_file(trait_id, v, folder, None)]),
            Some(Node { node: ast::VariantSource::Derived(_), .. }) => return Art::Empty, // filled in later
            Some(Node { node: ast::VariantSource::Art(parts), .. }) => parts,
        };
        let mut files = Vec::new();
        for part in parts {
            let placement = part.placement.as_ref().and_then(|p| self.resolve_placement(trait_id, p));
            match &part.path {
                None => files.push(self.default_file(trait_id, v, folder, placement)),
                Some(path) => match join_inside(&self.settings.layers, &path.node) {
                    Ok(p) => files.push(ArtFile { path: p, span: path.span, placement }),
                    Err(why) => self.push(escape_diagnostic(path.span, &path.node, why)),
                },
            }
        }
        Art::Files(files)
    }

    fn default_file(
        &mut self,
        _trait_id: TraitId,
        v: &Node<ast::VariantDecl>,
        folder: &Path,
        placement: Option<(ast::Side, TraitId)>,
    ) -> ArtFile {
        let path = match file_name(&v.name.node) {
            Some(name) => folder.join(format!("{name}.png")),
            None => {
                self.push(
                    Diagnostic::new(
                        Code::PathEscape,
                        v.name.span,
                        format!("the variant name `{}` cannot be a file name", v.name),
                    )
                    .label("contains `/`, `\\` or is `.`/`..`")
                    .help(format!("give its art path after the weight: `{}: 1 \"folder/file.png\"`", v.name)),
                );
                PathBuf::new()
            }
        };
        ArtFile { path, span: v.name.span, placement }
    }

    fn resolve_placement(
        &mut self,
        trait_id: TraitId,
        placement: &Node<ast::Placement>,
    ) -> Option<(ast::Side, TraitId)> {
        let target = self.lookup_trait(&placement.trait_name)?;
        let message = if target == trait_id {
            Some(format!("a part of `{}` cannot be placed relative to its own trait", self.traits[trait_id].name))
        } else if self.traits[target].kind == TraitKind::MetadataOnly {
            Some(format!("`{}` is a metadata trait and has no layer to sit next to", self.traits[target].name))
        } else {
            None
        };
        if let Some(message) = message {
            self.push(
                Diagnostic::new(Code::InvalidPlacement, placement.trait_name.span, message)
                    .label("this trait")
                    .help("`below`/`above` name another rendered trait"),
            );
            return None;
        }
        Some((placement.side, target))
    }

    fn resolve_derived(
        &mut self,
        trait_id: TraitId,
        name: &ast::Name,
        derived: &ast::Derived,
        span: Span,
    ) -> Option<Art> {
        let t = &self.traits[trait_id];
        let Some(from) = t.variants.iter().position(|x| x.name == derived.from.node) else {
            let candidates: Vec<String> = t.variants.iter().map(|x| x.name.clone()).collect();
            self.unknown_variant_in(trait_id, &derived.from, &candidates);
            return None;
        };
        let source = &t.variants[from];
        let problem = if source.name == name.node {
            Some("a variant cannot be derived from itself".to_string())
        } else if source.is_none() {
            Some("`none` has no art to recolour".to_string())
        } else if !matches!(source.art, Art::Files(_)) {
            Some(format!("`{}` is itself derived; derive from a variant with its own art", source.name))
        } else {
            None
        };
        if let Some(message) = problem {
            self.push(
                Diagnostic::new(Code::InvalidDerive, derived.from.span, message)
                    .label("cannot recolour this")
                    .help("`from` names a variant of the same trait that has its own art"),
            );
            return None;
        }
        let recolour = match &derived.recolour.node {
            ast::Recolour::Hue(value) => match value.node {
                Value::Number(n) if (-MAX_HUE..=MAX_HUE).contains(&n) => Recolour::Hue(n),
                Value::Number(n) => {
                    // Far from zero a float cannot hold the rotation modulo 360:
                    // `hue 1e20` would render an arbitrary colour.
                    self.push(
                        Diagnostic::new(
                            Code::InvalidOption,
                            value.span,
                            format!("a `hue` rotation of {n} degrees is out of range"),
                        )
                        .label(format!("not between -{MAX_HUE} and {MAX_HUE}"))
                        .help("a rotation repeats every 360 degrees: write the same turn between -360 and 360"),
                    );
                    return None;
                }
                ref other => {
                    self.push(
                        Diagnostic::new(
                            Code::InvalidOption,
                            value.span,
                            format!("`hue` takes a number of degrees, not {}", other.kind()),
                        )
                        .label("not a number")
                        .help("e.g. `hue 120` or `hue -45`"),
                    );
                    return None;
                }
            },
            ast::Recolour::Palette(pairs) => {
                let mut seen: HashMap<[u8; 4], Span> = HashMap::new();
                let mut out = Vec::new();
                for pair in pairs {
                    if let Some(first) = seen.insert(pair.from.node, pair.from.span) {
                        self.push(
                            Diagnostic::new(Code::InvalidOption, pair.from.span, "this colour is mapped twice")
                                .label("mapped again here")
                                .with_label(first, "first mapped here")
                                .help("map each colour once"),
                        );
                    }
                    out.push((pair.from.node, pair.to.node));
                }
                Recolour::Palette(out)
            }
        };
        let _ = span;
        Some(Art::Derived { from, recolour })
    }

    // -----------------------------------------------------------------------
    // Names

    fn lookup_trait(&mut self, name: &ast::Name) -> Option<TraitId> {
        if let Some(&id) = self.by_name.get(&name.node) {
            return Some(id);
        }
        let mut d = Diagnostic::new(Code::UnknownTrait, name.span, format!("unknown trait `{}`", name.node))
            .label("no trait has this name");
        let names: Vec<&str> = self.traits.iter().map(|t| t.name.as_str()).collect();
        d = match did_you_mean(&name.node, names.iter().copied()) {
            Some(s) => d.help(format!("did you mean `{s}`?")),
            None if names.is_empty() => d.help("declare it with `trait Name < Variant: weight, ... >`"),
            None => d.help(format!("declared traits: {}", quote_list(&names))),
        };
        self.push(d);
        None
    }

    fn lookup_variant(&mut self, r: &Node<ast::VariantRef>) -> Option<VariantId> {
        let trait_id = self.lookup_trait(&r.trait_name)?;
        self.lookup_variant_in(trait_id, &r.variant)
    }

    fn lookup_variant_in(&mut self, trait_id: TraitId, name: &ast::Name) -> Option<VariantId> {
        if let Some(index) = self.traits[trait_id].variants.iter().position(|v| v.name == name.node) {
            return Some(VariantId { trait_id, index });
        }
        let candidates: Vec<String> = self.traits[trait_id].variants.iter().map(|v| v.name.clone()).collect();
        self.unknown_variant_in(trait_id, name, &candidates);
        None
    }

    fn unknown_variant_in(&mut self, trait_id: TraitId, name: &ast::Name, candidates: &[String]) {
        let t = &self.traits[trait_id];
        let mut d = Diagnostic::new(
            Code::UnknownVariant,
            name.span,
            format!("trait `{}` has no variant `{}`", t.name, name.node),
        )
        .label(format!("not a variant of `{}`", t.name));
        let names: Vec<&str> = candidates.iter().map(String::as_str).collect();
        d = match did_you_mean(&name.node, names.iter().copied()) {
            Some(s) => d.help(format!("did you mean `{s}`?")),
            None => d.help(format!("`{}` has {}", t.name, quote_list(&names))),
        };
        d = d.with_label(t.span, "trait declared here");
        self.push(d);
    }

    // -----------------------------------------------------------------------
    // Rules

    fn resolve_forbid(
        &mut self,
        rule: &Node<ast::Forbid>,
        out: &mut Vec<ForbidRule>,
        seen: &mut HashMap<(VariantId, VariantId), Span>,
    ) {
        let left: Vec<_> = rule.left.iter().map(|r| (self.lookup_variant(r), r.span)).collect();
        let right: Vec<_> = rule.right.iter().map(|r| (self.lookup_variant(r), r.span)).collect();
        for &(a, a_span) in &left {
            for &(b, b_span) in &right {
                let (Some(a), Some(b)) = (a, b) else { continue };
                if a.trait_id == b.trait_id {
                    let (message, help) = if a == b {
                        (
                            format!("`{}` is forbidden with itself", self.name_of(a)),
                            "to exclude a variant, give it weight 0",
                        )
                    } else {
                        (
                            format!("`{}` and `{}` are variants of the same trait", self.name_of(a), self.name_of(b)),
                            "a token has one variant of each trait, so these never meet; forbid variants of different traits",
                        )
                    };
                    self.push(
                        Diagnostic::new(Code::RuleNeverFires, b_span, message)
                            .label("same trait")
                            .with_label(a_span, "")
                            .help(help),
                    );
                    continue;
                }
                let key = if a < b { (a, b) } else { (b, a) };
                if let Some(first) = seen.get(&key) {
                    let first = *first;
                    self.push(
                        Diagnostic::new(
                            Code::DuplicateRule,
                            a_span.to(b_span),
                            format!("`{}` is already forbidden with `{}`", self.name_of(a), self.name_of(b)),
                        )
                        .label("forbidden again here")
                        .with_label(first, "first forbidden here")
                        .help("remove one of the two"),
                    );
                    continue;
                }
                seen.insert(key, a_span.to(b_span));
                out.push(ForbidRule { a, b, span: rule.span });
            }
        }
    }

    fn resolve_require(
        &mut self,
        rule: &Node<ast::Require>,
        out: &mut Vec<RequireRule>,
        seen: &mut HashMap<(VariantId, Vec<VariantId>), Span>,
    ) {
        let left: Vec<_> = rule.left.iter().map(|r| self.lookup_variant(r)).collect();
        let right: Vec<_> = rule.right.iter().map(|r| self.lookup_variant(r)).collect();
        if right.iter().any(Option::is_none) {
            return;
        }
        let mut alternatives: Vec<VariantId> = right.into_iter().flatten().collect();
        alternatives.sort();
        alternatives.dedup();
        for (when, r) in left.into_iter().zip(&rule.left) {
            let Some(when) = when else { continue };
            if alternatives.contains(&when) {
                self.push(
                    Diagnostic::new(Code::RuleNeverFires, r.span, format!("`{}` requires itself", self.name_of(when)))
                        .label("always satisfied")
                        .help("a rule `require A -> A | ...` never excludes anything"),
                );
                continue;
            }
            if let Some(first) = seen.get(&(when, alternatives.clone())) {
                let first = *first;
                self.push(
                    Diagnostic::new(
                        Code::DuplicateRule,
                        r.span,
                        format!("`{}` already has this requirement", self.name_of(when)),
                    )
                    .label("required again here")
                    .with_label(first, "first required here")
                    .help("remove one of the two"),
                );
                continue;
            }
            seen.insert((when, alternatives.clone()), rule.span);
            out.push(RequireRule { when, alternatives: alternatives.clone(), span: rule.span });
        }
    }

    fn resolve_when(&mut self, rule: &Node<ast::When>) -> Option<WhenRule> {
        let conditions: Vec<(VariantId, Span)> =
            rule.conditions.iter().filter_map(|r| self.lookup_variant(r).map(|v| (v, r.span))).collect();
        if conditions.len() != rule.conditions.len() {
            return None;
        }
        let condition_trait = conditions.first()?.0.trait_id;
        if let Some((v, span)) = conditions.iter().find(|(v, _)| v.trait_id != condition_trait) {
            let span = *span;
            self.push(
                Diagnostic::new(
                    Code::AmbiguousWhen,
                    span,
                    format!(
                        "a `when` combines variants of `{}` and `{}`",
                        self.traits[condition_trait].name, self.traits[v.trait_id].name
                    ),
                )
                .label("another trait")
                .with_label(conditions[0].1, "")
                .help("the alternatives of one `when` must be variants of one trait; write one `when` per trait"),
            );
            return None;
        }
        if rule.overrides.is_empty() {
            self.push(
                Diagnostic::new(Code::RuleNeverFires, rule.span, "this `when` changes no weights").label("empty").help(
                    "list the traits whose weights change, e.g. `when Body.Zombie { Eyes < Normal: 1, Laser: 4 > }`",
                ),
            );
        }
        let mut indices: Vec<usize> = conditions.iter().map(|(v, _)| v.index).collect();
        indices.sort_unstable();
        indices.dedup();
        let mut overrides: Vec<(TraitId, Vec<f64>)> = Vec::new();
        let mut spans: HashMap<TraitId, Span> = HashMap::new();
        for o in &rule.overrides {
            let Some(target) = self.lookup_trait(&o.trait_name) else { continue };
            if target == condition_trait {
                self.push(
                    Diagnostic::new(
                        Code::WhenCycle,
                        o.trait_name.span,
                        format!(
                            "a `when` on `{}` cannot change the weights of `{}` itself",
                            self.traits[target].name, self.traits[target].name
                        ),
                    )
                    .label("the condition's own trait")
                    .with_label(conditions[0].1, "condition")
                    .help("a trait's weights can depend on other traits only"),
                );
                continue;
            }
            if let Some(first) = spans.get(&target) {
                let first = *first;
                self.push(
                    Diagnostic::new(
                        Code::AmbiguousWhen,
                        o.trait_name.span,
                        format!("`{}` is given weights twice in this `when`", self.traits[target].name),
                    )
                    .label("given again here")
                    .with_label(first, "first given here")
                    .help("merge the two lists"),
                );
                continue;
            }
            spans.insert(target, o.trait_name.span);
            let mut weights = vec![0.0; self.traits[target].variants.len()];
            let mut listed: HashMap<usize, Span> = HashMap::new();
            for w in &o.weights {
                let Some(v) = self.lookup_variant_in(target, &w.variant) else { continue };
                if let Some(first) = listed.insert(v.index, w.variant.span) {
                    self.push(
                        Diagnostic::new(
                            Code::DuplicateVariant,
                            w.variant.span,
                            format!("`{}` is listed twice", w.variant),
                        )
                        .label("listed again here")
                        .with_label(first, "first listed here")
                        .help("list each variant once"),
                    );
                    continue;
                }
                weights[v.index] = self.weight(&w.weight).unwrap_or(1.0);
                if weights[v.index] > 0.0 {
                    self.enabled_by_when.insert(v);
                }
            }
            if !o.weights.is_empty() && weights.iter().all(|w| *w == 0.0) && listed.len() == o.weights.len() {
                self.push(
                    Diagnostic::new(
                        Code::ZeroWeights,
                        o.span,
                        format!("this `when` gives every variant of `{}` weight 0", self.traits[target].name),
                    )
                    .label("no variant can be drawn under this condition")
                    .help("give at least one variant a positive weight, or forbid the condition instead"),
                );
            }
            overrides.push((target, weights));
        }
        Some(WhenRule { condition_trait, conditions: indices, overrides, span: rule.span })
    }

    fn resolve_count(&mut self, rule: &Node<ast::Count>) -> Option<CountRule> {
        let variant = self.lookup_variant(&rule.target);
        let size = self.drawn;
        let value = &rule.value;
        // The bound as a fraction `numerator / 100` of tokens, to keep percentages exact.
        let hundredths: u128 = match value.node {
            Value::Number(n) if n >= 0.0 && n.fract() == 0.0 && n < 1e15 => n as u128 * 100,
            Value::Percentage(p) if (0.0..=100.0).contains(&p) => {
                // p% of size tokens, in hundredths of a token: p * size.
                let scaled = p * size as f64;
                let whole = (scaled / 100.0 - (scaled / 100.0).round()).abs() < 1e-9;
                if !whole && rule.op.node == CountOp::Eq {
                    self.push(
                        Diagnostic::new(
                            Code::InvalidValue,
                            value.span,
                            format!("{p}% of {size} tokens is {} tokens, not a whole number", scaled / 100.0),
                        )
                        .label("not a whole number of tokens")
                        .help("use a number of tokens, or `<=`/`>=` which round"),
                    );
                    return None;
                }
                if whole { (scaled / 100.0).round() as u128 * 100 } else { scaled.round() as u128 }
            }
            Value::Number(n) => {
                self.push(
                    Diagnostic::new(
                        Code::InvalidValue,
                        value.span,
                        format!("a count is a whole number of tokens, not {n}"),
                    )
                    .label("not a whole number")
                    .help("e.g. `count Head.Crown = 2` or `count Eyes.Laser <= 5%`"),
                );
                return None;
            }
            Value::Percentage(p) => {
                self.push(
                    Diagnostic::new(Code::InvalidValue, value.span, format!("a count of {p}% is out of range"))
                        .label("not between 0% and 100%")
                        .help("a percentage of the drawn tokens, from 0% to 100%"),
                );
                return None;
            }
            ref other => {
                self.push(
                    Diagnostic::new(
                        Code::InvalidValue,
                        value.span,
                        format!("a count is a whole number of tokens or a percentage, not {}", other.kind()),
                    )
                    .label("not a count")
                    .help("e.g. `count Head.Crown = 2` or `count Eyes.Laser <= 5%`"),
                );
                return None;
            }
        };
        let floor = (hundredths / 100) as u64;
        let ceil = hundredths.div_ceil(100) as u64;
        let (min, max) = match rule.op.node {
            CountOp::Eq => (floor, floor),
            CountOp::Le => (0, floor),
            CountOp::Ge => (ceil, size),
            CountOp::Lt => {
                if ceil == 0 {
                    self.push(
                        Diagnostic::new(Code::CountConflict, rule.span, "no count is below 0")
                            .label("can never hold")
                            .help("to exclude a variant, give it weight 0"),
                    );
                    return None;
                }
                (0, ceil - 1)
            }
            CountOp::Gt => (floor + 1, size),
        };
        let variant = variant?;
        if min > size {
            let name = self.name_of(variant);
            self.push(
                Diagnostic::new(
                    Code::CountConflict,
                    rule.span,
                    format!(
                        "`count {name} {} {}` asks for {min} tokens but the collection draws {size}",
                        rule.op.node,
                        value_text(&value.node)
                    ),
                )
                .label(format!("{min} > {size}"))
                .with_label(self.spans.get("size"), "the collection's size")
                .help("lower the count or raise `size`"),
            );
            return None;
        }
        let written = match value.node {
            Value::Percentage(p) => format!("{p}%"),
            Value::Number(n) => format!("{n}"),
            _ => String::new(),
        };
        Some(CountRule { variant, op: rule.op.node, min, max: max.min(size), written, span: rule.span })
    }

    fn resolve_unique(&mut self, rule: &Node<ast::Unique>) -> Vec<TraitId> {
        let Some(names) = &rule.traits else { return (0..self.traits.len()).collect() };
        let mut out = Vec::new();
        for name in names {
            let Some(id) = self.lookup_trait(name) else { continue };
            if out.contains(&id) {
                self.push(
                    Diagnostic::new(Code::DuplicateRule, name.span, format!("`{}` is listed twice", name.node))
                        .label("listed again")
                        .help("list each trait once"),
                );
                continue;
            }
            out.push(id);
        }
        out.sort_unstable();
        out
    }

    fn resolve_legendary(&mut self, rule: &Node<ast::Legendary>) -> Option<Legendary> {
        let image = match project_relative(&rule.image.node) {
            Ok(p) => p,
            Err(why) => {
                self.push(escape_diagnostic(rule.image.span, &rule.image.node, why));
                return None;
            }
        };
        let mut seen: HashMap<&str, Span> = HashMap::new();
        let mut attributes = Vec::new();
        for a in &rule.attributes {
            if let Some(first) = seen.insert(&a.trait_name.node, a.trait_name.span) {
                self.push(
                    Diagnostic::new(
                        Code::LegendaryConflict,
                        a.trait_name.span,
                        format!("attribute `{}` is given twice", a.trait_name),
                    )
                    .label("given again here")
                    .with_label(first, "first given here")
                    .help("give each attribute once"),
                );
                continue;
            }
            let value = match &a.value.node {
                Value::Number(n) => AttributeValue::Number(*n),
                Value::String(s) | Value::Word(s) => AttributeValue::Text(s.clone()),
                other => AttributeValue::Text(format!("{other:?}")),
            };
            attributes.push((a.trait_name.node.clone(), value));
        }
        let first = self.settings.first_id;
        let last = first + self.settings.size.saturating_sub(1);
        if let Some(id) = &rule.id {
            if id.node < first || id.node > last {
                self.push(
                    Diagnostic::new(
                        Code::LegendaryConflict,
                        id.span,
                        format!("id {} is outside the collection's ids {first}..={last}", id.node),
                    )
                    .label("no such token")
                    .with_label(self.spans.get("size"), "the collection's size")
                    .help(format!("choose an id from {first} to {last}, or leave out `at` for a seeded random id")),
                );
            }
        }
        Some(Legendary {
            name: rule.name.node.clone(),
            id: rule.id.as_ref().map(|i| i.node),
            image,
            attributes,
            span: rule.span,
        })
    }

    // -----------------------------------------------------------------------
    // Whole-collection checks

    fn check_whens(&mut self, whens: &[WhenRule]) {
        // One trait's weights may depend on one other trait only, and each of
        // its variants triggers at most one override.
        let mut by_target: BTreeMap<TraitId, Vec<(&WhenRule, usize)>> = BTreeMap::new();
        for when in whens {
            for (i, (target, _)) in when.overrides.iter().enumerate() {
                by_target.entry(*target).or_default().push((when, i));
            }
        }
        for (target, list) in &by_target {
            for (j, (when, _)) in list.iter().enumerate() {
                for (earlier, _) in &list[..j] {
                    let clash = if earlier.condition_trait != when.condition_trait {
                        Some(format!(
                            "the weights of `{}` depend on both `{}` and `{}`",
                            self.traits[*target].name,
                            self.traits[earlier.condition_trait].name,
                            self.traits[when.condition_trait].name
                        ))
                    } else {
                        earlier.conditions.iter().find(|c| when.conditions.contains(c)).map(|c| {
                            format!(
                                "two `when` rules give `{}` weights for `{}.{}`",
                                self.traits[*target].name,
                                self.traits[when.condition_trait].name,
                                self.traits[when.condition_trait].variants[*c].name
                            )
                        })
                    };
                    if let Some(message) = clash {
                        self.push(
                            Diagnostic::new(Code::AmbiguousWhen, when.span, message)
                                .label("this `when`")
                                .with_label(earlier.span, "and this one")
                                .help("a token would get two sets of weights; make each trait's weights depend on one trait's variants, each listed once"),
                        );
                    }
                }
            }
        }
        // Cycles: condition trait -> overridden trait.
        let n = self.traits.len();
        let mut edges: Vec<Vec<(TraitId, Span)>> = vec![Vec::new(); n];
        for when in whens {
            for (target, _) in &when.overrides {
                edges[when.condition_trait].push((*target, when.span));
            }
        }
        let mut state = vec![0u8; n]; // 0 new, 1 on stack, 2 done
        let mut stack: Vec<TraitId> = Vec::new();
        for start in 0..n {
            if let Some((cycle, span)) = find_cycle(start, &edges, &mut state, &mut stack) {
                let names: Vec<String> = cycle.iter().map(|&t| format!("`{}`", self.traits[t].name)).collect();
                self.push(
                    Diagnostic::new(Code::WhenCycle, span, format!("`when` rules form a cycle: {}", names.join(" → ")))
                        .label("closes the cycle")
                        .help("each trait's weights may depend on traits that do not depend on it in turn"),
                );
            }
        }
    }

    fn check_counts(&mut self, counts: &[CountRule]) {
        let size = self.drawn;
        let mut by_variant: BTreeMap<VariantId, Vec<&CountRule>> = BTreeMap::new();
        for c in counts {
            by_variant.entry(c.variant).or_default().push(c);
        }
        let mut bounds: BTreeMap<VariantId, (u64, u64)> = BTreeMap::new();
        for (variant, rules) in &by_variant {
            let (mut min, mut max) = (0u64, size);
            for (i, rule) in rules.iter().enumerate() {
                let (new_min, new_max) = (min.max(rule.min), max.min(rule.max));
                if new_min > new_max {
                    let other =
                        rules[..i].iter().find(|r| r.min > rule.max || r.max < rule.min).copied().unwrap_or(rules[0]);
                    self.push(
                        Diagnostic::new(
                            Code::CountConflict,
                            rule.span,
                            format!("counts of `{}` contradict each other", self.name_of(*variant)),
                        )
                        .label(format!("needs {}..={}", rule.min, rule.max))
                        .with_label(other.span, format!("needs {}..={}", other.min, other.max))
                        .help("no number of tokens satisfies both; remove or change one"),
                    );
                    break;
                }
                (min, max) = (new_min, new_max);
            }
            bounds.insert(*variant, (min, max));
        }
        // Per trait: the counted variants' least numbers must fit in `size`,
        // and if every variant is bounded the greatest must reach it.
        let mut by_trait: BTreeMap<TraitId, Vec<(VariantId, u64, u64)>> = BTreeMap::new();
        for (v, (min, max)) in &bounds {
            by_trait.entry(v.trait_id).or_default().push((*v, *min, *max));
        }
        for (trait_id, list) in by_trait {
            let least: u64 = list.iter().map(|x| x.1).sum();
            let span = by_variant[&list[0].0].last().map(|r| r.span).unwrap_or_default();
            if least > size {
                self.push(
                    Diagnostic::new(
                        Code::CountConflict,
                        span,
                        format!(
                            "counts of `{}` need at least {least} tokens but the collection draws {size}",
                            self.traits[trait_id].name
                        ),
                    )
                    .label("these counts together")
                    .with_label(self.spans.get("size"), "the collection's size")
                    .help("a token has one variant of each trait; lower the counts or raise `size`"),
                );
            }
            let drawable =
                self.traits[trait_id].variants.iter().enumerate().filter(|(i, v)| {
                    v.weight > 0.0 || self.enabled_by_when.contains(&VariantId { trait_id, index: *i })
                });
            let mut most: u64 = 0;
            let mut all_bounded = true;
            for (i, _) in drawable {
                match list.iter().find(|x| x.0.index == i) {
                    Some(x) => most = most.saturating_add(x.2),
                    None => all_bounded = false,
                }
            }
            if all_bounded && most < size {
                self.push(
                    Diagnostic::new(
                        Code::CountConflict,
                        span,
                        format!(
                            "counts of `{}` allow at most {most} tokens but the collection draws {size}",
                            self.traits[trait_id].name
                        ),
                    )
                    .label("every variant is capped")
                    .with_label(self.spans.get("size"), "the collection's size")
                    .help("a token has one variant of each trait; raise a cap or lower `size`"),
                );
            }
        }
    }

    fn check_legendaries(&mut self, legendaries: &[Legendary]) {
        let mut ids: HashMap<u64, Span> = HashMap::new();
        for l in legendaries {
            if let Some(id) = l.id {
                if let Some(first) = ids.insert(id, l.span) {
                    self.push(
                        Diagnostic::new(Code::LegendaryConflict, l.span, format!("two legendaries take id {id}"))
                            .label("this one")
                            .with_label(first, "and this one")
                            .help("give each legendary its own id"),
                    );
                }
            }
        }
        if legendaries.len() as u64 > self.settings.size {
            let span = legendaries.last().map(|l| l.span).unwrap_or_default();
            self.push(
                Diagnostic::new(
                    Code::LegendaryConflict,
                    span,
                    format!("{} legendaries do not fit in a collection of {}", legendaries.len(), self.settings.size),
                )
                .label("one too many")
                .with_label(self.spans.get("size"), "the collection's size")
                .help("raise `size` or remove legendaries"),
            );
        }
    }

    fn check_unused(&mut self) {
        let mut found = Vec::new();
        for (trait_id, t) in self.traits.iter().enumerate() {
            if t.variants.iter().all(|v| v.weight == 0.0) {
                continue; // reported as zero_weights
            }
            for (index, v) in t.variants.iter().enumerate() {
                if v.weight == 0.0 && !self.enabled_by_when.contains(&VariantId { trait_id, index }) {
                    found.push(
                        Diagnostic::new(Code::UnusedVariant, v.span, format!("`{}.{}` is never drawn", t.name, v.name))
                            .label("weight 0, and no `when` gives it weight")
                            .with_label(v.weight_span, "")
                            .help("give it a positive weight, enable it in a `when`, or remove it"),
                    );
                }
            }
        }
        self.diagnostics.extend(found);
    }

    fn name_of(&self, v: VariantId) -> String {
        let t = &self.traits[v.trait_id];
        format!("{}.{}", t.name, t.variants[v.index].name)
    }
}

fn find_cycle(
    start: TraitId,
    edges: &[Vec<(TraitId, Span)>],
    state: &mut [u8],
    stack: &mut Vec<TraitId>,
) -> Option<(Vec<TraitId>, Span)> {
    if state[start] != 0 {
        return None;
    }
    state[start] = 1;
    stack.push(start);
    for &(next, span) in &edges[start] {
        if state[next] == 1 {
            let from = stack.iter().position(|&t| t == next).unwrap_or(0);
            let mut cycle = stack[from..].to_vec();
            cycle.push(next);
            // Leave the remaining graph to other starts, without reporting this cycle twice.
            for &t in stack.iter() {
                state[t] = 2;
            }
            stack.clear();
            return Some((cycle, span));
        }
        if let Some(found) = find_cycle(next, edges, state, stack) {
            return Some(found);
        }
    }
    stack.pop();
    state[start] = 2;
    None
}

fn value_text(value: &Value) -> String {
    match value {
        Value::Percentage(p) => format!("{p}%"),
        Value::Number(n) => format!("{n}"),
        other => other.kind().to_string(),
    }
}

/// `name` when it can be used as one file or folder name.
fn file_name(name: &str) -> Option<&str> {
    let bad = name.is_empty() || name == "." || name == ".." || name.contains(['/', '\\', '\0']);
    (!bad).then_some(name)
}

/// `` `a`, `b` and `c` ``
pub fn quote_list(names: &[&str]) -> String {
    let quoted: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
    match quoted.as_slice() {
        [] => "no variants".to_string(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {}", init.join(", "), last),
    }
}
