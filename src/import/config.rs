//! Reading the settings an art engine keeps in its `config.js`.
//!
//! HashLips and nftchef/art-engine are configured by a JavaScript module
//! (`src/config.js`) that declares `const` values. dropc does not run it: it
//! reads the literal values that matter to an import (`layerConfigurations`
//! with each `layersOrder`, `format`, `namePrefix`, `description`,
//! `rarityDelimiter`, nftchef's `emptyLayerName` and `traitValueOverrides`)
//! with a small tokenizer and a parser of JavaScript literals (arrays,
//! objects, strings, numbers, booleans, names such as `MODE.multiply`).
//! Anything else (calls, arithmetic) is skipped, never guessed: a value that
//! is not a literal is simply absent, and the import says what it assumed.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// A JavaScript literal value (or a dotted name standing for a value).
#[derive(Clone, Debug, PartialEq)]
pub enum Js {
    /// A string, in quotes or backticks.
    Str(String),
    /// A number.
    Num(f64),
    /// `true` or `false`.
    Bool(bool),
    /// A name or a dotted name (`MODE.multiply`, `NETWORK.eth`).
    Name(String),
    /// An array.
    Array(Vec<Js>),
    /// An object, keys in order.
    Object(Vec<(String, Js)>),
    /// Anything that is not a literal (a call, arithmetic, a function).
    Other,
}

impl Js {
    /// The value of `key` in an object.
    pub fn get(&self, key: &str) -> Option<&Js> {
        match self {
            Js::Object(entries) => entries.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// The string, if this is one.
    pub fn as_str(&self) -> Option<&str> {
        if let Js::Str(s) = self { Some(s) } else { None }
    }

    /// The number, if this is one.
    pub fn as_num(&self) -> Option<f64> {
        if let Js::Num(n) = self { Some(*n) } else { None }
    }
}

#[derive(Clone, Debug, PartialEq)]
enum Token {
    Str(String),
    Num(f64),
    Word(String),
    Punct(char),
}

fn tokenize(text: &str) -> Vec<Token> {
    let chars: Vec<char> = text.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
        } else if c == '/' && chars.get(i + 1) == Some(&'/') {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && chars.get(i + 1) == Some(&'*') {
            i += 2;
            while i < chars.len() && !(chars[i] == '*' && chars.get(i + 1) == Some(&'/')) {
                i += 1;
            }
            i += 2;
        } else if c == '"' || c == '\'' || c == '`' {
            let mut s = String::new();
            i += 1;
            while i < chars.len() && chars[i] != c {
                if chars[i] == '\\' && i + 1 < chars.len() {
                    i += 1;
                    s.push(match chars[i] {
                        'n' => '\n',
                        't' => '\t',
                        other => other,
                    });
                } else {
                    s.push(chars[i]);
                }
                i += 1;
            }
            i += 1;
            tokens.push(Token::Str(s));
        } else if c.is_ascii_digit() || (c == '.' && chars.get(i + 1).is_some_and(char::is_ascii_digit)) {
            let start = i;
            while i < chars.len() && (chars[i].is_ascii_alphanumeric() || chars[i] == '.' || chars[i] == '_') {
                i += 1;
            }
            let text: String = chars[start..i].iter().filter(|c| **c != '_').collect();
            tokens.push(text.parse().map_or(Token::Word(text), Token::Num));
        } else if c.is_alphabetic() || c == '_' || c == '$' {
            let start = i;
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_' || chars[i] == '$') {
                i += 1;
            }
            tokens.push(Token::Word(chars[start..i].iter().collect()));
        } else {
            tokens.push(Token::Punct(c));
            i += 1;
        }
    }
    tokens
}

