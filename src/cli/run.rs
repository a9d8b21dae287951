//! `dropc run FILE [-o DIR] [--jobs N] [--no-images] [--qa]`: sample the collection
//! and publish it: `images/<id>.png` (and `images/<W>x<H>/<id>.png` for every
//! extra size), `metadata/<id>.json`, `tokens.json`, `rarity.json`
//! (OpenRarity), `provenance.json` (SHA-256 of every image and the
//! provenance hash) and `collection.json` (realised counts, seed, version,
//! input hashes). Every file is written
//! atomically (temporary file, then rename); output bytes do not depend on
//! `--jobs`. `--qa` audits the folder right after (`dropc qa DIR`).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use super::{EXIT_INPUT, EXIT_USAGE, Format, RunArgs, colour_stderr, report_width};
use dropc::SourceFile;
use dropc::check::{ArtStore, Checked, DiskArt, Model, NoArt, check_text};
use dropc::diagnostic::{Diagnostic, Style, render_human, to_json};

/// A checked file: its model (when it has no errors) and source.
pub(super) struct Loaded {
    pub checked: Checked,
    pub source: SourceFile,
}

/// Reads and checks `path`; on failure returns the exit code to use.
pub(super) fn load(path: &Path, no_art: bool) -> Result<Loaded, ExitCode> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        eprintln!("error: cannot read `{}`: {e}", path.display());
        ExitCode::from(EXIT_USAGE)
    })?;
    let root = path.parent().map_or_else(|| Path::new(".").to_path_buf(), Path::to_path_buf);
    let disk = DiskArt { root };
    let art: &dyn ArtStore = if no_art { &NoArt } else { &disk };
    let checked = check_text(&text, art);
    Ok(Loaded { checked, source: SourceFile::new(path.display().to_string(), text) })
}

/// Prints diagnostics in `format` (JSON: one document on stdout).
pub(super) fn report(diagnostics: &[Diagnostic], source: &SourceFile, format: Format) {
    match format {
        Format::Json => {
            let json: Vec<_> = diagnostics.iter().map(|d| to_json(d, source)).collect();
            let text = format!("{:#}\n", serde_json::json!({ "diagnostics": json }));
            let _ = std::io::stdout().lock().write_all(text.as_bytes());
        }
        Format::Human => {
            let style = if colour_stderr() { Style::Colour } else { Style::Plain };
            let _ = write!(std::io::stderr().lock(), "{}", render_human(diagnostics, source, style, report_width()));
        }
    }
}

/// The model of a loaded file, or the exit code after printing its errors.
pub(super) fn model_or_report(loaded: &Loaded, format: Format) -> Result<&Model, ExitCode> {
    match &loaded.checked.model {
        Some(m) if !loaded.checked.has_errors() => Ok(m),
        _ => {
            report(&loaded.checked.diagnostics, &loaded.source, format);
            Err(ExitCode::from(EXIT_INPUT))
        }
    }
}

