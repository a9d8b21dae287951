//! `legendary Name [at ID] "image.png" { attributes }`: hand-made tokens.

use std::collections::HashMap;

use super::Resolver;
use super::problem::Problem;
use crate::model::paths::project_relative;
use crate::model::*;
use crate::span::Span;
use crate::syntax::{self as ast, Node, Value};

impl Resolver<'_> {
    pub(super) fn resolve_legendary(&mut self, rule: &Node<ast::Legendary>) -> Option<Legendary> {
        let image = match project_relative(&rule.image.node) {
            Ok(p) => p,
            Err(why) => {
                self.report(Problem::Escape { span: rule.image.span, path: rule.image.node.clone(), why });
                return None;
            }
        };
        let mut seen: HashMap<&str, Span> = HashMap::new();
        let mut attributes = Vec::new();
        for a in &rule.attributes {
            if let Some(first) = seen.insert(&a.trait_name.node, a.trait_name.span) {
                self.report(Problem::AttributeTwice {
                    name: a.trait_name.node.clone(),
                    span: a.trait_name.span,
                    first,
                });
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
                self.report(Problem::LegendaryIdOutside { id: id.node, first, last, span: id.span });
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

    /// Ids taken twice, and more legendaries than tokens.
    pub(super) fn check_legendaries(&mut self, legendaries: &[Legendary]) {
        let mut ids: HashMap<u64, Span> = HashMap::new();
        for l in legendaries {
            if let Some(id) = l.id {
                if let Some(first) = ids.insert(id, l.span) {
                    self.report(Problem::LegendaryIdTaken { id, span: l.span, first });
                }
            }
        }
        if legendaries.len() as u64 > self.settings.size {
            let span = legendaries.last().map(|l| l.span).unwrap_or_default();
            self.report(Problem::TooManyLegendaries { count: legendaries.len(), size: self.settings.size, span });
        }
    }
}