struct Parser {
    tokens: Vec<Token>,
    at: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.at)
    }

    fn bump(&mut self) -> Option<Token> {
        let t = self.tokens.get(self.at).cloned();
        self.at += 1;
        t
    }

    fn eat(&mut self, c: char) -> bool {
        if self.peek() == Some(&Token::Punct(c)) {
            self.at += 1;
            true
        } else {
            false
        }
    }

    /// Skips the rest of an expression up to a `,`, `;` or a closing bracket
    /// at this nesting level.
    fn skip_expression(&mut self) {
        let mut depth = 0usize;
        while let Some(t) = self.peek() {
            match t {
                Token::Punct('(' | '[' | '{') => depth += 1,
                Token::Punct(')' | ']' | '}') if depth == 0 => return,
                Token::Punct(')' | ']' | '}') => depth -= 1,
                Token::Punct(',' | ';') if depth == 0 => return,
                _ => {}
            }
            self.at += 1;
        }
    }

    fn value(&mut self) -> Js {
        let start = self.at;
        let value = match self.bump() {
            Some(Token::Str(s)) => Js::Str(s),
            Some(Token::Num(n)) => Js::Num(n),
            Some(Token::Punct('-')) => match self.bump() {
                Some(Token::Num(n)) => Js::Num(-n),
                _ => Js::Other,
            },
            Some(Token::Word(w)) if w == "true" => Js::Bool(true),
            Some(Token::Word(w)) if w == "false" => Js::Bool(false),
            Some(Token::Word(w)) => {
                let mut name = w;
                while self.eat('.') {
                    match self.bump() {
                        Some(Token::Word(part)) => {
                            name.push('.');
                            name.push_str(&part);
                        }
                        _ => return self.rest_other(),
                    }
                }
                Js::Name(name)
            }
            Some(Token::Punct('[')) => {
                let mut items = Vec::new();
                loop {
                    if self.eat(']') || self.peek().is_none() {
                        break;
                    }
                    if self.eat(',') {
                        continue;
                    }
                    items.push(self.value());
                    if !self.eat(',') {
                        self.eat(']');
                        break;
                    }
                }
                Js::Array(items)
            }
            Some(Token::Punct('{')) => {
                let mut entries = Vec::new();
                loop {
                    if self.eat('}') || self.peek().is_none() {
                        break;
                    }
                    if self.eat(',') {
                        continue;
                    }
                    let key = match self.bump() {
                        Some(Token::Str(s) | Token::Word(s)) => s,
                        Some(Token::Num(n)) => n.to_string(),
                        Some(Token::Punct('.')) => {
                            // `...spread`: skipped.
                            self.skip_expression();
                            self.eat(',');
                            continue;
                        }
                        _ => {
                            self.skip_expression();
                            self.eat(',');
                            continue;
                        }
                    };
                    let value = if self.eat(':') { self.value() } else { Js::Name(key.clone()) };
                    entries.push((key, value));
                    if !self.eat(',') {
                        self.eat('}');
                        break;
                    }
                }
                Js::Object(entries)
            }
            _ => {
                self.at = start;
                self.skip_expression();
                return Js::Other;
            }
        };
        // A literal followed by an operator (`2 / 128`, `a ? b : c`) is an expression.
        match self.peek() {
            None | Some(Token::Punct(',' | ';' | ')' | ']' | '}')) => value,
            Some(Token::Word(_)) if start < self.at => value, // no semicolon: the next statement
            _ => self.rest_other(),
        }
    }

    fn rest_other(&mut self) -> Js {
        self.skip_expression();
        Js::Other
    }
}

/// The `const` (and `let`/`var`) declarations of a `config.js`, by name.
#[derive(Clone, Debug, Default)]
pub struct Config {
    /// Where it was read from.
    pub path: PathBuf,
    values: BTreeMap<String, Js>,
}

impl Config {
    /// Reads the declarations of a JavaScript file's text.
    pub fn parse(path: &Path, text: &str) -> Config {
        let mut parser = Parser { tokens: tokenize(text), at: 0 };
        let mut values = BTreeMap::new();
        while let Some(token) = parser.bump() {
            let Token::Word(word) = token else { continue };
            if !matches!(word.as_str(), "const" | "let" | "var") {
                continue;
            }
            let Some(Token::Word(name)) = parser.peek().cloned() else { continue };
            parser.at += 1;
            if parser.eat('=') {
                let value = parser.value();
                values.entry(name).or_insert(value);
            }
        }
        Config { path: path.to_path_buf(), values }
    }

