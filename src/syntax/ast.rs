//! The abstract syntax tree of a `.drop` file.
//!
//! Every node carries the byte span of the source text it came from, so that
//! any later stage can point a diagnostic at it. Equality ignores spans: two
//! trees are equal when they say the same thing, wherever it was written.

use std::fmt;
use std::ops::Deref;

pub use crate::model::{CountOp, Side, TraitKind};
pub use crate::span::Span;

/// A syntax node with its span. Equality and hashing ignore the span.
#[derive(Clone, Copy, Debug, Default)]
pub struct Node<T> {
    /// The node itself.
    pub node: T,
    /// Where it was written.
    pub span: Span,
}

impl<T> Node<T> {
    /// Wraps `node` with its span.
    pub const fn new(node: T, span: Span) -> Self {
        Node { node, span }
    }
}

impl<T: PartialEq> PartialEq for Node<T> {
    fn eq(&self, other: &Self) -> bool {
        self.node == other.node
    }
}

impl<T: Eq> Eq for Node<T> {}

impl<T> Deref for Node<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.node
    }
}

impl<T: fmt::Display> fmt::Display for Node<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.node.fmt(f)
    }
}

/// A name as written: a bare word or the contents of a quoted string.
pub type Name = Node<String>;

/// A whole `.drop` file.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct File {
    /// The statements in source order.
    pub statements: Vec<Statement>,
}

/// A top-level statement.
#[derive(Clone, Debug, PartialEq)]
pub enum Statement {
    /// `collection "Name" { ... }`
    Collection(Node<Collection>),
    /// `trait Name < ... >`
    Trait(Node<TraitDecl>),
    /// `forbid ... with ...`
    Forbid(Node<Forbid>),
    /// `require ... -> ...`
    Require(Node<Require>),
    /// `when ... { ... }`
    When(Node<When>),
    /// `count Trait.Variant OP N`
    Count(Node<Count>),
    /// `unique [by ...]`
    Unique(Node<Unique>),
    /// `legendary "Name" ...`
    Legendary(Node<Legendary>),
    /// `group Name = ...`
    Group(Node<Group>),
}

impl Statement {
    /// The span of the whole statement.
    pub fn span(&self) -> Span {
        match self {
            Statement::Collection(n) => n.span,
            Statement::Trait(n) => n.span,
            Statement::Forbid(n) => n.span,
            Statement::Require(n) => n.span,
            Statement::When(n) => n.span,
            Statement::Count(n) => n.span,
            Statement::Unique(n) => n.span,
            Statement::Legendary(n) => n.span,
            Statement::Group(n) => n.span,
        }
    }
}

/// A literal value, as written in settings, weights and options.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// `3`, `0.5`, `-2`
    Number(f64),
    /// `60%` (the number before the `%`)
    Percentage(f64),
    /// `1024 x 1024`
    Dimension(u64, u64),
    /// `"text"`
    String(String),
    /// `#rrggbb` or `#rrggbbaa`
    Colour([u8; 4]),
    /// A bare word such as `nearest`
    Word(String),
}

impl Value {
    /// What kind of value this is, in words, for messages.
    pub fn kind(&self) -> &'static str {
        match self {
            Value::Number(_) => "a number",
            Value::Percentage(_) => "a percentage",
            Value::Dimension(..) => "a size",
            Value::String(_) => "a string",
            Value::Colour(_) => "a colour",
            Value::Word(_) => "a word",
        }
    }
}

/// `collection "Name" { settings }`
#[derive(Clone, Debug, PartialEq)]
pub struct Collection {
    /// The collection's name.
    pub name: Name,
    /// Its settings in source order.
    pub settings: Vec<Node<Setting>>,
}

/// `key value, value, ...`
#[derive(Clone, Debug, PartialEq)]
pub struct Setting {
    /// The setting's name.
    pub key: Name,
    /// One or more values.
    pub values: Vec<SettingValue>,
}

