//! The model of a collection: what `check` produces and every later stage
//! (solve, sample, render, publish, qa, the language server) reads.
//!
//! It is the centre of the crate's import graph, so it imports nothing of
//! the crate but [`crate::span`] and [`crate::diagnostic`] (a test,
//! `tests/architecture.rs`, holds this): a stage that needs the model does
//! not pull in the checker, the renderer or the PNG codec.
//!
//! Names are resolved to indices; weights are numbers; every setting has
//! its value or its default. Spans are kept so that later stages can still
//! point at the source. What several stages would otherwise each derive
//! lives here once: what a variant draws with derived variants resolved
//! ([`Model::drawn`]), a token's name ([`Settings::token_name_of`]), what a
//! recolouring does to pixels ([`recolour`]) and the occlusion relation's
//! data ([`Visibility`]).

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

pub mod paths;
pub mod recolour;
pub mod visibility;

pub use visibility::{IdenticalArt, LayerMask, LookId, Mask, Visibility};

use crate::span::Span;

/// Index of a trait in [`Model::traits`] (declaration order = bottom to top).
pub type TraitId = usize;

/// A variant: its trait and its index within the trait.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct VariantId {
    /// The trait.
    pub trait_id: TraitId,
    /// The variant's index in [`Trait::variants`].
    pub index: usize,
}

/// A checked collection.
#[derive(Clone, Debug)]
pub struct Model {
    /// Collection settings, defaults filled in.
    pub settings: Settings,
    /// Traits, bottom layer first.
    pub traits: Vec<Trait>,
    /// `forbid` rules, one per pair of variants.
    pub forbids: Vec<ForbidRule>,
    /// `require` rules, one per left-hand variant.
    pub requires: Vec<RequireRule>,
    /// `when` rules.
    pub whens: Vec<WhenRule>,
    /// `count` rules.
    pub counts: Vec<CountRule>,
    /// Traits on which no two tokens may be equal.
    pub unique: Vec<TraitId>,
    /// `unique visually`: the statement's span, when uniqueness is visual
    /// (two tokens are equal when they look the same on the `unique` traits).
    pub visually: Option<Span>,
    /// Which variants are invisible where: computed by `check` from the
    /// art's alpha when uniqueness is visual, `None` otherwise.
    pub visibility: Option<Arc<Visibility>>,
    /// Hand-made tokens.
    pub legendaries: Vec<Legendary>,
}

impl Model {
    /// The variant `id`.
    pub fn variant(&self, id: VariantId) -> &Variant {
        &self.traits[id.trait_id].variants[id.index]
    }

    /// `Trait.Variant`, for messages, as it is written in a `.drop` file
    /// (`"Eye color".Pink`, `Mouth."Gold Grill"`).
    pub fn variant_name(&self, id: VariantId) -> String {
        format!("{}.{}", source_name(&self.traits[id.trait_id].name), source_name(&self.variant(id).name))
    }