    /// Reads `path` through [`crate::files`]: a regular file of at most
    /// [`CONFIG_LIMIT`] bytes, in UTF-8 (a FIFO or device named `config.js`
    /// is refused, never waited on or read without end). The error is a
    /// phrase after the file's name.
    pub fn read(path: &Path) -> Result<Config, String> {
        let bytes = crate::files::read(path, CONFIG_LIMIT, crate::files::Links::Follow).map_err(|e| e.phrase())?;
        let text = String::from_utf8(bytes).map_err(|_| "is not UTF-8 text".to_string())?;
        Ok(Config::parse(path, &text))
    }

    /// A declared value.
    pub fn get(&self, name: &str) -> Option<&Js> {
        self.values.get(name)
    }

    /// The layer configurations: each `layersOrder` list and its `growEditionSizeTo`.
    pub fn layer_configurations(&self) -> Vec<LayerConfiguration> {
        let Some(Js::Array(configs)) = self.get("layerConfigurations") else { return Vec::new() };
        configs
            .iter()
            .map(|c| LayerConfiguration {
                grow_edition_size_to: c.get("growEditionSizeTo").and_then(Js::as_num),
                name_prefix: c.get("namePrefix").and_then(Js::as_str).map(str::to_string),
                layers: match c.get("layersOrder") {
                    Some(Js::Array(layers)) => layers.iter().filter_map(LayerOptions::from_js).collect(),
                    _ => Vec::new(),
                },
            })
            .collect()
    }

    /// `format.width` and `format.height`.
    pub fn format(&self) -> Option<(u32, u32)> {
        let format = self.get("format")?;
        let w = format.get("width")?.as_num()?;
        let h = format.get("height")?.as_num()?;
        (w >= 1.0 && h >= 1.0 && w.fract() == 0.0 && h.fract() == 0.0 && w <= 16384.0 && h <= 16384.0)
            .then_some((w as u32, h as u32))
    }

    /// A string constant.
    pub fn string(&self, name: &str) -> Option<&str> {
        self.get(name).and_then(Js::as_str)
    }

    /// A string-to-string object constant (`traitValueOverrides`).
    pub fn string_map(&self, name: &str) -> Vec<(String, String)> {
        match self.get(name) {
            Some(Js::Object(entries)) => {
                entries.iter().filter_map(|(k, v)| v.as_str().map(|v| (k.clone(), v.to_string()))).collect()
            }
            _ => Vec::new(),
        }
    }

    /// An object whose values are arrays of strings (nftchef's
    /// `incompatible` and `forcedCombinations`), keys in order; other values
    /// are left out.
    pub fn string_lists(&self, name: &str) -> Vec<(String, Vec<String>)> {
        match self.get(name) {
            Some(Js::Object(entries)) => entries
                .iter()
                .filter_map(|(k, v)| match v {
                    Js::Array(items) => {
                        Some((k.clone(), items.iter().filter_map(|i| i.as_str().map(str::to_string)).collect()))
                    }
                    _ => None,
                })
                .collect(),
            _ => Vec::new(),
        }
    }

    /// Whether `background.generate` is true (the engine paints a random colour under every image).
    pub fn generated_background(&self) -> bool {
        self.get("background").and_then(|b| b.get("generate")) == Some(&Js::Bool(true))
    }
}

/// One entry of `layerConfigurations`.
#[derive(Clone, Debug, PartialEq)]
pub struct LayerConfiguration {
    /// `growEditionSizeTo`.
    pub grow_edition_size_to: Option<f64>,
    /// nftchef's per-configuration `namePrefix`.
    pub name_prefix: Option<String>,
    /// `layersOrder`, bottom to top.
    pub layers: Vec<LayerOptions>,
}

/// One entry of `layersOrder`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LayerOptions {
    /// The folder name (`name`).
    pub name: String,
    /// The attribute name (HashLips `options.displayName`, nftchef `trait`).
    pub display_name: Option<String>,
    /// The canvas composite operation (`blend`: `MODE.multiply` or `"multiply"`).
    pub blend: Option<String>,
    /// `opacity`, 0 to 1.
    pub opacity: Option<f64>,
    /// `bypassDNA`: the layer does not count for uniqueness.
    pub bypass_dna: bool,
}