/// A setting value, possibly paired: `"ADDRESS": 60%`.
#[derive(Clone, Debug, PartialEq)]
pub struct SettingValue {
    /// The value (or the pair's first half).
    pub value: Node<Value>,
    /// The pair's second half, after `:`.
    pub paired: Option<Node<Value>>,
}

/// `[hidden|metadata] trait Name < variants > options`
#[derive(Clone, Debug, PartialEq)]
pub struct TraitDecl {
    /// `hidden` / `metadata`, when written.
    pub kind: Option<Node<TraitKind>>,
    /// The trait's name.
    pub name: Name,
    /// Its variants in source order.
    pub variants: Vec<VariantDecl>,
    /// Options for every variant.
    pub options: Vec<Node<LayerOption>>,
}

/// `Name: weight [source] [options]`
///
/// Kept compact, since a file may declare hundreds of thousands of variants:
/// the common declaration (a name of up to [`INLINE_VARIANT_NAME`] bytes
/// and a number for weight, nothing else) is 40 bytes in place, with its
/// spans as 32-bit offsets; any other is boxed ([`VariantParts`]). Read it
/// through its methods; build it with [`VariantDecl::new`]. Equality
/// ignores spans, as for every node.
#[derive(Clone)]
pub struct VariantDecl(DeclRepr);

/// Longest variant name a [`VariantDecl`] keeps in place, in bytes.
pub const INLINE_VARIANT_NAME: usize = 14;

#[derive(Clone)]
enum DeclRepr {
    /// `name: number`, the declaration's span from the name's start to the
    /// weight's end.
    Plain {
        name: crate::model::InlineStr<INLINE_VARIANT_NAME>,
        /// The name's span.
        name_at: (u32, u32),
        weight: f64,
        /// The weight's span.
        weight_at: (u32, u32),
    },
    Full(Box<VariantParts>),
}

/// Every part of a variant declaration, as written.
#[derive(Clone, Debug, PartialEq)]
pub struct VariantParts {
    /// The variant's name (`none` for the empty variant).
    pub name: Name,
    /// Its weight as written (validated by the checker).
    pub weight: Node<Value>,
    /// Art files or a derivation, when written.
    pub source: Option<Node<VariantSource>>,
    /// Options for this variant.
    pub options: Vec<Node<LayerOption>>,
    /// The whole declaration.
    pub span: Span,
}

impl VariantDecl {
    /// The declaration of these parts.
    pub fn new(parts: VariantParts) -> Self {
        let offsets = |s: Span| Some((u32::try_from(s.start).ok()?, u32::try_from(s.end).ok()?));
        let plain = || {
            let VariantParts { name, weight, source: None, options, span } = &parts else { return None };
            let Value::Number(number) = weight.node else { return None };
            if !options.is_empty() || span.start != name.span.start || span.end != weight.span.end {
                return None;
            }
            Some(DeclRepr::Plain {
                name: crate::model::InlineStr::new(&name.node)?,
                name_at: offsets(name.span)?,
                weight: number,
                weight_at: offsets(weight.span)?,
            })
        };
        VariantDecl(plain().unwrap_or_else(|| DeclRepr::Full(Box::new(parts))))
    }

    /// The variant's name (`none` for the empty variant).
    pub fn name(&self) -> &str {
        match &self.0 {
            DeclRepr::Plain { name, .. } => name.as_str(),
            DeclRepr::Full(parts) => &parts.name.node,
        }
    }

    /// Where the name was written.
    pub fn name_span(&self) -> Span {
        match &self.0 {
            DeclRepr::Plain { name_at, .. } => span(*name_at),
            DeclRepr::Full(parts) => parts.name.span,
        }
    }

    /// The name with its span.
    pub fn name_node(&self) -> Name {
        Node::new(self.name().to_string(), self.name_span())
    }