    /// What variant `id` draws: its own files, or, for a derived variant,
    /// its source's files and the recolouring. No files for `none` and for
    /// variants of a metadata-only trait.
    ///
    /// A derived variant whose source has no files of its own cannot come
    /// out of `check` (`invalid_derive`); in a model built otherwise it is an
    /// error, never an empty layer: the renderer refuses the model, and
    /// analyses of the art leave the variant out.
    pub fn drawn(&self, id: VariantId) -> Result<Drawn<'_>, UnresolvedDerive> {
        let t = &self.traits[id.trait_id];
        let style = &t.options_of(&t.variants[id.index]).style;
        match &t.variants[id.index].art {
            Art::Derived { from, recolour } => match t.own_files(*from as usize) {
                Some(files) => Ok(Drawn { files, recolour: Some(recolour), then: None, style }),
                None => Err(UnresolvedDerive { variant: id }),
            },
            _ => Ok(Drawn { files: t.own_files(id.index).unwrap_or(&[]), recolour: None, then: None, style }),
        }
    }

    /// Which art variant `id` draws in the token whose variant of trait `t`
    /// is `variant_of(t)` (see [`ConditionalArt::source`]; build a
    /// [`ConditionalArt`] once to ask for many tokens).
    pub fn art_source(&self, variant_of: impl Fn(TraitId) -> usize, id: VariantId) -> ArtSource {
        ConditionalArt::new(self).source(variant_of, id)
    }

    /// What variant `id` draws from `source` ([`Model::drawn`] for its own
    /// art), with the rendering options it is drawn with.
    pub fn drawn_from(&self, id: VariantId, source: ArtSource) -> Result<Drawn<'_>, UnresolvedDerive> {
        let ArtSource::When { rule, art } = source else { return self.drawn(id) };
        let Some(change) = self.whens.get(rule).and_then(|w| w.art.get(art)) else { return self.drawn(id) };
        match &change.change {
            ArtChange::Trait(recolour) => Ok(Drawn { then: Some(recolour), ..self.drawn(id)? }),
            ArtChange::Variant { art, style, .. } => {
                let t = &self.traits[id.trait_id];
                let (files, recolour): (&[ArtFile], _) = match art {
                    Art::Empty => (&[], None),
                    Art::Default => (t.default_files().get(id.index).map_or(&[], std::slice::from_ref), None),
                    Art::Files(files) => (files, None),
                    Art::Derived { from, recolour } => match t.own_files(*from as usize) {
                        Some(files) => (files, Some(&**recolour)),
                        None => return Err(UnresolvedDerive { variant: id }),
                    },
                };
                Ok(Drawn { files, recolour, then: None, style })
            }
        }
    }

    /// Every art file the model's traits name, with its trait: each
    /// variant's own files (a derived variant names none), then the files
    /// of conditional art (`art Trait.Variant "file.png"` in a `when`).
    /// Legendaries' images are not included. A file may appear more than once.
    pub fn art_files(&self) -> impl Iterator<Item = (TraitId, &ArtFile)> {
        let own = self.traits.iter().enumerate().flat_map(|(t, tr)| {
            (0..tr.variants.len()).flat_map(move |v| tr.own_files(v).unwrap_or(&[]).iter().map(move |f| (t, f)))
        });
        let conditional = self.whens.iter().flat_map(|w| &w.art).flat_map(|a| match &a.change {
            ArtChange::Variant { art: Art::Files(files), .. } => files.iter().map(|f| (a.trait_id, f)).collect(),
            ArtChange::Variant { art: Art::Default, index, .. } => {
                self.traits[a.trait_id].default_files().get(*index).into_iter().map(|f| (a.trait_id, f)).collect()
            }
            _ => Vec::new(),
        });
        own.chain(conditional)
    }

    /// How the colour space a use of art files declares is taken: by the
    /// option written for it (`written`), else by the collection.
    pub fn profile_policy(&self, written: Option<ProfilesOption>) -> ProfilePolicy {
        match written {
            Some(ProfilesOption { ignore: true, span }) => ProfilePolicy::Ignore { by: Some(span) },
            Some(ProfilesOption { ignore: false, .. }) => ProfilePolicy::Check,
            None if self.settings.ignore_profiles => ProfilePolicy::Ignore { by: None },
            None => ProfilePolicy::Check,
        }
    }

    /// How the colour space of every art file of drawn traits and of every
    /// legendary's image is taken, by path. A file is checked when any of
    /// the variants (or conditional art lines) that name it is, since it is
    /// one file, rendered and converted as one; when all ignore it, the
    /// first one's option is the one that does. A derived variant names no
    /// file (its source's option counts); a legendary follows the collection.
    pub fn profile_policies(&self) -> BTreeMap<&Path, ProfilePolicy> {
        let mut out: BTreeMap<&Path, ProfilePolicy> = BTreeMap::new();
        let uses = self
            .traits
            .iter()
            .filter(|t| t.kind != TraitKind::MetadataOnly)
            .flat_map(|t| t.variants.iter().enumerate().map(move |(i, v)| (t, i, v)))
            .filter_map(|(t, i, v)| Some((t.own_files(i)?, t.options_of(v).profiles)))
            .chain(self.whens.iter().flat_map(|w| &w.art).filter_map(|a| match &a.change {
                ArtChange::Variant { art: Art::Files(files), profiles, .. }
                    if self.traits[a.trait_id].kind != TraitKind::MetadataOnly =>
                {
                    Some((files.as_slice(), *profiles))
                }
                ArtChange::Variant { art: Art::Default, index, profiles, .. }
                    if self.traits[a.trait_id].kind != TraitKind::MetadataOnly =>
                {
                    Some((
                        self.traits[a.trait_id].default_files().get(*index).map_or(&[][..], std::slice::from_ref),
                        *profiles,
                    ))
                }
                _ => None,
            }));
        for (files, written) in uses {
            let policy = self.profile_policy(written);
            for f in files.iter().filter(|f| !f.path.as_os_str().is_empty()) {
                let entry = out.entry(f.path.as_path()).or_insert(policy);
                if !policy.ignored() {
                    *entry = ProfilePolicy::Check;
                }
            }
        }
        let legendary = self.profile_policy(None);
        for l in &self.legendaries {
            let entry = out.entry(l.image.as_path()).or_insert(legendary);
            if !legendary.ignored() {
                *entry = ProfilePolicy::Check;
            }
        }
        out
    }

    /// The number of tokens drawn by the sampler (`size` minus legendaries).
    pub fn generated_size(&self) -> u64 {
        self.settings.size.saturating_sub(self.legendaries.len() as u64)
    }
}

/// A name as it is written in a `.drop` file: as is when it is an
/// identifier (letters, digits, `_` and `-`, not starting with a digit),
/// else quoted.
pub fn source_name(name: &str) -> std::borrow::Cow<'_, str> {
    let identifier = name.chars().next().is_some_and(|c| c.is_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_alphanumeric() || c == '_' || c == '-');
    if identifier { std::borrow::Cow::Borrowed(name) } else { std::borrow::Cow::Owned(format!("{name:?}")) }
}

/// What a variant draws ([`Model::drawn`]).
#[derive(Clone, Copy, Debug)]
pub struct Drawn<'m> {
    /// The art files, in drawing order (a derived variant's are its source's).
    pub files: &'m [ArtFile],
    /// The recolouring of a derived variant.
    pub recolour: Option<&'m Recolour>,
    /// A second recolouring, after the first (conditional `art Trait hue N`).
    pub then: Option<&'m Recolour>,
    /// The rendering options it is drawn with.
    pub style: &'m LayerStyle,
}

impl Drawn<'_> {
    /// The recolourings, in the order they apply.
    pub fn recolours(&self) -> impl Iterator<Item = &Recolour> {
        self.recolour.into_iter().chain(self.then)
    }
}

/// A derived variant whose source has no art files of its own.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UnresolvedDerive {
    /// The derived variant.
    pub variant: VariantId,
}