/// Runs `dropc run`.
pub fn run(args: &RunArgs) -> ExitCode {
    let loaded = match load(&args.file, args.no_art) {
        Ok(l) => l,
        Err(code) => return code,
    };
    let model = match model_or_report(&loaded, Format::Human) {
        Ok(m) => m,
        Err(code) => return code,
    };
    let warnings: Vec<Diagnostic> = loaded.checked.diagnostics.clone();
    if !warnings.is_empty() {
        report(&warnings, &loaded.source, Format::Human);
    }
    let pool = match rayon::ThreadPoolBuilder::new().num_threads(args.jobs.unwrap_or(0)).build() {
        Ok(p) => p,
        Err(e) => {
            eprintln!("error: cannot start worker threads: {e}");
            return ExitCode::from(EXIT_USAGE);
        }
    };
    let seed = model.settings.seed.clone();
    let tokens = match pool.install(|| dropc::sample(model, &seed)) {
        Ok(t) => t,
        Err(e) => {
            report(&e.to_diagnostics(model), &loaded.source, Format::Human);
            return ExitCode::from(EXIT_INPUT);
        }
    };
    let dir: PathBuf = args
        .output
        .clone()
        .unwrap_or_else(|| args.file.parent().map_or_else(|| PathBuf::from("out"), |p| p.join("out")));
    if !args.force {
        if let Some(why) = foreign_output(&dir, &model.settings.name) {
            eprintln!(
                "error: `{}` {why}; choose another folder with -o, or pass --force to write into it",
                dir.display()
            );
            return ExitCode::from(EXIT_USAGE);
        }
    }
    let root = args.file.parent().map_or_else(|| PathBuf::from("."), Path::to_path_buf);
    // Every art file is read once here: its hash goes into the summary and
    // into each token's manifest key (files that cannot be read are left out;
    // rendering reports them).
    let art: Vec<(PathBuf, Vec<u8>)> = dropc::publish::provenance::art_paths(model)
        .into_iter()
        .filter_map(|p| std::fs::read(root.join(&p)).ok().map(|bytes| (p, bytes)))
        .collect();
    let art_hashes = dropc::publish::manifest::art_hashes(&art);
    let written = pool.install(|| {
        std::fs::create_dir_all(&dir)?;
        dropc::publish::manifest::remove_leftovers(&dir);
        // The collection summary (which records the hash of every input)
        // comes first: it marks the folder as this collection's, even if the
        // run is killed before it ends.
        // The `.drop` relative to the folder, so that `dropc qa DIR` finds it.
        let source_path = std::fs::canonicalize(&dir)
            .ok()
            .zip(std::fs::canonicalize(&args.file).ok())
            .map(|(d, f)| dropc::publish::provenance::relative_path(&d, &f));
        let source = (source_path.as_deref(), loaded.source.text.as_bytes());
        let summary = dropc::publish::provenance::summary_json(model, &tokens, &seed, source, &art);
        dropc::publish::write_atomic(&dir.join("collection.json"), &summary)?;
        dropc::publish::write_metadata(model, &tokens, &dir)?;
        dropc::publish::write_atomic(&dir.join("tokens.json"), &dropc::publish::tokens_json(model, &tokens, &seed))?;
        dropc::publish::write_atomic(&dir.join("rarity.json"), &dropc::publish::rarity::rarity_json(model, &tokens))
    });
    drop(art);
    if let Err(e) = written {
        eprintln!("error: cannot write to `{}`: {e}", dir.display());
        return ExitCode::from(EXIT_USAGE);
    }
    if args.no_images {
        eprintln!("{}: wrote metadata of {} tokens to `{}`", loaded.source.name, tokens.len(), dir.display());
        return ExitCode::SUCCESS;
    }
    let started = std::time::Instant::now();
    match pool.install(|| render_images(model, &tokens, &root, &dir, &art_hashes)) {
        Ok(Rendered { images, rendered, reused }) => {
            let seconds = started.elapsed().as_secs_f64();
            eprintln!(
                "{}: wrote {} tokens to `{}`: rendered {rendered}, reused {reused} ({images} images in {seconds:.1} s)",
                loaded.source.name,
                tokens.len(),
                dir.display(),
            );
            if args.qa {
                let source = loaded.source.text.as_bytes();
                return super::qa::audit_output(model, source, &root, &dir, Format::Human, true, &pool);
            }
            ExitCode::SUCCESS
        }
        Err(RunError::Art(e)) => {
            eprintln!("error: {e}");
            ExitCode::from(EXIT_INPUT)
        }
        Err(RunError::Io(e)) => {
            eprintln!("error: cannot write images to `{}`: {e}", dir.display());
            ExitCode::from(EXIT_USAGE)
        }
    }
}

