//! `count Trait.Variant OP N` (or `N%`): every count rule in one place, each
//! resolved into bounds on the drawn tokens, then all checked together for
//! what needs no reasoning over the rules (contradicting counts of one
//! variant, a trait's counts against `size`); joint feasibility with the
//! rules and `unique` is `check::feasibility`'s.

use std::collections::BTreeMap;

use super::problem::Problem;
use super::{Resolver, value_text};
use crate::model::*;
use crate::syntax::{self as ast, Node, Value};

impl Resolver<'_> {
    pub(super) fn resolve_count(&mut self, rule: &Node<ast::Count>) -> Option<CountRule> {
        let variants = self.resolve_ref(&rule.target).map(|named| {
            let mut ids: Vec<VariantId> = named.iter().map(|n| n.id).collect();
            ids.sort_unstable();
            ids.dedup();
            ids
        });
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
                    self.report(Problem::CountPercentNotWhole {
                        percent: p,
                        size,
                        tokens: scaled / 100.0,
                        span: value.span,
                    });
                    return None;
                }
                if whole { (scaled / 100.0).round() as u128 * 100 } else { scaled.round() as u128 }
            }
            Value::Number(n) => {
                self.report(Problem::CountNotWhole { value: n, span: value.span });
                return None;
            }
            Value::Percentage(p) => {
                self.report(Problem::CountPercentRange { percent: p, span: value.span });
                return None;
            }
            ref other => {
                self.report(Problem::CountNotANumber { kind: other.kind(), span: value.span });
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
                    self.report(Problem::CountBelowZero { span: rule.span });
                    return None;
                }
                (0, ceil - 1)
            }
            CountOp::Gt => (floor + 1, size),
        };
        let variants = variants?;
        let target = match &rule.target.node {
            ast::Ref::Group(name) => source_name(&name.node).into_owned(),
            ast::Ref::Variant(_) => {
                let v = variants[0];
                format!(
                    "{}.{}",
                    source_name(&self.traits[v.trait_id].name),
                    source_name(&self.traits[v.trait_id].variants[v.index].name)
                )
            }
        };
        if min > size {
            self.report(Problem::CountAboveSize {
                name: target,
                op: rule.op.node,
                written: value_text(&value.node),
                min,
                size,
                span: rule.span,
            });
            return None;
        }
        let written = match value.node {
            Value::Percentage(p) => format!("{p}%"),
            Value::Number(n) => format!("{n}"),
            _ => String::new(),
        };
        Some(CountRule { variants, target, op: rule.op.node, min, max: max.min(size), written, span: rule.span })
    }

    /// Counts of one variant that contradict each other, and per trait
    /// counts that need more tokens than are drawn or cap every variant
    /// below them.
    pub(super) fn check_counts(&mut self, counts: &[CountRule]) {
        let size = self.drawn;
        // Counts of one target (a variant, or one set of variants).
        let mut by_variant: BTreeMap<&[VariantId], Vec<&CountRule>> = BTreeMap::new();
        for c in counts {
            by_variant.entry(&c.variants).or_default().push(c);
        }
        let mut bounds: BTreeMap<VariantId, (u64, u64)> = BTreeMap::new();
        for (variant, rules) in &by_variant {
            let (mut min, mut max) = (0u64, size);
            for (i, rule) in rules.iter().enumerate() {
                let (new_min, new_max) = (min.max(rule.min), max.min(rule.max));
                if new_min > new_max {
                    let other =
                        rules[..i].iter().find(|r| r.min > rule.max || r.max < rule.min).copied().unwrap_or(rules[0]);
                    self.report(Problem::CountsContradict {
                        name: rule.target.clone(),
                        span: rule.span,
                        bounds: (rule.min, rule.max),
                        other: other.span,
                        other_bounds: (other.min, other.max),
                    });
                    break;
                }
                (min, max) = (new_min, new_max);
            }
            // Per trait analysis below is over single variants; a group's
            // bounds are the joint problem's (`check::feasibility`).
            if let [v] = variant {
                bounds.insert(*v, (min, max));
            }
        }
        // Per trait: the counted variants' least numbers must fit in `size`,
        // and if every variant is bounded the greatest must reach it.
        let mut by_trait: BTreeMap<TraitId, Vec<(VariantId, u64, u64)>> = BTreeMap::new();
        for (v, (min, max)) in &bounds {
            by_trait.entry(v.trait_id).or_default().push((*v, *min, *max));
        }
        for (trait_id, list) in by_trait {
            let least: u64 = list.iter().map(|x| x.1).sum();
            let span =
                by_variant.get([list[0].0].as_slice()).and_then(|r| r.last()).map(|r| r.span).unwrap_or_default();
            let trait_name = self.traits[trait_id].name.clone();
            if least > size {
                self.report(Problem::CountsNeedMore { trait_name: trait_name.clone(), least, size, span });
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
                self.report(Problem::CountsAllowFewer { trait_name, most, size, span });
            }
        }
    }
}