/// Collection settings.
#[derive(Clone, Debug)]
pub struct Settings {
    /// The collection's name.
    pub name: String,
    /// Number of tokens, legendaries included.
    pub size: u64,
    /// The seed all randomness derives from.
    pub seed: String,
    /// Width and height of every rendered image.
    pub canvas: (u32, u32),
    /// Folder of the trait art, relative to the `.drop` file.
    pub layers: PathBuf,
    /// Id of the first token.
    pub first_id: u64,
    /// Token name template (`{id}`, `{collection}`).
    pub token_name: String,
    /// Metadata description.
    pub description: String,
    /// Metadata `image` template.
    pub image: String,
    /// Metadata `external_url` template.
    pub external_url: Option<String>,
    /// Extra output sizes, besides `canvas`.
    pub sizes: Vec<(u32, u32)>,
    /// Filter for extra sizes.
    pub resize: ResizeFilter,
    /// PNG compression level.
    pub compression: Compression,
    /// A solid colour under every layer of every generated token (straight
    /// RGBA; `#rrggbb` is opaque), or none.
    pub background: Option<[u8; 4]>,
    /// `profiles ignore`: the colour spaces art files declare (ICC profiles,
    /// `cICP`, `gAMA`/`cHRM`) are ignored and their numbers taken as sRGB, as
    /// the renderer always takes them; `check` then does not refuse them.
    pub ignore_profiles: bool,
    /// Metadata flavour.
    pub metadata: MetadataFlavour,
    /// Metaplex `symbol`.
    pub symbol: String,
    /// Royalty in basis points (Metaplex `seller_fee_basis_points`).
    pub royalty_basis_points: u32,
    /// Metaplex creators with their shares in percent.
    pub creators: Vec<(String, u8)>,
}

impl Settings {
    /// The settings of a collection named `name` before any of its settings
    /// is read: every default of the language (the seed is the name; `size`
    /// and `canvas` are zero until given).
    pub fn defaults(name: String) -> Settings {
        Settings {
            seed: name.clone(),
            name,
            size: 0,
            canvas: (0, 0),
            layers: PathBuf::from("layers"),
            first_id: 1,
            token_name: "{collection} #{id}".to_string(),
            description: String::new(),
            image: "{id}.png".to_string(),
            external_url: None,
            sizes: Vec::new(),
            resize: ResizeFilter::Lanczos3,
            compression: Compression::Balanced,
            background: None,
            ignore_profiles: false,
            metadata: MetadataFlavour::Erc721,
            symbol: String::new(),
            royalty_basis_points: 0,
            creators: Vec::new(),
        }
    }
}

impl Settings {
    /// The name of token `id`: the `token_name` template with `{collection}`
    /// and `{id}` filled in.
    pub fn token_name_of(&self, id: u64) -> String {
        self.token_name.replace("{collection}", &self.name).replace("{id}", &id.to_string())
    }
}

/// Filter used to resize images to extra sizes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ResizeFilter {
    /// Nearest neighbour: for pixel art.
    Nearest,
    /// Linear.
    Triangle,
    /// Cubic.
    CatmullRom,
    /// Gaussian.
    Gaussian,
    /// Lanczos with window 3 (the default).
    Lanczos3,
    /// Scale2x (EPX): pixel art at twice the canvas, edges smoothed without new colours.
    Scale2x,
    /// Scale3x: pixel art at three times the canvas.
    Scale3x,
    /// Scale2x twice: pixel art at four times the canvas.
    Scale4x,
}

/// PNG compression trade-off.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Compression {
    /// Fastest encoding, larger files.
    Fast,
    /// The default.
    Balanced,
    /// Smallest files, slowest.
    Small,
}

/// Metadata flavour.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MetadataFlavour {
    /// ERC-721 / OpenSea (the default).
    Erc721,
    /// Solana Metaplex.
    Metaplex,
}

/// How a layer combines with what is below it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BlendMode {
    /// Source-over.
    Normal,
    /// Multiply.
    Multiply,
    /// Screen.
    Screen,
    /// Overlay.
    Overlay,
    /// Darken.
    Darken,
    /// Lighten.
    Lighten,
    /// Additive.
    Add,
}

impl BlendMode {
    /// Every mode with its name in the language.
    pub const NAMES: &'static [(&'static str, BlendMode)] = &[
        ("normal", BlendMode::Normal),
        ("multiply", BlendMode::Multiply),
        ("screen", BlendMode::Screen),
        ("overlay", BlendMode::Overlay),
        ("darken", BlendMode::Darken),
        ("lighten", BlendMode::Lighten),
        ("add", BlendMode::Add),
    ];
}

/// Rendering options of a layer (a trait's, overridden per variant).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LayerStyle {
    /// Blend mode.
    pub blend: BlendMode,
    /// Opacity, 0..=1.
    pub opacity: f32,
    /// Pixel offset.
    pub offset: (i32, i32),
    /// Whether an offset was written (art smaller than the canvas needs one).
    pub placed: bool,
}

impl Default for LayerStyle {
    fn default() -> Self {
        LayerStyle { blend: BlendMode::Normal, opacity: 1.0, offset: (0, 0), placed: false }
    }
}

/// `profiles check` / `profiles ignore` written on a trait, a variant or a
/// `when` block's `art` line: whether the colour spaces its art files
/// declare are checked or ignored, overriding the collection's `profiles`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProfilesOption {
    /// `ignore`: the files' numbers are taken as sRGB whatever they declare.
    pub ignore: bool,
    /// Where the option was written.
    pub span: Span,
}

/// How the colour space an art file declares is taken
/// ([`Model::profile_policies`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProfilePolicy {
    /// Checked: a space other than sRGB is reported (the default).
    Check,
    /// Ignored, its numbers taken as sRGB, by the option written at `by`
    /// (`None`: by the collection's `profiles ignore`).
    Ignore {
        /// The trait's, variant's or `art` line's `profiles ignore`.
        by: Option<Span>,
    },
}

impl ProfilePolicy {
    /// Whether the file's colour space is ignored.
    pub fn ignored(self) -> bool {
        matches!(self, ProfilePolicy::Ignore { .. })
    }
}