    /// Its weight as written (validated by the checker).
    pub fn weight(&self) -> Node<Value> {
        match &self.0 {
            DeclRepr::Plain { weight, weight_at, .. } => Node::new(Value::Number(*weight), span(*weight_at)),
            DeclRepr::Full(parts) => parts.weight.clone(),
        }
    }

    /// Art files or a derivation, when written.
    pub fn source(&self) -> Option<&Node<VariantSource>> {
        match &self.0 {
            DeclRepr::Plain { .. } => None,
            DeclRepr::Full(parts) => parts.source.as_ref(),
        }
    }

    /// Options for this variant.
    pub fn options(&self) -> &[Node<LayerOption>] {
        match &self.0 {
            DeclRepr::Plain { .. } => &[],
            DeclRepr::Full(parts) => &parts.options,
        }
    }

    /// The whole declaration's span.
    pub fn span(&self) -> Span {
        match &self.0 {
            DeclRepr::Plain { name_at, weight_at, .. } => Span::new(name_at.0 as usize, weight_at.1 as usize),
            DeclRepr::Full(parts) => parts.span,
        }
    }

    /// Every part, as written.
    pub fn parts(&self) -> VariantParts {
        match &self.0 {
            DeclRepr::Plain { .. } => VariantParts {
                name: self.name_node(),
                weight: self.weight(),
                source: None,
                options: Vec::new(),
                span: self.span(),
            },
            DeclRepr::Full(parts) => (**parts).clone(),
        }
    }
}

fn span((start, end): (u32, u32)) -> Span {
    Span::new(start as usize, end as usize)
}

impl PartialEq for VariantDecl {
    fn eq(&self, other: &Self) -> bool {
        self.name() == other.name()
            && self.weight().node == other.weight().node
            && self.source() == other.source()
            && self.options() == other.options()
    }
}

// As its parts, spans included, whichever way it is kept.
impl fmt::Debug for VariantDecl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.parts().fmt(f)
    }
}

/// Where a variant's pixels come from.
#[derive(Clone, Debug, PartialEq)]
pub enum VariantSource {
    /// One or more art files.
    Art(Vec<Node<ArtPart>>),
    /// A recoloured copy of another variant.
    Derived(Derived),
}

/// One art file, at the trait's depth or another.
#[derive(Clone, Debug, PartialEq)]
pub struct ArtPart {
    /// The file, relative to the `layers` folder; `None` for the default file
    /// (`<layers>/<trait folder>/<Variant>.png`).
    pub path: Option<Node<String>>,
    /// Another depth, when written.
    pub placement: Option<Node<Placement>>,
}

/// `below Trait` / `above Trait`
#[derive(Clone, Debug, PartialEq)]
pub struct Placement {
    /// Below or above.
    pub side: Side,
    /// The trait whose layer this part sits next to.
    pub trait_name: Name,
}

/// `from Variant hue N` / `from Variant palette { ... }`
#[derive(Clone, Debug, PartialEq)]
pub struct Derived {
    /// The variant whose art is recoloured.
    pub from: Name,
    /// How it is recoloured.
    pub recolour: Node<Recolour>,
}

/// A recolouring.
#[derive(Clone, Debug, PartialEq)]
pub enum Recolour {
    /// `hue DEGREES`
    Hue(Node<Value>),
    /// `palette { #from -> #to, ... }`
    Palette(Vec<Node<ColourPair>>),
}

/// `#from -> #to`
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ColourPair {
    /// The colour replaced.
    pub from: Node<[u8; 4]>,
    /// Its replacement.
    pub to: Node<[u8; 4]>,
}

/// A rendering option of a trait or variant.
#[derive(Clone, Debug, PartialEq)]
pub enum LayerOption {
    /// `blend MODE`
    Blend(Name),
    /// `opacity VALUE`
    Opacity(Node<Value>),
    /// `offset (x, y)`
    Offset(Node<f64>, Node<f64>),
    /// `folder "path"` (traits only)
    Folder(Node<String>),
    /// `profiles ignore` / `profiles check`: whether the colour spaces the
    /// art declares are ignored or checked (the word as written, validated
    /// by the checker)
    Profiles(Name),
}

