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
    pub variants: Vec<Node<VariantDecl>>,
    /// Options for every variant.
    pub options: Vec<Node<LayerOption>>,
}

/// `Name: weight [source] [options]`
#[derive(Clone, Debug, PartialEq)]
pub struct VariantDecl {
    /// The variant's name (`none` for the empty variant).
    pub name: Name,
    /// Its weight as written (validated by the checker).
    pub weight: Node<Value>,
    /// Art files or a derivation, when written (boxed: most variants have
    /// neither, and a file may declare hundreds of thousands of variants).
    pub source: Option<Box<Node<VariantSource>>>,
    /// Options for this variant.
    pub options: Vec<Node<LayerOption>>,
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