/// A trait: one layer of the art, or a metadata-only attribute.
#[derive(Clone, Debug)]
pub struct Trait {
    /// Its name.
    pub name: String,
    /// Where its name was declared.
    pub span: Span,
    /// Visible, hidden or metadata-only.
    pub kind: TraitKind,
    /// Folder of its art, relative to the project folder
    /// (`<layers>/<Trait>` unless the trait says `folder`).
    pub folder: PathBuf,
    /// Its variants in declaration order.
    pub variants: Vec<Variant>,
    /// The distinct rendering options of its variants, which
    /// [`Variant::options`] indexes (nearly always one: the trait's own).
    pub options: Vec<VariantOptions>,
    /// The default file of each variant ([`Art::Default`]), made from
    /// `folder` and the variants' names the first time it is asked for
    /// ([`Trait::default_files`]), so that a model that is only checked
    /// never holds them. Leave it empty when building a trait.
    pub defaults: OnceLock<Box<[ArtFile]>>,
}

impl Trait {
    /// The files variant `index` draws as its own: its files, or its
    /// default file; `None` for a variant without files of its own (`none`,
    /// a metadata-only trait's, a derived one).
    pub fn own_files(&self, index: usize) -> Option<&[ArtFile]> {
        match &self.variants.get(index)?.art {
            Art::Files(files) => Some(files),
            Art::Default => self.default_files().get(index).map(std::slice::from_ref),
            Art::Empty | Art::Derived { .. } => None,
        }
    }

    /// The default file of every variant, by index: `<folder>/<Name>.png`,
    /// named at the variant's span (what [`Art::Default`] draws; meaningful
    /// for those variants only).
    pub fn default_files(&self) -> &[ArtFile] {
        self.defaults.get_or_init(|| {
            self.variants
                .iter()
                .map(|v| ArtFile::new(self.folder.join(format!("{}.png", v.name)), v.span(), None))
                .collect()
        })
    }

    /// The rendering options variant `v` (one of this trait's) is drawn with.
    pub fn options_of(&self, v: &Variant) -> &VariantOptions {
        &self.options[v.options as usize]
    }
}

/// A variant's rendering options and colour-space option, kept once per
/// trait for all the variants that share them.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct VariantOptions {
    /// Rendering options (trait's, overridden by the variant's).
    pub style: LayerStyle,
    /// `profiles check|ignore` for its art files (the variant's, else its
    /// trait's); `None`: the collection's `profiles` decides.
    pub profiles: Option<ProfilesOption>,
}

/// One variant of a trait. It is kept small (a file of a few megabytes may
/// declare hundreds of thousands): its rendering options are an index into
/// its trait's [`Trait::options`], a recolouring is out of line, the span
/// of its name is two 32-bit offsets ([`Variant::span`]; a source is at most
/// 1 GiB).
#[derive(Clone, Debug)]
pub struct Variant {
    /// Its name (`none` for the empty variant).
    pub name: VariantName,
    /// Where its name was declared: start and end.
    at: (u32, u32),
    /// Its weight (non-negative).
    pub weight: f64,
    /// Where its pixels come from.
    pub art: Art,
    /// Its rendering options: an index into [`Trait::options`]
    /// ([`Trait::options_of`]).
    pub options: u32,
}

impl Variant {
    /// A variant named `name` at `span`, of `weight`, drawing `art` with
    /// its trait's rendering options number `options`.
    pub fn new(name: &str, span: Span, weight: f64, art: Art, options: u32) -> Variant {
        let offset = |x: usize| u32::try_from(x).unwrap_or(u32::MAX);
        Variant { name: name.into(), at: (offset(span.start), offset(span.end)), weight, art, options }
    }

    /// Where its name was declared.
    pub fn span(&self) -> Span {
        Span::new(self.at.0 as usize, self.at.1 as usize)
    }

    /// Whether this is the `none` variant.
    pub fn is_none(&self) -> bool {
        &*self.name == "none"
    }
}

/// A variant's name: inline up to 14 bytes (`V12`, `Gold Grill`,
/// `e41873`), so that a trait of 100,000 variants does not hold 100,000
/// small heap strings; a longer one is one pointer to a heap string (the
/// whole is 16 bytes). Read it as a `str`.
#[derive(Clone)]
pub struct VariantName(NameRepr);

/// Longest name kept inline, in bytes (the whole is 16 bytes).
const INLINE_NAME: usize = 14;

#[derive(Clone)]
#[allow(clippy::box_collection)] // one pointer for a long name, so that a short one fits in 16 bytes
enum NameRepr {
    Inline(InlineStr<INLINE_NAME>),
    Heap(Box<String>),
}

/// A `str` of at most `N` bytes, kept in place: the first `len` bytes of
/// `bytes` (a whole `str`, so valid UTF-8).
#[derive(Clone, PartialEq, Eq, Hash)]
pub(crate) struct InlineStr<const N: usize> {
    len: u8,
    bytes: [u8; N],
}

impl<const N: usize> InlineStr<N> {
    /// `s` in place, when it fits.
    pub(crate) fn new(s: &str) -> Option<Self> {
        (s.len() <= N && N <= usize::from(u8::MAX)).then(|| {
            let mut bytes = [0; N];
            bytes[..s.len()].copy_from_slice(s.as_bytes());
            InlineStr { len: s.len() as u8, bytes }
        })
    }

    pub(crate) fn as_str(&self) -> &str {
        // The bytes are a whole `str` (see `new`), so this never fails.
        std::str::from_utf8(&self.bytes[..usize::from(self.len)]).unwrap_or_default()
    }
}

impl VariantName {
    /// The name.
    pub fn as_str(&self) -> &str {
        match &self.0 {
            NameRepr::Inline(inline) => inline.as_str(),
            NameRepr::Heap(s) => s.as_str(),
        }
    }
}

impl From<&str> for VariantName {
    fn from(s: &str) -> Self {
        VariantName(InlineStr::new(s).map_or_else(|| NameRepr::Heap(Box::new(s.into())), NameRepr::Inline))
    }
}

impl std::ops::Deref for VariantName {
    type Target = str;
    fn deref(&self) -> &str {
        self.as_str()
    }
}