/// `Trait.Variant`
#[derive(Clone, Debug, PartialEq)]
pub struct VariantRef {
    /// The trait's name.
    pub trait_name: Name,
    /// The variant's name.
    pub variant: Name,
}

/// A reference where a list of variants is expected: `Trait.Variant` or a group's name.
#[derive(Clone, Debug, PartialEq)]
pub enum Ref {
    /// `Trait.Variant`
    Variant(VariantRef),
    /// A group's name.
    Group(Name),
}

/// `group Name = A.x, B.y, Other`
#[derive(Clone, Debug, PartialEq)]
pub struct Group {
    /// The group's name.
    pub name: Name,
    /// Its members as written (empty when nothing follows `=`).
    pub members: Vec<Node<Ref>>,
}

/// `forbid A, ... with B, ... [with C, ...]`
#[derive(Clone, Debug, PartialEq)]
pub struct Forbid {
    /// The lists between `with`s (at least two): a token with one variant of
    /// every list is forbidden.
    pub lists: Vec<Vec<Node<Ref>>>,
}

/// `require A, ... -> B | C`
#[derive(Clone, Debug, PartialEq)]
pub struct Require {
    /// Variants that trigger the rule.
    pub left: Vec<Node<Ref>>,
    /// Alternatives, one of which must hold.
    pub right: Vec<Node<Ref>>,
}

/// `when A | B { overrides, art }`
#[derive(Clone, Debug, PartialEq)]
pub struct When {
    /// Any of these variants triggers the overrides.
    pub conditions: Vec<Node<Ref>>,
    /// New weights for other traits.
    pub overrides: Vec<Node<Override>>,
    /// Other art while the condition holds.
    pub art: Vec<Node<WhenArt>>,
}

/// `art Trait.Variant ...` / `art Trait hue N` inside `when`.
#[derive(Clone, Debug, PartialEq)]
pub enum WhenArt {
    /// `art Trait.Variant [source] [options]`: one variant's art.
    Variant {
        /// The variant.
        target: Node<VariantRef>,
        /// Its art files or derivation, when written.
        source: Option<Node<VariantSource>>,
        /// Its rendering options, when written.
        options: Vec<Node<LayerOption>>,
    },
    /// `art Trait hue N` / `art Trait palette {...}`: every variant of a trait recoloured.
    Trait {
        /// The trait.
        trait_name: Name,
        /// The recolouring of each variant's own art.
        recolour: Node<Recolour>,
    },
}

/// `Trait < Variant: weight, ... >` inside `when`.
#[derive(Clone, Debug, PartialEq)]
pub struct Override {
    /// The trait whose weights are replaced.
    pub trait_name: Name,
    /// The new weights; unlisted variants get zero.
    pub weights: Vec<Node<OverrideWeight>>,
}

/// `Variant: weight` inside an override.
#[derive(Clone, Debug, PartialEq)]
pub struct OverrideWeight {
    /// The variant.
    pub variant: Name,
    /// Its weight as written.
    pub weight: Node<Value>,
}

/// `count Trait.Variant OP N` / `count Group OP N`
#[derive(Clone, Debug, PartialEq)]
pub struct Count {
    /// The counted variant (or group: tokens with any of its variants).
    pub target: Node<Ref>,
    /// The comparison.
    pub op: Node<CountOp>,
    /// The number (or percentage of `size`) as written.
    pub value: Node<Value>,
}

/// `unique` / `unique by A, B` / `unique visually [by A, B]`
#[derive(Clone, Debug, PartialEq)]
pub struct Unique {
    /// The traits listed after `by`; `None` for all traits.
    pub traits: Option<Vec<Name>>,
    /// `visually`: tokens are equal when they look the same on these traits.
    pub visually: bool,
}