/// Why `dir` must not be written without `--force`: it holds another
/// collection (its `collection.json` names another one), or files that no
/// dropc run wrote. An empty or missing folder, or one with this collection,
/// is fine: runs are repeatable and overwrite their own output.
fn foreign_output(dir: &Path, collection: &str) -> Option<String> {
    let mut entries = std::fs::read_dir(dir).ok()?.flatten().peekable();
    entries.peek()?;
    let summary = std::fs::read(dir.join("collection.json")).ok();
    let Some(summary) = summary else {
        return Some("is not empty and holds no dropc collection".to_string());
    };
    let value: serde_json::Value = serde_json::from_slice(&summary).ok()?;
    match value.get("collection").and_then(serde_json::Value::as_str) {
        Some(name) if name == collection => None,
        Some(name) => Some(format!("holds another collection, `{name}`")),
        None => Some("holds a `collection.json` dropc did not write".to_string()),
    }
}

/// Why rendering stopped.
enum RunError {
    /// The art is wrong (missing, corrupt, wrong size): the input's fault.
    Art(dropc::RenderError),
    /// The output folder could not be written.
    Io(std::io::Error),
}

/// What [`render_images`] did.
struct Rendered {
    /// Image files in the output (all sizes).
    images: usize,
    /// Tokens rendered by this run.
    rendered: usize,
    /// Tokens whose images were already there, made from the same inputs.
    reused: usize,
}