// Compared and hashed as the `str` it is, so that a map keyed by names can
// be asked with a `&str`.
impl PartialEq for VariantName {
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for VariantName {}

impl std::hash::Hash for VariantName {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.as_str().hash(state);
    }
}

impl std::borrow::Borrow<str> for VariantName {
    fn borrow(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<str> for VariantName {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl fmt::Display for VariantName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for VariantName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl PartialEq<str> for VariantName {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for VariantName {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

/// Where a variant's pixels come from.
#[derive(Clone, Debug)]
pub enum Art {
    /// No pixels (`none`, or a metadata-only trait).
    Empty,
    /// Its default file, `<trait folder>/<Name>.png`, named at the
    /// variant's span: most variants' art, so it is not stored but made when
    /// asked for ([`Trait::own_files`], [`Model::drawn`]).
    Default,
    /// One or more files.
    Files(ArtFiles),
    /// Another variant of the same trait, recoloured.
    Derived {
        /// The source variant's index in the same trait (32 bits, so that an
        /// [`Art`] is 16 bytes).
        from: u32,
        /// The recolouring (boxed: few variants have one).
        recolour: Box<Recolour>,
    },
}

/// The art files of a variant, in drawing order (written out, or a default
/// file found under another name): one pointer in the variant (so that an
/// [`Art`] is 16 bytes), the files behind it. Read it as a slice.
#[derive(Clone, Debug)]
#[allow(clippy::box_collection)] // one pointer, not a vector's three words, in every variant
pub struct ArtFiles(Box<Vec<ArtFile>>);

impl ArtFiles {
    /// The files as a slice.
    pub fn as_slice(&self) -> &[ArtFile] {
        &self.0
    }

    /// The files as a mutable slice.
    pub fn as_mut_slice(&mut self) -> &mut [ArtFile] {
        &mut self.0
    }
}

impl std::ops::Deref for ArtFiles {
    type Target = [ArtFile];
    fn deref(&self) -> &[ArtFile] {
        self.as_slice()
    }
}

impl std::ops::DerefMut for ArtFiles {
    fn deref_mut(&mut self) -> &mut [ArtFile] {
        self.as_mut_slice()
    }
}

impl From<Vec<ArtFile>> for ArtFiles {
    fn from(files: Vec<ArtFile>) -> Self {
        ArtFiles(Box::new(files))
    }
}

impl<'a> IntoIterator for &'a ArtFiles {
    type Item = &'a ArtFile;
    type IntoIter = std::slice::Iter<'a, ArtFile>;
    fn into_iter(self) -> Self::IntoIter {
        self.as_slice().iter()
    }
}

/// One art file of a variant.
#[derive(Clone, Debug)]
pub struct ArtFile {
    /// Path relative to the `.drop` file's folder.
    pub path: ArtPath,
    /// Span that names the file (the path, or the variant when implicit).
    pub span: Span,
    /// Another depth, when given: just below or above a trait (its
    /// [`TraitId`], kept in 32 bits; see [`ArtFile::placement`]).
    pub placed: Option<(Side, u32)>,
}

impl ArtFile {
    /// A file at `path`, named at `span`, drawn at the depth `placement` gives.
    pub fn new(path: PathBuf, span: Span, placement: Option<(Side, TraitId)>) -> ArtFile {
        ArtFile { path: ArtPath::from(path), span, placed: placement.map(|(side, t)| (side, t as u32)) }
    }

    /// Another depth, when given: just below or above a trait.
    pub fn placement(&self) -> Option<(Side, TraitId)> {
        self.placed.map(|(side, t)| (side, t as TraitId))
    }
}

/// The path of an art file: inline when it is short and UTF-8, as a
/// default path usually is (`layers/Body/Zombie.png`), so that each of a
/// trait's 100,000 variants does not hold a heap string of its own. Read it
/// as a [`Path`].
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct ArtPath(PathRepr);

/// Longest path kept inline, in bytes.
const INLINE_PATH: usize = 30;

#[derive(Clone, PartialEq, Eq, Hash)]
enum PathRepr {
    Inline(InlineStr<INLINE_PATH>),
    Heap(Box<Path>),
}

impl ArtPath {
    /// The path.
    pub fn as_path(&self) -> &Path {
        match &self.0 {
            PathRepr::Inline(inline) => Path::new(inline.as_str()),
            PathRepr::Heap(p) => p,
        }
    }
}

impl From<PathBuf> for ArtPath {
    fn from(path: PathBuf) -> Self {
        match path.to_str().and_then(InlineStr::new) {
            Some(inline) => ArtPath(PathRepr::Inline(inline)),
            None => ArtPath(PathRepr::Heap(path.into_boxed_path())),
        }
    }
}

impl std::ops::Deref for ArtPath {
    type Target = Path;
    fn deref(&self) -> &Path {
        self.as_path()
    }
}

impl AsRef<Path> for ArtPath {
    fn as_ref(&self) -> &Path {
        self.as_path()
    }
}

impl fmt::Debug for ArtPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_path(), f)
    }
}

/// A recolouring.
#[derive(Clone, Debug, PartialEq)]
pub enum Recolour {
    /// Rotate hue by degrees.
    Hue(f64),
    /// Replace exact colours.
    Palette(Vec<([u8; 4], [u8; 4])>),
}

/// `forbid a with b [with c ...]`, one combination: no token has all of
/// these variants. A statement with lists (`forbid A, B with C`), groups or
/// a `with` chain becomes one rule per combination it names.
#[derive(Clone, Debug)]
pub struct ForbidRule {
    /// The variants, of distinct traits, in the order written (at least two).
    pub variants: Vec<VariantId>,
    /// Whether a group named one of them: the statement is then judged
    /// as a whole (it never fires when none of its combinations would).
    pub via_group: bool,
    /// The whole statement.
    pub span: Span,
}

impl ForbidRule {
    /// Whether a token (one variant index per trait) has every variant of the rule.
    pub fn matches(&self, token: &[u32]) -> bool {
        self.variants.iter().all(|v| token.get(v.trait_id).is_some_and(|&x| x as usize == v.index))
    }
}

/// `require when -> one of alternatives`.
#[derive(Clone, Debug)]
pub struct RequireRule {
    /// The variant that triggers the rule.
    pub when: VariantId,
    /// One of these must hold.
    pub alternatives: Vec<VariantId>,
    /// The whole statement.
    pub span: Span,
}

/// `when conditions { overrides }`.
#[derive(Clone, Debug)]
pub struct WhenRule {
    /// The condition trait.
    pub condition_trait: TraitId,
    /// Variants of the condition trait that trigger it.
    pub conditions: Vec<usize>,
    /// New weights per overridden trait (one weight per variant, unlisted = 0).
    pub overrides: Vec<(TraitId, Vec<f64>)>,
    /// Other art while the condition holds (`art ...` in the block).
    pub art: Vec<WhenArt>,
    /// The whole statement.
    pub span: Span,
}

impl WhenRule {
    /// Whether the condition holds for a token whose variant of trait `t` is `variant_of(t)`.
    pub fn holds(&self, variant_of: impl Fn(TraitId) -> usize) -> bool {
        self.conditions.contains(&variant_of(self.condition_trait))
    }
}

/// `art Trait.Variant ...` or `art Trait hue N | palette {...}` inside `when`.
#[derive(Clone, Debug)]
pub struct WhenArt {
    /// The trait whose art changes.
    pub trait_id: TraitId,
    /// What it changes to.
    pub change: ArtChange,
    /// The `art ...` line.
    pub span: Span,
}

/// What conditional art draws.
#[derive(Clone, Debug)]
pub enum ArtChange {
    /// `art Trait.Variant ...`: one variant's art and rendering options,
    /// as a variant declaration gives them (a derived `from V` recolours
    /// `V`'s own files, `V` may be the variant itself).
    Variant {
        /// The variant's index in its trait.
        index: usize,
        /// Its art while the condition holds.
        art: Art,
        /// Its rendering options (its own, overridden by those written).
        style: LayerStyle,
        /// `profiles check|ignore` for its files (written on the `art`
        /// line, else the variant's); `None`: the collection decides.
        profiles: Option<ProfilesOption>,
    },
    /// `art Trait hue N`: every variant's own art, recoloured after any
    /// recolouring of its own.
    Trait(Recolour),
}

/// The `art` lines of every `when` block, by trait, ready to tell which art
/// a variant draws in a token.
#[derive(Clone, Debug, Default)]
pub struct ConditionalArt {
    /// Per trait, its `art` lines in rule order.
    by_trait: Vec<Vec<ArtLine>>,
    /// Per trait and variant: whether its own art draws anything.
    draws: Vec<Vec<bool>>,
}

/// One `art` line, as [`ConditionalArt`] looks it up.
#[derive(Clone, Debug)]
struct ArtLine {
    rule: usize,
    art: usize,
    condition_trait: TraitId,
    conditions: Vec<usize>,
    /// `Some(index)` for one variant, `None` for the whole trait.
    variant: Option<usize>,
}

impl ConditionalArt {
    /// The conditional art of `model`.
    pub fn new(model: &Model) -> ConditionalArt {
        let mut by_trait: Vec<Vec<ArtLine>> = vec![Vec::new(); model.traits.len()];
        for (rule, w) in model.whens.iter().enumerate() {
            for (art, line) in w.art.iter().enumerate() {
                let variant = match line.change {
                    ArtChange::Variant { index, .. } => Some(index),
                    ArtChange::Trait(_) => None,
                };
                by_trait[line.trait_id].push(ArtLine {
                    rule,
                    art,
                    condition_trait: w.condition_trait,
                    conditions: w.conditions.clone(),
                    variant,
                });
            }
        }
        let draws = model
            .traits
            .iter()
            .enumerate()
            .map(|(trait_id, t)| {
                (0..t.variants.len())
                    .map(|index| model.drawn(VariantId { trait_id, index }).is_ok_and(|d| !d.files.is_empty()))
                    .collect()
            })
            .collect();
        ConditionalArt { by_trait, draws }
    }

    /// Whether no `when` gives art.
    pub fn is_empty(&self) -> bool {
        self.by_trait.iter().all(Vec::is_empty)
    }

    /// Whether some `when` gives art for trait `t`.
    pub fn touches(&self, t: TraitId) -> bool {
        self.by_trait.get(t).is_some_and(|l| !l.is_empty())
    }

    /// The traits whose variant decides which art trait `t` draws (the
    /// condition traits of the `when` blocks that give it art), ascending.
    pub fn conditions_of(&self, t: TraitId) -> Vec<TraitId> {
        let mut out: Vec<TraitId> = self.by_trait.get(t).into_iter().flatten().map(|l| l.condition_trait).collect();
        out.sort_unstable();
        out.dedup();
        out
    }

    /// Every way trait `t` (of `variants` variants) can be drawn: first each
    /// variant's own art (look `i` is variant `i`'s own), then, in the order
    /// of the `when` blocks and their `art` lines, each art a line gives a
    /// variant ([`ConditionalArt::source`] returns no other). A trait-level
    /// line gives a look to each variant whose own art draws something and
    /// that no variant-level line of its block names.
    pub fn looks(&self, t: TraitId, variants: usize) -> Vec<Look> {
        let mut out: Vec<Look> = (0..variants).map(|variant| Look { variant, source: ArtSource::Own }).collect();
        let lines = self.by_trait.get(t).map_or(&[][..], Vec::as_slice);
        for line in lines {
            let source = ArtSource::When { rule: line.rule, art: line.art };
            match line.variant {
                Some(variant) => out.push(Look { variant, source }),
                None => {
                    for variant in 0..variants {
                        let draws = self.draws.get(t).and_then(|d| d.get(variant)).copied().unwrap_or(false);
                        let named = lines.iter().any(|o| o.rule == line.rule && o.variant == Some(variant));
                        if draws && !named {
                            out.push(Look { variant, source });
                        }
                    }
                }
            }
        }
        out
    }

    /// Which art variant `id` draws in the token whose variant of trait `t`
    /// is `variant_of(t)`: the art of the first `when` block whose condition
    /// holds and that gives art for it (a variant-level `art` winning over a
    /// trait-level one in the same block), else its own. `check` refuses two
    /// blocks that can both apply (`ambiguous_when_art`), so "first" only
    /// decides for models built otherwise. A trait-level recolouring of a
    /// variant that draws nothing leaves it its own (empty) art.
    pub fn source(&self, variant_of: impl Fn(TraitId) -> usize, id: VariantId) -> ArtSource {
        let Some(lines) = self.by_trait.get(id.trait_id) else { return ArtSource::Own };
        let mut found: Option<&ArtLine> = None;
        for line in lines {
            if found.is_some_and(|f| f.rule != line.rule) {
                break;
            }
            let fits = match line.variant {
                Some(v) => v == id.index,
                None => found.is_none() && self.draws[id.trait_id].get(id.index).copied().unwrap_or(false),
            };
            if fits && line.conditions.contains(&variant_of(line.condition_trait)) {
                found = Some(line);
                if line.variant.is_some() {
                    break;
                }
            }
        }
        found.map_or(ArtSource::Own, |l| ArtSource::When { rule: l.rule, art: l.art })
    }
}

/// One way a variant can be drawn: its own art or a `when` block's
/// ([`ConditionalArt::looks`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Look {
    /// The variant's index in its trait.
    pub variant: usize,
    /// Which art it draws.
    pub source: ArtSource,
}

/// Which art a variant draws in a token ([`ConditionalArt::source`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ArtSource {
    /// Its own (as declared).
    Own,
    /// A `when` block's: [`Model::whens`]`[rule].art[art]`.
    When {
        /// The `when` rule.
        rule: usize,
        /// The `art` line in it.
        art: usize,
    },
}

