//! `when Trait.Variant { Other < weights > }`: weights that depend on another
//! trait's variant; checked together for clashes and cycles.

use std::collections::{BTreeMap, HashMap};

use super::Resolver;
use super::problem::{Problem, WhenClash};
use crate::model::source_name;
use crate::model::*;
use crate::span::Span;
use crate::syntax::{self as ast, Node};

impl Resolver<'_> {
    pub(super) fn resolve_when(&mut self, rule: &Node<ast::When>) -> Option<WhenRule> {
        let conditions: Vec<(VariantId, Span)> =
            self.resolve_refs(&rule.conditions)?.into_iter().map(|n| (n.id, n.span)).collect();
        let condition_trait = conditions.first()?.0.trait_id;
        if let Some((v, span)) = conditions.iter().find(|(v, _)| v.trait_id != condition_trait) {
            self.report(Problem::WhenMixesTraits {
                first_trait: self.traits[condition_trait].name.clone(),
                other_trait: self.traits[v.trait_id].name.clone(),
                span: *span,
                first: conditions[0].1,
            });
            return None;
        }
        if rule.overrides.is_empty() && rule.art.is_empty() {
            self.report(Problem::EmptyWhen { span: rule.span });
        }
        let mut indices: Vec<usize> = conditions.iter().map(|(v, _)| v.index).collect();
        indices.sort_unstable();
        indices.dedup();
        let mut overrides: Vec<(TraitId, Vec<f64>)> = Vec::new();
        let mut spans: HashMap<TraitId, Span> = HashMap::new();
        for o in &rule.overrides {
            let Some(target) = self.lookup_trait(&o.trait_name) else { continue };
            if target == condition_trait {
                self.report(Problem::WhenOnOwnTrait {
                    trait_name: self.traits[target].name.clone(),
                    span: o.trait_name.span,
                    condition: conditions[0].1,
                });
                continue;
            }
            if let Some(&first) = spans.get(&target) {
                self.report(Problem::WhenTraitTwice {
                    trait_name: self.traits[target].name.clone(),
                    span: o.trait_name.span,
                    first,
                });
                continue;
            }
            spans.insert(target, o.trait_name.span);
            let mut weights = vec![0.0; self.traits[target].variants.len()];
            let mut listed: HashMap<usize, Span> = HashMap::new();
            for w in &o.weights {
                let Some(v) = self.lookup_variant_in(target, &w.variant) else { continue };
                if let Some(first) = listed.insert(v.index, w.variant.span) {
                    self.report(Problem::WhenVariantTwice {
                        name: w.variant.node.clone(),
                        span: w.variant.span,
                        first,
                    });
                    continue;
                }
                weights[v.index] = self.weight(&w.weight).unwrap_or(1.0);
                if weights[v.index] > 0.0 {
                    self.enabled_by_when.insert(v);
                }
            }
            if !o.weights.is_empty() && weights.iter().all(|w| *w == 0.0) && listed.len() == o.weights.len() {
                self.report(Problem::WhenZeroWeights { trait_name: self.traits[target].name.clone(), span: o.span });
            }
            overrides.push((target, weights));
        }
        let art = self.resolve_when_art(rule);
        Some(WhenRule { condition_trait, conditions: indices, overrides, art, span: rule.span })
    }

    /// The `art` lines of a `when` block.
    fn resolve_when_art(&mut self, rule: &Node<ast::When>) -> Vec<WhenArt> {
        let mut out = Vec::new();
        // Per variant (`Some(index)`) or whole trait (`None`): where its art was first given.
        let mut given: HashMap<(TraitId, Option<usize>), Span> = HashMap::new();
        for line in &rule.art {
            let (trait_id, variant, change) = match &line.node {
                ast::WhenArt::Variant { target, source, options } => {
                    let Some(id) = self.lookup_variant(&target.node) else { continue };
                    let t = &self.traits[id.trait_id];
                    if t.kind == TraitKind::MetadataOnly {
                        let name = t.name.clone();
                        self.metadata_art(line.span, &name, "art");
                        continue;
                    }
                    if t.variants[id.index].is_none() {
                        self.report(Problem::NoneWithArt { span: line.span, name: target.variant.span });
                        continue;
                    }
                    let Some(change) = self.variant_change(id, &target.variant, source.as_ref(), options) else {
                        continue;
                    };
                    (id.trait_id, Some(id.index), change)
                }
                ast::WhenArt::Trait { trait_name, recolour } => {
                    let Some(trait_id) = self.lookup_trait(trait_name) else { continue };
                    if self.traits[trait_id].kind == TraitKind::MetadataOnly {
                        self.metadata_art(line.span, &trait_name.node, "art");
                        continue;
                    }
                    let Some(recolour) = self.resolve_recolour(recolour) else { continue };
                    (trait_id, None, ArtChange::Trait(recolour))
                }
            };
            if let Some(&first) = given.get(&(trait_id, variant)) {
                let t = &self.traits[trait_id];
                let what = match variant {
                    Some(i) => format!("`{}.{}`", source_name(&t.name), source_name(&t.variants[i].name)),
                    None => format!("every variant of `{}`", source_name(&t.name)),
                };
                self.report(Problem::WhenArtTwice { what, span: line.span, first });
                continue;
            }
            given.insert((trait_id, variant), line.span);
            out.push(WhenArt { trait_id, change, span: line.span });
        }
        out
    }

    /// `art Trait.Variant <source> <options>`: the art and style it gives.
    fn variant_change(
        &mut self,
        id: VariantId,
        name: &ast::Name,
        source: Option<&Node<ast::VariantSource>>,
        options: &[Node<ast::LayerOption>],
    ) -> Option<ArtChange> {
        let t = &self.traits[id.trait_id];
        let (trait_name, folder) = (t.name.clone(), t.folder.clone());
        let own = t.options_of(&t.variants[id.index]);
        let mut style = own.style;
        let own_profiles = own.profiles;
        let mut profiles = own_profiles;
        self.repeated_options(options, || format!("`{}.{}` in this `when`", trait_name, name.node));
        for option in options {
            if let ast::LayerOption::Profiles(word) = &option.node {
                if let Some(p) = self.profiles_option(word, option.span) {
                    let no_files = match source.map(|s| &s.node) {
                        Some(ast::VariantSource::Derived(d)) => {
                            Some(format!("recoloured art draws the files of `{}`, whose option counts", d.from))
                        }
                        _ => None,
                    };
                    if !self.redundant_profiles(p, own_profiles, no_files) {
                        profiles = Some(p);
                    }
                }
            } else {
                self.apply_option(&option.node, &mut style);
            }
        }
        let art = match source.map(|s| &s.node) {
            Some(ast::VariantSource::Derived(derived)) => self.resolve_derived(id.trait_id, name, derived, true)?,
            _ => {
                // Files (or the default file) as a variant declaration gives them.
                let decl = ast::VariantDecl::new(ast::VariantParts {
                    name: name.clone(),
                    weight: Node::new(ast::Value::Number(1.0), name.span),
                    source: source.cloned(),
                    options: Vec::new(),
                    span: name.span,
                });
                self.variant_art(id.trait_id, &trait_name, &decl, &folder, false)
            }
        };
        Some(ArtChange::Variant { index: id.index, art, style, profiles })
    }

    /// One trait's weights may depend on one other trait only, each of its
    /// variants triggering at most one override, and without cycles.
    pub(super) fn check_whens(&mut self, whens: &[WhenRule]) {
        let mut by_target: BTreeMap<TraitId, Vec<(&WhenRule, usize)>> = BTreeMap::new();
        for when in whens {
            for (i, (target, _)) in when.overrides.iter().enumerate() {
                by_target.entry(*target).or_default().push((when, i));
            }
        }
        for (target, list) in &by_target {
            for (j, (when, _)) in list.iter().enumerate() {
                for (earlier, _) in &list[..j] {
                    let name = |t: TraitId| self.traits[t].name.clone();
                    let clash = if earlier.condition_trait != when.condition_trait {
                        Some(WhenClash::TwoTraits {
                            target: name(*target),
                            first: name(earlier.condition_trait),
                            second: name(when.condition_trait),
                        })
                    } else {
                        earlier.conditions.iter().find(|c| when.conditions.contains(c)).map(|c| {
                            WhenClash::SameCondition {
                                target: name(*target),
                                condition_trait: name(when.condition_trait),
                                variant: self.traits[when.condition_trait].variants[*c].name.to_string(),
                            }
                        })
                    };
                    if let Some(why) = clash {
                        self.report(Problem::WhenClash { why, span: when.span, other: earlier.span });
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
                let names = cycle.iter().map(|&t| self.traits[t].name.clone()).collect();
                self.report(Problem::WhenCycle { names, span });
            }
        }
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