/// Renders every token (and every extra size) into `dir/images`, in
/// parallel, skipping tokens the manifest shows unchanged; then writes
/// `provenance.json` and `manifest.json`.
fn render_images(
    model: &Model,
    tokens: &dropc::Tokens,
    root: &Path,
    dir: &Path,
    art: &std::collections::BTreeMap<PathBuf, String>,
) -> Result<Rendered, RunError> {
    use dropc::publish::manifest::{self, Entry, Manifest};
    use rayon::prelude::*;
    let settings = &model.settings;
    let previous = Manifest::load(dir);
    let images = dir.join("images");
    std::fs::create_dir_all(&images).map_err(RunError::Io)?;
    for (w, h) in &settings.sizes {
        std::fs::create_dir_all(images.join(format!("{w}x{h}"))).map_err(RunError::Io)?;
    }
    let all: Vec<dropc::sample::Token<'_>> = tokens.iter().collect();
    let keys: Vec<String> = all.par_iter().map(|&t| manifest::token_key(model, t, art)).collect();
    let images_dir = &images;
    let files_of = |id: u64| -> Vec<PathBuf> {
        std::iter::once(images_dir.join(format!("{id}.png")))
            .chain(settings.sizes.iter().map(|(w, h)| images_dir.join(format!("{w}x{h}")).join(format!("{id}.png"))))
            .collect()
    };
    let reusable: Vec<Option<Entry>> = all
        .iter()
        .zip(&keys)
        .map(|(token, key)| {
            let entry = previous.tokens.get(&token.id()).filter(|e| &e.key == key)?;
            files_of(token.id()).iter().all(|p| p.is_file()).then(|| entry.clone())
        })
        .collect();
    let rendered = reusable.iter().filter(|r| r.is_none()).count();
    // Decoding the art is the expensive part of a run that changed little.
    let renderer = if rendered > 0 { Some(dropc::Renderer::new(model, root).map_err(RunError::Art)?) } else { None };
    let progress = progress_bar(rendered as u64);
    // The tokens to render, sorted by the layers they draw (bottom first),
    // legendaries last, and split into contiguous chunks that each thread
    // renders in order: consecutive tokens share their lower layers, whose
    // pixels are then still in cache. The bytes of each image do not depend
    // on this order.
    let mut todo: Vec<((bool, Vec<usize>), usize)> = Vec::with_capacity(rendered);
    if let Some(renderer) = &renderer {
        for (i, token) in all.iter().enumerate().filter(|(i, _)| reusable[*i].is_none()) {
            let key = match *token {
                dropc::sample::Token::Generated { variants, .. } => {
                    let variants: Vec<usize> = variants.iter().map(|&v| v as usize).collect();
                    (false, renderer.draw_order(&variants).unwrap_or_default())
                }
                dropc::sample::Token::Legendary { index, .. } => (true, vec![index]),
            };
            todo.push((key, i));
        }
    }
    todo.sort_unstable();
    let render_one = |i: usize, image: &mut dropc::render::Image| -> Result<Entry, RunError> {
        let Some(renderer) = &renderer else { return Err(RunError::Io(std::io::Error::other("no renderer"))) };
        let token = all[i];
        let id = token.id();
        match token {
            dropc::sample::Token::Generated { variants, .. } => {
                let variants: Vec<usize> = variants.iter().map(|&v| v as usize).collect();
                renderer.render_into(&variants, image)
            }
            dropc::sample::Token::Legendary { index, .. } => renderer.render_legendary(index).map(|l| *image = l),
        }
        .map_err(RunError::Art)?;
        let png = dropc::render::encode_png(image, settings.compression).map_err(RunError::Art)?;
        let digest = dropc::publish::provenance::sha256_hex(&png);
        dropc::publish::write_atomic(&images.join(format!("{id}.png")), &png).map_err(RunError::Io)?;
        for &(w, h) in &settings.sizes {
            let resized = dropc::render::resize(image, (w, h), settings.resize);
            let png = dropc::render::encode_png(&resized, settings.compression).map_err(RunError::Art)?;
            dropc::publish::write_atomic(&images.join(format!("{w}x{h}")).join(format!("{id}.png")), &png)
                .map_err(RunError::Io)?;
        }
        progress.inc(1);
        Ok(Entry { key: keys[i].clone(), sha256: digest })
    };
    let fresh: Vec<(usize, Entry)> = todo
        .par_chunks(32)
        .flat_map_iter(|chunk| {
            let mut image = dropc::render::Image::new(0, 0);
            chunk.iter().map(move |&(_, i)| render_one(i, &mut image).map(|e| (i, e)))
        })
        .collect::<Result<_, RunError>>()?;
    let mut entries = reusable;
    for (i, entry) in fresh {
        entries[i] = Some(entry);
    }
    let written: Vec<(u64, Entry)> = all
        .iter()
        .zip(entries)
        .map(|(token, entry)| entry.map(|e| (token.id(), e)))
        .collect::<Option<_>>()
        .ok_or_else(|| RunError::Io(std::io::Error::other("a token was not rendered")))?;
    progress.finish_and_clear();
    let digests: Vec<(u64, dropc::publish::provenance::Sha256Digest)> =
        written.iter().map(|(id, e)| (*id, digest_from_hex(&e.sha256))).collect();
    let provenance = dropc::publish::provenance::provenance_json_from_digests(&digests);
    dropc::publish::write_atomic(&dir.join("provenance.json"), &provenance).map_err(RunError::Io)?;
    let manifest =
        Manifest { dropc_version: env!("CARGO_PKG_VERSION").to_string(), tokens: written.into_iter().collect() };
    dropc::publish::write_atomic(&dir.join(manifest::FILE), &manifest.to_json()).map_err(RunError::Io)?;
    Ok(Rendered { images: all.len() * (1 + settings.sizes.len()), rendered, reused: all.len() - rendered })
}

/// A SHA-256 digest from its lowercase hex form (as the manifest stores it).
fn digest_from_hex(hex: &str) -> dropc::publish::provenance::Sha256Digest {
    let mut out = [0u8; 32];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = hex.get(2 * i..2 * i + 2).and_then(|h| u8::from_str_radix(h, 16).ok()).unwrap_or(0);
    }
    out
}

/// A progress bar with rate and ETA on a terminal; hidden otherwise (pipes,
/// CI logs), so that scripts see only the final summary.
fn progress_bar(tokens: u64) -> indicatif::ProgressBar {
    use std::io::IsTerminal;
    if !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(tokens);
    let style =
        indicatif::ProgressStyle::with_template("{spinner} rendering [{bar:40}] {pos}/{len} tokens  {rate}  ETA {eta}")
            .map(|s| {
                s.progress_chars("=> ").with_key(
                    "rate",
                    |state: &indicatif::ProgressState, w: &mut dyn std::fmt::Write| {
                        let _ = write!(w, "{:.0} tokens/s", state.per_sec());
                    },
                )
            });
    if let Ok(style) = style {
        bar.set_style(style);
    }
    bar
}