/// `count variant OP n` (or `count Group OP n`), with `<`/`>` and
/// percentages already turned into bounds.
#[derive(Clone, Debug)]
pub struct CountRule {
    /// The counted variants, sorted: a token counts when it has any of them
    /// (one variant, or a group's).
    pub variants: Vec<VariantId>,
    /// What is counted, as written in a `.drop` file (`Head.Crown`, `Metal`), for messages.
    pub target: String,
    /// The operator as written.
    pub op: CountOp,
    /// Least number of tokens with the variant.
    pub min: u64,
    /// Greatest number of tokens with the variant.
    pub max: u64,
    /// The bound as written (`5`, `10%`), for messages.
    pub written: String,
    /// The whole statement.
    pub span: Span,
}

impl CountRule {
    /// Whether a token (one variant index per trait) counts under this rule.
    pub fn matches(&self, token: &[u32]) -> bool {
        self.variants.iter().any(|v| token.get(v.trait_id).is_some_and(|&x| x as usize == v.index))
    }

    /// The one counted variant, when the rule counts a single variant.
    pub fn single(&self) -> Option<VariantId> {
        match self.variants.as_slice() {
            [v] => Some(*v),
            _ => None,
        }
    }
}

/// A hand-made token.
#[derive(Clone, Debug)]
pub struct Legendary {
    /// Its name.
    pub name: String,
    /// Its id when fixed; otherwise drawn from the seed.
    pub id: Option<u64>,
    /// Its image, relative to the `.drop` file's folder.
    pub image: PathBuf,
    /// Its attributes (trait type, value) in source order.
    pub attributes: Vec<(String, AttributeValue)>,
    /// The whole statement.
    pub span: Span,
}