/// `legendary "Name" [at ID] "image.png" { attributes }`
#[derive(Clone, Debug, PartialEq)]
pub struct Legendary {
    /// The token's name.
    pub name: Name,
    /// Its id, when fixed.
    pub id: Option<Node<u64>>,
    /// Its image, relative to the `.drop` file.
    pub image: Node<String>,
    /// Its metadata attributes.
    pub attributes: Vec<Node<Attribute>>,
}

/// `Trait: Value` of a legendary.
#[derive(Clone, Debug, PartialEq)]
pub struct Attribute {
    /// The attribute's trait type.
    pub trait_name: Name,
    /// Its value.
    pub value: Node<Value>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(name: &str, weight: Value, source: Option<Node<VariantSource>>, span: Span) -> VariantParts {
        let name_span = Span::new(span.start, span.start + name.len());
        VariantParts {
            name: Node::new(name.into(), name_span),
            weight: Node::new(weight, Span::new(name_span.end + 2, span.end)),
            source,
            options: Vec::new(),
            span,
        }
    }

    /// The common declaration is kept in 40 bytes (it was 136 with its
    /// spans, and its name on the heap beside it).
    #[test]
    fn a_plain_variant_declaration_is_40_bytes() {
        assert_eq!(std::mem::size_of::<VariantDecl>(), 40);
        let plain = VariantDecl::new(parts("e41873", Value::Number(12.5), None, Span::new(100, 112)));
        assert!(matches!(plain.0, DeclRepr::Plain { .. }));
    }

    /// Whichever way it is kept, a declaration gives back exactly its parts.
    #[test]
    fn every_declaration_gives_back_its_parts() {
        let derived = Node::new(
            VariantSource::Derived(Derived {
                from: Node::new("Gold".into(), Span::new(30, 34)),
                recolour: Node::new(
                    Recolour::Hue(Node::new(Value::Number(90.0), Span::new(39, 41))),
                    Span::new(35, 41),
                ),
            }),
            Span::new(25, 41),
        );
        let cases = [
            (parts("e41873", Value::Number(12.5), None, Span::new(100, 112)), true),
            (parts("none", Value::Number(0.0), None, Span::new(0, 7)), true),
            (parts("fourteen_bytes", Value::Number(1.0), None, Span::new(3, 20)), true),
            (parts("fifteen_bytes__", Value::Number(1.0), None, Span::new(3, 21)), false),
            (parts("x", Value::Percentage(3.0), None, Span::new(0, 5)), false),
            (parts("x", Value::Word("heavy".into()), None, Span::new(0, 8)), false),
            (parts("Rose", Value::Number(2.0), Some(derived), Span::new(19, 41)), false),
            (parts("big", Value::Number(1.0), None, Span::new(1 << 32, (1 << 32) + 6)), false),
        ];
        for (case, plain) in cases {
            let decl = VariantDecl::new(case.clone());
            assert_eq!(matches!(decl.0, DeclRepr::Plain { .. }), plain, "{case:?}");
            assert_eq!(format!("{:?}", decl.parts()), format!("{case:?}"));
            assert_eq!(decl.name(), case.name.node);
            assert_eq!(decl.name_span(), case.name.span);
            assert_eq!(decl.weight().span, case.weight.span);
            assert_eq!(decl.weight(), case.weight);
            assert_eq!(decl.source(), case.source.as_ref());
            assert_eq!(decl.span(), case.span);
        }
        // A weight that does not end the declaration keeps its own span.
        let mut odd = parts("x", Value::Number(1.0), None, Span::new(0, 9));
        odd.weight.span = Span::new(3, 4);
        let decl = VariantDecl::new(odd.clone());
        assert!(matches!(decl.0, DeclRepr::Full(_)));
        assert_eq!(decl.span(), odd.span);
    }
}