impl LayerOptions {
    fn from_js(js: &Js) -> Option<LayerOptions> {
        let name = js.get("name")?.as_str()?.to_string();
        let options = js.get("options");
        let pick = |key: &str| options.and_then(|o| o.get(key)).or_else(|| js.get(key));
        let blend = pick("blend").and_then(|b| match b {
            Js::Str(s) => Some(s.clone()),
            Js::Name(n) => Some(blend_from_mode(n)),
            _ => None,
        });
        Some(LayerOptions {
            name,
            display_name: pick("displayName").or_else(|| pick("trait")).and_then(Js::as_str).map(str::to_string),
            blend,
            opacity: pick("opacity").and_then(Js::as_num),
            bypass_dna: pick("bypassDNA") == Some(&Js::Bool(true)),
        })
    }
}

/// `MODE.colorDodge` → `color-dodge` (the engines' `blendMode.js` maps its
/// camel-case names to the canvas operation names).
fn blend_from_mode(name: &str) -> String {
    let last = name.rsplit('.').next().unwrap_or(name);
    if last == "sourceOver" {
        return "source-over".into();
    }
    let mut out = String::new();
    for c in last.chars() {
        if c.is_ascii_uppercase() {
            out.push('-');
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// The most a `config.js` may take: the engines' own are a few kilobytes.
pub const CONFIG_LIMIT: u64 = 16 << 20;

/// The `config.js` of a HashLips-style project that holds `dir`: the first of
/// `config.js` and `src/config.js` in `dir`'s parent, then in each folder
/// above it (and in `dir` itself). Anything at such a path but a folder
/// counts (a FIFO, a device, a dangling link), so that [`Config::read`]
/// refuses it with a message rather than the import going on without it.
pub fn find(dir: &Path) -> Option<PathBuf> {
    let dir = std::fs::canonicalize(dir).ok()?;
    let mut candidates = vec![dir.join("config.js"), dir.join("src").join("config.js")];
    for ancestor in dir.ancestors().skip(1) {
        candidates.push(ancestor.join("src").join("config.js"));
        candidates.push(ancestor.join("config.js"));
    }
    candidates.into_iter().find(|p| std::fs::symlink_metadata(p).is_ok() && !p.is_dir())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_hashlips_layers_order() {
        let text = r#"
const { MODE } = require(path.join(basePath, "src/blendMode.js"));
const description = "This is the description"; // comment
const layerConfigurations = [
  {
    growEditionSizeTo: 10,
    layersOrder: [
      { name: "Background" },
      { name: "Eye color", options: { displayName: "Colour", blend: MODE.multiply, opacity: 0.5 } },
      { name: 'Top lid', options: { bypassDNA: true, } },
    ],
  },
  // { growEditionSizeTo: 20, layersOrder: [{ name: "Nope" }] },
];
const format = { width: 512, height: 512, smoothing: false };
const pixelFormat = { ratio: 2 / 128 };
const traitValueOverrides = { Helmet: "Space Helmet", "gold chain": "GOLDEN NECKLACE" };
"#;
        let config = Config::parse(Path::new("config.js"), text);
        let configs = config.layer_configurations();
        assert_eq!(configs.len(), 1);
        assert_eq!(configs[0].grow_edition_size_to, Some(10.0));
        let names: Vec<&str> = configs[0].layers.iter().map(|l| l.name.as_str()).collect();
        assert_eq!(names, ["Background", "Eye color", "Top lid"]);
        assert_eq!(configs[0].layers[1].display_name.as_deref(), Some("Colour"));
        assert_eq!(configs[0].layers[1].blend.as_deref(), Some("multiply"));
        assert_eq!(configs[0].layers[1].opacity, Some(0.5));
        assert!(configs[0].layers[2].bypass_dna);
        assert_eq!(config.format(), Some((512, 512)));
        assert_eq!(config.get("pixelFormat").and_then(|p| p.get("ratio")), Some(&Js::Other));
        assert_eq!(config.string("description"), Some("This is the description"));
        assert_eq!(
            config.string_map("traitValueOverrides"),
            [("Helmet".to_string(), "Space Helmet".to_string()), ("gold chain".into(), "GOLDEN NECKLACE".into())]
        );
        assert_eq!(blend_from_mode("MODE.colorDodge"), "color-dodge");
    }
}