/// A legendary's attribute value.
#[derive(Clone, Debug, PartialEq)]
pub enum AttributeValue {
    /// Text.
    Text(String),
    /// A number.
    Number(f64),
}

impl AttributeValue {
    /// The value in metadata: a whole number stays an integer (`100`, not
    /// `100.0`) while JSON readers can hold it exactly (|n| ≤ 2^53).
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            AttributeValue::Text(t) => serde_json::Value::from(t.as_str()),
            AttributeValue::Number(n) if n.fract() == 0.0 && n.abs() <= 9_007_199_254_740_992.0 => {
                serde_json::Value::from(*n as i64)
            }
            AttributeValue::Number(n) => serde_json::Value::from(*n),
        }
    }
}

/// Whether and how a trait appears in outputs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TraitKind {
    /// Rendered and written to metadata (the default).
    Visible,
    /// `hidden trait`: rendered, not written to metadata.
    Hidden,
    /// `metadata trait`: written to metadata, no art.
    MetadataOnly,
}

/// Which side of another layer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    /// Just below the named trait.
    Below,
    /// Just above the named trait.
    Above,
}

/// A `count` comparison.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CountOp {
    /// `=`
    Eq,
    /// `<=`
    Le,
    /// `>=`
    Ge,
    /// `<`
    Lt,
    /// `>`
    Gt,
}

impl fmt::Display for CountOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CountOp::Eq => "=",
            CountOp::Le => "<=",
            CountOp::Ge => ">=",
            CountOp::Lt => "<",
            CountOp::Gt => ">",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A file of a few megabytes declares hundreds of thousands of variants:
    /// a variant was 160 bytes with its name and default art path on the
    /// heap beside it, then 112 with both inline; it is 56 with its name in
    /// 16 bytes, its span in 8 and its default file not kept ([`Art::Default`]).
    #[test]
    fn a_variant_stays_small() {
        assert!(std::mem::size_of::<Variant>() <= 56, "{} bytes", std::mem::size_of::<Variant>());
        assert!(std::mem::size_of::<VariantName>() <= 16, "{} bytes", std::mem::size_of::<VariantName>());
        assert!(std::mem::size_of::<Art>() <= 16, "{} bytes", std::mem::size_of::<Art>());
        assert!(std::mem::size_of::<ArtFile>() <= 56, "{} bytes", std::mem::size_of::<ArtFile>());
    }

    /// A variant's default file is `<trait folder>/<Name>.png` at the
    /// variant's span; files written out are the variant's own.
    #[test]
    fn default_files_are_made_from_the_folder_and_the_name() {
        let variant = |name: &str, at: usize, art: Art| Variant::new(name, Span::new(at, at + name.len()), 1.0, art, 0);
        let written = ArtFile::new(PathBuf::from("layers/elsewhere/x.png"), Span::new(40, 47), Some((Side::Below, 0)));
        let t = Trait {
            name: "Eye color".into(),
            span: Span::new(0, 9),
            kind: TraitKind::Visible,
            folder: PathBuf::from("layers/Eye color"),
            variants: vec![
                variant("Pink ✨", 12, Art::Default),
                variant("none", 20, Art::Empty),
                variant("Gold", 30, Art::Files(vec![written.clone()].into())),
                variant("Rose", 50, Art::Derived { from: 0, recolour: Box::new(Recolour::Hue(90.0)) }),
                variant("a-much-longer-name-than-any-inline-path", 60, Art::Default),
            ],
            options: vec![VariantOptions { style: LayerStyle::default(), profiles: None }],
            defaults: OnceLock::new(),
        };
        let pink = t.own_files(0).unwrap();
        assert_eq!(pink.len(), 1);
        assert_eq!(pink[0].path.as_path(), Path::new("layers/Eye color/Pink ✨.png"));
        assert_eq!((pink[0].span, pink[0].placement()), (Span::new(12, 20), None));
        assert!(t.own_files(1).is_none() && t.own_files(3).is_none() && t.own_files(9).is_none());
        let gold = t.own_files(2).unwrap();
        assert_eq!(
            (gold[0].path.as_path(), gold[0].span, gold[0].placement()),
            (written.path.as_path(), written.span, written.placement())
        );
        let long = t.own_files(4).unwrap();
        assert_eq!(long[0].path.as_path(), Path::new("layers/Eye color/a-much-longer-name-than-any-inline-path.png"));
        // What a model draws for them.
        let model = Model {
            settings: Settings { size: 1, canvas: (1, 1), ..Settings::defaults("C".into()) },
            traits: vec![t],
            forbids: Vec::new(),
            requires: Vec::new(),
            whens: Vec::new(),
            counts: Vec::new(),
            unique: Vec::new(),
            visually: None,
            visibility: None,
            legendaries: Vec::new(),
        };
        let drawn = |index| model.drawn(VariantId { trait_id: 0, index }).unwrap();
        assert_eq!(drawn(0).files[0].path.as_path(), Path::new("layers/Eye color/Pink ✨.png"));
        assert!(drawn(1).files.is_empty());
        let rose = drawn(3);
        assert_eq!(
            (rose.files[0].path.as_path(), rose.recolour),
            (Path::new("layers/Eye color/Pink ✨.png"), Some(&Recolour::Hue(90.0)))
        );
        let all: Vec<&Path> = model.art_files().map(|(_, f)| f.path.as_path()).collect();
        assert_eq!(all.len(), 3);
        assert_eq!(model.profile_policies().len(), 3);
    }

    #[test]
    fn names_read_back_as_written() {
        for name in
            ["", "none", "V12", "Gold Grill", "fourteen-bytes", "fifteen bytes!!", "Éclair ✨ glow", "Éclair ✨"]
        {
            let n = VariantName::from(name);
            assert_eq!(n.as_str(), name);
            assert_eq!(format!("{n}"), name);
            assert_eq!(format!("{n:?}"), format!("{name:?}"));
            assert!(n == name);
            assert_eq!(n, VariantName::from(String::from(name).as_str()));
        }
        assert_ne!(VariantName::from("V1"), VariantName::from("V12"));
        // Inline up to 14 bytes, on the heap beyond.
        assert!(matches!(VariantName::from("fourteen-bytes").0, NameRepr::Inline(InlineStr { len: 14, .. })));
        assert!(matches!(VariantName::from("fifteen bytes!!").0, NameRepr::Heap(_)));
        // A variant's span reads back.
        let v = Variant::new("V12", Span::new(1_000_000, 1_000_003), 2.5, Art::Default, 3);
        assert_eq!((v.span(), &*v.name, v.weight, v.options), (Span::new(1_000_000, 1_000_003), "V12", 2.5, 3));
    }

    #[test]
    fn paths_read_back_as_given() {
        for path in ["", "layers/Body/Zombie.png", "layers/Edition/e12345678901.png", "layers/Eye color/Pink ✨.png"] {
            let p = ArtPath::from(PathBuf::from(path));
            assert_eq!(p.as_path(), Path::new(path));
            assert_eq!(format!("{p:?}"), format!("{:?}", Path::new(path)));
            assert_eq!(p, ArtPath::from(Path::new(path).to_path_buf()));
        }
        assert!(matches!(ArtPath::from(PathBuf::from("layers/Edition/e1234567890.png")).0, PathRepr::Inline(_)));
        assert!(matches!(ArtPath::from(PathBuf::from("layers/Edition/e12345678901.png")).0, PathRepr::Heap(_)));
    }

    #[test]
    fn a_placement_reads_back() {
        let f = ArtFile::new(PathBuf::from("a.png"), Span::new(0, 1), Some((Side::Above, 7)));
        assert_eq!(f.placement(), Some((Side::Above, 7)));
        assert_eq!(ArtFile::new(PathBuf::new(), Span::default(), None).placement(), None);
    }
}
