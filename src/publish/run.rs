//! `dropc run`'s pipeline after sampling: the output folder brought to
//! exactly this collection's files, in an order that survives a kill at any
//! moment.
//!
//! 1. The folder is locked (an advisory lock on `.dropc.lock`, which holds
//!    the process id): a second run on the same folder stops at once.
//! 2. A folder holding another collection, or files no dropc run wrote, is
//!    refused unless forced; dropc's own leftovers (temporary files, the
//!    journal, the lock) never count.
//! 3. Stale files are removed *before* any record is replaced: the files
//!    the previous records (`tokens.json`, `collection.json`, the manifest
//!    and its journal) say dropc wrote and this run does not write (tokens
//!    beyond a lowered `size`, removed extra sizes, every image after
//!    `--no-images`). A kill during the removal leaves those records in
//!    place, so the rerun finishes it.
//! 4. `collection.json` and `tokens.json` are written before any per-token
//!    file, so the records always name every file a run may have written.
//!    Then `rarity.json` and every `metadata/<id>.json`.
//! 5. Images: a token's images are reused only when the manifest (with the
//!    journal of an interrupted run) has this run's key for them and the
//!    files hash to the recorded SHA-256; an extra size missing or stale
//!    beside a verified canvas image is derived from that image; the rest
//!    is rendered. Each finished token is appended to `manifest.journal`.
//!    Then `provenance.json` and `manifest.json`, and the journal goes.
//!
//! Every file is written atomically and only when its bytes change
//! ([`super::write_if_changed`]); the metadata of a folder that has none yet
//! is written into a temporary folder renamed into place whole, which is
//! atomic for the folder and spares each file its own rename. Output bytes do not depend on the number
//! of threads or on what earlier runs left: a rerun after any kill gives
//! the folder of a clean run, byte for byte.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use rayon::prelude::*;

use crate::files::Links;
use crate::model::Model;
use crate::output::{
    self, CollectionRecord, JournalLine, Layout, Manifest, ManifestEntry, ReadError, SizedImage, TokensRecord,
};
use crate::publish::manifest::{size_key, token_key};
use crate::publish::provenance::{Sha256Digest, hex, sha256, sha256_file};
use crate::render::{Image, RenderError, Renderer};
use crate::sample::{Token, Tokens};

thread_local! {
    /// Each worker thread's canvas, reused from token to token (a fresh
    /// 4 MB canvas costs its page faults every time).
    static CANVAS: std::cell::RefCell<Image> = std::cell::RefCell::new(Image::new(0, 0));
}

/// Most worker threads a run accepts (`--jobs`): more only costs memory
/// and start-up time.
pub const MAX_JOBS: usize = 256;

/// What a run is asked to do.
#[derive(Clone, Debug)]
pub struct Options {
    /// The output folder.
    pub dir: PathBuf,
    /// The project folder, which art paths are relative to.
    pub root: PathBuf,
    /// The `.drop` file (its path relative to the output folder goes into
    /// `collection.json`).
    pub drop_file: PathBuf,
    /// The `.drop` source.
    pub source: Vec<u8>,
    /// Whether to write images (`false`: `--no-images`).
    pub images: bool,
    /// Write into a folder that holds another collection or foreign files.
    pub force: bool,
    /// Test hook: stop as a kill would after this many files are written,
    /// leaving the next file half-written in its temporary file.
    pub stop_after_files: Option<u64>,
}

impl Options {
    /// The options of `dropc run FILE [-o DIR]`: the output folder is
    /// `output` when given, else `out` beside the `.drop` file
    /// ([`default_dir`]); art paths are relative to the `.drop` file's
    /// folder. Images are written, nothing is forced, nothing stops early.
    pub fn new(drop_file: &Path, output: Option<&Path>, source: Vec<u8>) -> Options {
        Options {
            dir: output.map_or_else(|| default_dir(drop_file), Path::to_path_buf),
            root: project_root(drop_file),
            drop_file: drop_file.to_path_buf(),
            source,
            images: true,
            force: false,
            stop_after_files: None,
        }
    }
}

/// The output folder of a `.drop` file when none is given: `out` beside it.
pub fn default_dir(drop_file: &Path) -> PathBuf {
    drop_file.parent().map_or_else(|| PathBuf::from("out"), |p| p.join("out"))
}

/// The project folder of a `.drop` file, which its art paths are relative
/// to: its own folder.
pub fn project_root(drop_file: &Path) -> PathBuf {
    match drop_file.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// A long step of a run, for progress reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    /// Removing the files of a previous run that this one does not write.
    Clean,
    /// Writing `metadata/<id>.json`.
    Metadata,
    /// Hashing the images of a previous run before reusing them.
    Verify,
    /// Rendering and deriving images.
    Images,
}

impl Step {
    /// What the step does, for a progress bar.
    pub fn label(self) -> &'static str {
        match self {
            Step::Clean => "removing stale files",
            Step::Metadata => "writing metadata",
            Step::Verify => "verifying images",
            Step::Images => "rendering",
        }
    }
}

/// Where a run reports its progress (from any thread).
pub trait Progress: Sync {
    /// A step starts, with `total` items to do.
    fn start(&self, step: Step, total: u64);
    /// `n` more items of the current step are done.
    fn advance(&self, n: u64);
    /// The current step is over.
    fn finish(&self);
}

/// No progress reports.
pub struct Silent;

impl Progress for Silent {
    fn start(&self, _: Step, _: u64) {}
    fn advance(&self, _: u64) {}
    fn finish(&self) {}
}

/// What a run did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    /// Tokens in the collection.
    pub tokens: usize,
    /// Image files in the folder (all sizes).
    pub images: usize,
    /// Tokens rendered.
    pub rendered: usize,
    /// Tokens whose canvas image was reused and some extra size derived
    /// from it.
    pub derived: usize,
    /// Tokens whose every image was reused.
    pub reused: usize,
    /// Metadata files written (the rest were unchanged).
    pub metadata_written: usize,
    /// Files of a previous run removed.
    pub removed: usize,
    /// Generated tokens rendered in this run whose image is not fully
    /// opaque (some pixel with alpha under 255).
    pub translucent: usize,
}

/// Why a run stopped.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Another run holds the folder.
    #[error("another dropc run{} is using `{}`; wait for it to end", pid.map(|p| format!(" (process {p})")).unwrap_or_default(), dir.display())]
    Busy {
        /// The folder.
        dir: PathBuf,
        /// The other run's process id, when it could be read.
        pid: Option<u32>,
    },
    /// The folder holds another collection or foreign files.
    #[error("`{}` {why}; choose another folder with -o, or pass --force to write into it", dir.display())]
    Foreign {
        /// The folder.
        dir: PathBuf,
        /// What is in it.
        why: String,
    },
    /// The art is wrong (missing, corrupt, wrong size): the input's fault.
    #[error(transparent)]
    Art(RenderError),
    /// A file could not be written or removed.
    #[error("cannot write `{}`: {error}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        error: std::io::Error,
    },
    /// The collection could not be sampled (its diagnostics say why).
    #[error("the collection cannot be sampled")]
    Sample(crate::sample::SampleError),
    /// The test hook stopped the run.
    #[error("stopped after {0} files, as asked (DROPC_TEST_STOP_AFTER_FILES)")]
    Stopped(u64),
}

fn io_error(path: &Path) -> impl FnOnce(std::io::Error) -> Error + '_ {
    move |error| Error::Io { path: path.to_path_buf(), error }
}

/// Every file write of a run, counted for the test hook.
struct Writer {
    stop_after: Option<u64>,
    written: AtomicU64,
}

impl Writer {
    /// Writes unless `path` already holds `bytes`; returns whether it wrote.
    fn write(&self, path: &Path, bytes: &[u8]) -> Result<bool, Error> {
        self.write_with(path, bytes, false)
    }

    fn write_with(&self, path: &Path, bytes: &[u8], remove_first: bool) -> Result<bool, Error> {
        let same = crate::files::read(path, bytes.len() as u64, Links::Refuse).is_ok_and(|old| old == bytes);
        if same {
            return Ok(false);
        }
        // What a kill in the middle of this write leaves: a temporary file.
        self.count(&output::temporary_path(path), bytes)?;
        if remove_first {
            remove(path)?;
        }
        super::write_atomic(path, bytes).map_err(io_error(path))?;
        Ok(true)
    }

    /// Counts a write for the test hook; `Err(Stopped)` (after leaving at
    /// `path` what a kill in the middle of writing `bytes` would) when the
    /// hook says to stop.
    fn count(&self, path: &Path, bytes: &[u8]) -> Result<(), Error> {
        if let Some(limit) = self.stop_after {
            if self.written.fetch_add(1, Ordering::SeqCst) >= limit {
                let half = bytes.get(..bytes.len() / 2).unwrap_or_default();
                let _ = std::fs::write(path, half);
                return Err(Error::Stopped(limit));
            }
        }
        Ok(())
    }

    /// Writes a file known not to exist yet, atomically (through a
    /// temporary file), without comparing or removing first.
    fn write_new(&self, path: &Path, bytes: &[u8]) -> Result<bool, Error> {
        self.count(&output::temporary_path(path), bytes)?;
        super::write_atomic(path, bytes).map_err(io_error(path))?;
        Ok(true)
    }

    /// Creates `path`, a new file in a temporary folder that is renamed
    /// into place whole (so the file itself needs no temporary file).
    fn create(&self, path: &Path, bytes: &[u8]) -> Result<(), Error> {
        self.count(path, bytes)?;
        std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(path)
            .and_then(|mut f| f.write_all(bytes))
            .map_err(io_error(path))
    }

    /// [`Writer::write`] for a token's file (metadata, image): an old file
    /// is removed before the new one is renamed into place. On ext4, a
    /// rename over an existing file forces the new data to disk first
    /// (`auto_da_alloc`), which made rewriting 20,000 metadata files 25 times
    /// slower; a kill in between leaves the file missing, which the records
    /// still name, so the next run writes it again.
    fn write_token_file(&self, path: &Path, bytes: &[u8]) -> Result<bool, Error> {
        self.write_with(path, bytes, true)
    }

    /// [`Writer::write_token_file`] of a file known to hold other bytes:
    /// removes it and writes the new one atomically, without reading it.
    fn replace_token_file(&self, path: &Path, bytes: &[u8]) -> Result<(), Error> {
        self.count(&output::temporary_path(path), bytes)?;
        remove(path)?;
        super::write_atomic(path, bytes).map_err(io_error(path))
    }
}

/// The advisory lock on a folder, released (and its file removed) on drop.
struct Lock {
    path: PathBuf,
    file: Option<std::fs::File>,
    remove: bool,
}

impl Drop for Lock {
    fn drop(&mut self) {
        if self.remove {
            // Removed while still held: a run that opened it meanwhile sees
            // another file at the path once it gets the lock, and retries.
            let _ = std::fs::remove_file(&self.path);
        }
        drop(self.file.take());
    }
}

/// Whether the open `file` is the file at `path` (not one removed since).
fn is_at(file: &std::fs::File, path: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        match (file.metadata(), std::fs::metadata(path)) {
            (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
            _ => false,
        }
    }
    #[cfg(not(unix))]
    {
        let _ = (file, path);
        true
    }
}

fn lock(dir: &Path) -> Result<Lock, Error> {
    let path = dir.join(output::LOCK);
    loop {
        let mut file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(io_error(&path))?;
        if !fs4::fs_std::FileExt::try_lock_exclusive(&file).map_err(io_error(&path))? {
            let pid = crate::files::read(&path, 64, Links::Refuse)
                .ok()
                .and_then(|b| String::from_utf8(b).ok())
                .and_then(|s| s.trim().parse().ok());
            return Err(Error::Busy { dir: dir.to_path_buf(), pid });
        }
        if !is_at(&file, &path) {
            continue;
        }
        file.set_len(0).and_then(|()| writeln!(file, "{}", std::process::id())).map_err(io_error(&path))?;
        return Ok(Lock { path, file: Some(file), remove: true });
    }
}

/// Why `dir` must not be written without `--force`: it holds another
/// collection, a folder written by a later dropc, or files no dropc run
/// wrote. An empty folder (dropc's leftovers aside) or one with this
/// collection is fine: runs are repeatable and overwrite their own output.
fn foreign(layout: &Layout, collection: &str) -> Option<String> {
    let entries = std::fs::read_dir(layout.dir()).ok()?;
    let mut any = false;
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if !(output::is_temporary(&name) || name == output::LOCK || name == output::JOURNAL) {
            any = true;
        }
    }
    if !any {
        return None;
    }
    match output::read_record::<CollectionRecord>(&layout.file(output::COLLECTION)) {
        Ok(r) if r.format_version > output::FORMAT_VERSION => Some(format!(
            "was written by a later dropc ({}, folder format {}), which this one ({}, format {}) cannot read",
            r.dropc_version,
            r.format_version,
            env!("CARGO_PKG_VERSION"),
            output::FORMAT_VERSION
        )),
        Ok(r) if r.collection == collection => None,
        Ok(r) => Some(format!("holds another collection, `{}`", r.collection)),
        Err(ReadError::Missing) => Some("is not empty and holds no dropc collection".to_string()),
        Err(ReadError::Invalid(_)) => Some("holds a `collection.json` dropc did not write".to_string()),
        Err(ReadError::Io(e)) => Some(format!("holds a `collection.json` that {e}")),
    }
}

/// What the records of earlier runs say dropc wrote into the folder.
struct Previous {
    /// Token ids of `tokens.json`, the manifest and the journal.
    ids: BTreeSet<u64>,
    /// Extra sizes of `collection.json`, the manifest, the journal, and
    /// every folder under `images/` named like one.
    sizes: BTreeSet<(u32, u32)>,
}

impl Previous {
    fn read(layout: &Layout) -> Previous {
        let mut ids = BTreeSet::new();
        let mut sizes = BTreeSet::new();
        if let Ok(bytes) = crate::files::read(&layout.file(output::TOKENS), output::RECORD_LIMIT, Links::Refuse) {
            if let Ok(record) = TokensRecord::parse(&bytes) {
                ids.extend(record.tokens.iter().map(|(id, _)| *id));
            }
        }
        if let Ok(record) = output::read_record::<CollectionRecord>(&layout.file(output::COLLECTION)) {
            sizes.extend(record.size_list());
        }
        let mut entries: Vec<(u64, ManifestEntry)> = Vec::new();
        if let Ok(manifest) = output::read_record::<Manifest>(&layout.file(output::MANIFEST)) {
            entries.extend(manifest.tokens);
        }
        if let Ok(journal) = crate::files::read(&layout.file(output::JOURNAL), output::RECORD_LIMIT, Links::Refuse) {
            entries.extend(JournalLine::parse_all(&journal).into_iter().map(|l| (l.id, l.entry)));
        }
        for (id, entry) in entries {
            ids.insert(id);
            sizes.extend(entry.sizes.keys().filter_map(|s| output::parse_size_folder(s)));
        }
        if let Ok(folders) = std::fs::read_dir(layout.images()) {
            for folder in folders.flatten() {
                if folder.file_type().is_ok_and(|t| t.is_dir()) {
                    sizes.extend(output::parse_size_folder(&folder.file_name().to_string_lossy()));
                }
            }
        }
        Previous { ids, sizes }
    }
}

/// Removes a file; `Ok(false)` when there was none.
fn remove(path: &Path) -> Result<bool, Error> {
    match std::fs::remove_file(path) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(error) => Err(Error::Io { path: path.to_path_buf(), error }),
    }
}

/// Step 3 of the module documentation: removes what earlier runs wrote and
/// this one does not. Returns how many files went.
fn remove_stale(
    layout: &Layout,
    previous: &Previous,
    ids: &BTreeSet<u64>,
    sizes: &[(u32, u32)],
    images: bool,
    progress: &dyn Progress,
) -> Result<usize, Error> {
    let gone: Vec<u64> = previous.ids.difference(ids).copied().collect();
    let known: Vec<u64> = previous.ids.union(ids).copied().collect();
    let mut files: Vec<PathBuf> = gone.iter().map(|&id| layout.metadata(id)).collect();
    let canvas_ids = if images { &gone } else { &known };
    files.extend(canvas_ids.iter().map(|&id| layout.image(id, None)));
    let mut folders: Vec<PathBuf> = Vec::new();
    for &size in &previous.sizes {
        let kept = images && sizes.contains(&size);
        let stale = if kept { &gone } else { &known };
        files.extend(stale.iter().map(|&id| layout.image(id, Some(size))));
        if !kept {
            folders.push(layout.image_folder(Some(size)));
        }
    }
    if !images {
        folders.push(layout.images());
    }
    // A folder that is not there holds nothing to remove: its files are not
    // looked for one by one (a `--no-images` run of 20,000 tokens into a new
    // folder made 20,000 failed unlinks of images).
    let mut absent: Vec<(PathBuf, bool)> = Vec::new();
    files.retain(|path| {
        let Some(parent) = path.parent() else { return true };
        if let Some((_, gone)) = absent.iter().find(|(folder, _)| folder == parent) {
            return !gone;
        }
        let gone = matches!(std::fs::symlink_metadata(parent), Err(e) if e.kind() == std::io::ErrorKind::NotFound);
        absent.push((parent.to_path_buf(), gone));
        !gone
    });
    progress.start(Step::Clean, files.len() as u64);
    let removed = AtomicUsize::new(0);
    files.par_chunks(256).try_for_each(|chunk| {
        for path in chunk {
            if remove(path)? {
                removed.fetch_add(1, Ordering::Relaxed);
            }
        }
        progress.advance(chunk.len() as u64);
        Ok::<(), Error>(())
    })?;
    progress.finish();
    let mut removed = removed.into_inner();
    // A folder is removed only when empty: files dropc did not write stay.
    for folder in folders {
        let _ = std::fs::remove_dir(folder);
    }
    if !images {
        // The image records go last: until then they name the images.
        for name in [output::PROVENANCE, output::MANIFEST, output::JOURNAL] {
            removed += usize::from(remove(&layout.file(name))?);
        }
    }
    Ok(removed)
}

/// `dropc run` after checking: samples `model` with its seed, then runs the
/// pipeline ([`run`]) on the current rayon pool. Returns the tokens with
/// what the run did.
pub fn publish(model: &Model, options: &Options, progress: &dyn Progress) -> Result<(Tokens, Summary), Error> {
    let tokens = crate::sample::sample(model, &model.settings.seed).map_err(Error::Sample)?;
    let summary = run(model, &tokens, options, progress)?;
    Ok((tokens, summary))
}

/// Runs the pipeline of the module documentation for `tokens` of `model`
/// on the current rayon pool.
pub fn run(model: &Model, tokens: &Tokens, options: &Options, progress: &dyn Progress) -> Result<Summary, Error> {
    let layout = Layout::new(&options.dir);
    std::fs::create_dir_all(layout.dir()).map_err(io_error(layout.dir()))?;
    let mut lock = lock(layout.dir())?;
    let result = run_locked(model, tokens, options, &layout, progress);
    // A stopped run leaves everything as a kill would (the lock file too).
    lock.remove = !matches!(result, Err(Error::Stopped(_)));
    result
}

fn run_locked(
    model: &Model,
    tokens: &Tokens,
    options: &Options,
    layout: &Layout,
    progress: &dyn Progress,
) -> Result<Summary, Error> {
    let settings = &model.settings;
    if !options.force {
        if let Some(why) = foreign(layout, &settings.name) {
            return Err(Error::Foreign { dir: layout.dir().to_path_buf(), why });
        }
    }
    super::manifest::remove_leftovers(layout.dir());
    let writer = Writer { stop_after: options.stop_after_files, written: AtomicU64::new(0) };
    let mut summary = Summary { tokens: tokens.len(), ..Summary::default() };

    let all: Vec<Token<'_>> = tokens.iter().collect();
    let ids: BTreeSet<u64> = all.iter().map(|t| t.id()).collect();
    let previous = Previous::read(layout);
    summary.removed = remove_stale(layout, &previous, &ids, &settings.sizes, options.images, progress)?;

    // Every art file is read once: its hash goes into the summary and into
    // each token's key (files that cannot be read are left out; rendering
    // reports them).
    let art: Vec<(PathBuf, Vec<u8>)> = super::provenance::art_paths(model)
        .into_iter()
        .filter_map(|p| {
            let full = crate::model::paths::resolve_inside(&options.root, &p).ok()?;
            crate::files::read(&full, crate::files::ART_LIMIT, Links::Follow).ok().map(|bytes| (p, bytes))
        })
        .collect();
    let art_hashes = super::manifest::art_hashes(&art);
    let source_path = std::fs::canonicalize(layout.dir())
        .ok()
        .zip(std::fs::canonicalize(&options.drop_file).ok())
        .map(|(d, f)| super::provenance::relative_path(&d, &f));
    let seed = &settings.seed;
    let record = super::provenance::summary(
        model,
        tokens,
        seed,
        (source_path.as_deref(), &options.source),
        &art,
        options.images,
    );
    drop(art);
    writer.write(&layout.file(output::COLLECTION), &record.to_json())?;
    writer.write(&layout.file(output::TOKENS), &TokensRecord::of(model, tokens, seed).to_json())?;
    writer.write(&layout.file(output::RARITY), &super::rarity::rarity_json(model, tokens))?;

    progress.start(Step::Metadata, all.len() as u64);
    summary.metadata_written = write_metadata(model, &all, layout, &writer, progress)?;
    progress.finish();

    if options.images {
        let images = Images {
            model,
            layout,
            root: &options.root,
            writer: &writer,
            progress,
            translucent: std::sync::atomic::AtomicUsize::new(0),
        };
        images.run(&all, &art_hashes, &mut summary)?;
        summary.translucent = images.translucent.into_inner();
    }
    let _ = remove(&layout.file(output::JOURNAL));
    Ok(summary)
}

/// Writes `metadata/<id>.json` of every token; returns how many files
/// were written (the others already held their bytes).
///
/// Into a folder that does not exist yet (a first run, or one whose
/// metadata folder was removed), every file is written
/// straight into a temporary folder beside it, which is then renamed into
/// place: the folder appears whole or not at all, and each file costs one
/// creation instead of a creation and a rename (half the directory updates
/// of an atomic write; a kill leaves the temporary folder, which the next
/// run removes). Into an existing folder, a file is compared first and
/// written atomically only when its bytes change; the folder is listed once,
/// so that a file not there yet is written without looking for it.
///
/// The rayon pool serialises (and compares) the tokens in batches, in id
/// order; one thread of its own makes every change to the folder, batch
/// after batch as they come, so files are created in id order. The kernel
/// changes a folder under its lock, one file at a time whatever the number
/// of threads: more writers only wait on each other (a third of the
/// kernel's time, with two).
fn write_metadata(
    model: &Model,
    all: &[Token<'_>],
    layout: &Layout,
    writer: &Writer,
    progress: &dyn Progress,
) -> Result<usize, Error> {
    let folder = layout.metadata_folder();
    let absent = match std::fs::symlink_metadata(&folder) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => true,
        Err(error) => return Err(Error::Io { path: folder, error }),
        // An empty folder (a run stopped before its first file) is as good
        // as none.
        Ok(m) if m.is_dir() => std::fs::remove_dir(&folder).is_ok(),
        Ok(_) => false,
    };
    if absent {
        let staging = output::temporary_path(&folder);
        let _ = std::fs::remove_dir_all(&staging);
        std::fs::create_dir(&staging).map_err(io_error(&staging))?;
        let result = write_in_order(
            model,
            all,
            progress,
            |_| Some(Change::Create),
            |id, _, bytes| writer.create(&staging.join(output::metadata_name(id)), bytes),
        );
        let result = result.and_then(|_| std::fs::rename(&staging, &folder).map_err(io_error(&folder)));
        if let Err(e) = result {
            if !matches!(e, Error::Stopped(_)) {
                let _ = std::fs::remove_dir_all(&staging);
            }
            return Err(e);
        }
        return Ok(all.len());
    }
    std::fs::create_dir_all(&folder).map_err(io_error(&folder))?;
    let present: std::collections::HashSet<std::ffi::OsString> =
        std::fs::read_dir(&folder).map_err(io_error(&folder))?.filter_map(|e| e.ok().map(|e| e.file_name())).collect();
    write_in_order(
        model,
        all,
        progress,
        |(id, bytes)| {
            let name = output::metadata_name(id);
            if !present.contains(std::ffi::OsStr::new(&name)) {
                return Some(Change::Create);
            }
            let path = folder.join(name);
            let same = crate::files::read(&path, bytes.len() as u64, Links::Refuse).is_ok_and(|old| old == bytes);
            (!same).then_some(Change::Replace)
        },
        |id, change, bytes| {
            let path = layout.metadata(id);
            match change {
                Change::Create => writer.write_new(&path, bytes).map(drop),
                Change::Replace => writer.replace_token_file(&path, bytes),
            }
        },
    )
}

/// What [`write_in_order`] does with a file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Change {
    /// Create it: there is none.
    Create,
    /// Replace the file there, which holds other bytes.
    Replace,
}

/// Serialises the metadata of `all` on the current rayon pool, in batches
/// in id order, asking `change` (on the pool) what each file needs, and
/// hands every change to `apply`, called on one thread of its own in id
/// order. Returns how many files were changed.
fn write_in_order(
    model: &Model,
    all: &[Token<'_>],
    progress: &dyn Progress,
    change: impl Fn((u64, &[u8])) -> Option<Change> + Sync,
    apply: impl Fn(u64, Change, &[u8]) -> Result<(), Error> + Send,
) -> Result<usize, Error> {
    /// Tokens per batch: enough to keep the pool busy while the writer
    /// works through the batch before.
    const BATCH: usize = 256;
    type Batch = Vec<(u64, Change, Vec<u8>)>;
    let (send, receive) = std::sync::mpsc::sync_channel::<(usize, Batch)>(2);
    std::thread::scope(|scope| {
        let applier = scope.spawn(move || -> Result<usize, Error> {
            let mut changed = 0;
            for (tokens, batch) in receive {
                for (id, change, bytes) in &batch {
                    apply(*id, *change, bytes)?;
                }
                changed += batch.len();
                progress.advance(tokens as u64);
            }
            Ok(changed)
        });
        for chunk in all.chunks(BATCH) {
            let batch: Batch = chunk
                .par_iter()
                .filter_map(|&token| {
                    let mut bytes = Vec::with_capacity(1024);
                    super::write_metadata_json(model, token, &mut bytes);
                    let change = change((token.id(), &bytes))?;
                    Some((token.id(), change, bytes))
                })
                .collect();
            if send.send((chunk.len(), batch)).is_err() {
                // The writer stopped on an error, which it returns.
                break;
            }
        }
        drop(send);
        applier.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    })
}

/// What a token's images need.
#[derive(Clone, Debug)]
enum Plan {
    /// Every image verified: nothing to do.
    Reuse(ManifestEntry),
    /// The canvas image verified; these extra sizes are derived from it.
    Derive(ManifestEntry, Vec<(u32, u32)>),
    /// Render everything.
    Render,
}

/// Step 5 of the module documentation.
struct Images<'a> {
    model: &'a Model,
    layout: &'a Layout,
    root: &'a Path,
    writer: &'a Writer,
    progress: &'a dyn Progress,
    /// Generated tokens rendered so far whose image is not fully opaque.
    translucent: std::sync::atomic::AtomicUsize,
}

impl Images<'_> {
    fn run(&self, all: &[Token<'_>], art: &BTreeMap<PathBuf, String>, summary: &mut Summary) -> Result<(), Error> {
        let settings = &self.model.settings;
        let layout = self.layout;
        for size in std::iter::once(None).chain(settings.sizes.iter().copied().map(Some)) {
            let folder = layout.image_folder(size);
            std::fs::create_dir_all(&folder).map_err(io_error(&folder))?;
        }
        let previous = super::manifest::load(layout.dir());
        let keys: Vec<String> = all.par_iter().map(|&t| token_key(self.model, t, art)).collect();

        // What can be reused, verified by hash.
        let candidates =
            all.iter().zip(&keys).filter(|(t, k)| previous.tokens.get(&t.id()).is_some_and(|e| e.key == **k));
        self.progress.start(Step::Verify, candidates.count() as u64);
        let plans: Vec<Plan> = all
            .par_iter()
            .zip(&keys)
            .map(|(token, key)| {
                let Some(entry) = previous.tokens.get(&token.id()).filter(|e| e.key == *key) else {
                    return Plan::Render;
                };
                let plan = self.plan(token.id(), key, entry);
                self.progress.advance(1);
                plan
            })
            .collect();
        self.progress.finish();

        let to_render: Vec<usize> = (0..all.len()).filter(|&i| matches!(plans[i], Plan::Render)).collect();
        let to_derive: Vec<usize> = (0..all.len()).filter(|&i| matches!(plans[i], Plan::Derive(..))).collect();
        summary.rendered = to_render.len();
        summary.derived = to_derive.len();
        summary.reused = all.len() - to_render.len() - to_derive.len();
        summary.images = all.len() * (1 + settings.sizes.len());

        let journal_path = layout.file(output::JOURNAL);
        let journal = if to_render.is_empty() && to_derive.is_empty() {
            None
        } else {
            let file = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&journal_path)
                .map_err(io_error(&journal_path))?;
            Some(Mutex::new(file))
        };
        let record = |id: u64, entry: &ManifestEntry| -> Result<(), Error> {
            let Some(journal) = &journal else { return Ok(()) };
            let line = JournalLine { dropc_version: env!("CARGO_PKG_VERSION").to_string(), id, entry: entry.clone() };
            let mut file = journal.lock().map_err(|_| Error::Io {
                path: journal_path.clone(),
                error: std::io::Error::other("a thread failed while writing the journal"),
            })?;
            file.write_all(&line.to_line()).map_err(io_error(&journal_path))
        };

        self.progress.start(Step::Images, (to_render.len() + to_derive.len()) as u64);
        // Decoding the art is the expensive part of a run that changed little.
        let renderer =
            if to_render.is_empty() { None } else { Some(Renderer::new(self.model, self.root).map_err(Error::Art)?) };
        let mut fresh: Vec<(usize, ManifestEntry)> = Vec::new();
        if let Some(renderer) = &renderer {
            // Sorted by the layers they draw (bottom first), legendaries
            // last: each thread renders a contiguous run of them in order,
            // so consecutive tokens share their lower layers, whose pixels
            // are then still in cache. Every token is a task of its own
            // (`with_max_len(1)`): a thread that runs out steals the second
            // half of what another has left, down to a single token, so the
            // threads finish within about one image of each other (chunks of
            // 32 tokens left one core idle for up to 32 images at the end).
            // The bytes of each image do not depend on this order.
            let mut todo: Vec<((bool, Vec<usize>), usize)> = to_render
                .iter()
                .map(|&i| {
                    let key = match all[i] {
                        Token::Generated { variants, .. } => {
                            let variants: Vec<usize> = variants.iter().map(|&v| v as usize).collect();
                            (false, renderer.draw_order(&variants).unwrap_or_default())
                        }
                        Token::Legendary { index, .. } => (true, vec![index]),
                    };
                    (key, i)
                })
                .collect();
            todo.sort_unstable();
            let (keys, record) = (&keys, &record);
            let rendered: Vec<(usize, ManifestEntry)> = todo
                .par_iter()
                .with_max_len(1)
                .map(|&(_, i)| {
                    // A fresh canvas only if this thread is already rendering
                    // (a nested task stolen while it waits; nothing does so now).
                    let entry = CANVAS.with(|canvas| match canvas.try_borrow_mut() {
                        Ok(mut image) => self.render(renderer, all[i], &keys[i], &mut image),
                        Err(_) => self.render(renderer, all[i], &keys[i], &mut Image::new(0, 0)),
                    })?;
                    record(all[i].id(), &entry)?;
                    self.progress.advance(1);
                    Ok((i, entry))
                })
                .collect::<Result<_, Error>>()?;
            fresh.extend(rendered);
        }
        let derived: Vec<(usize, ManifestEntry)> = to_derive
            .par_iter()
            .map(|&i| {
                let Plan::Derive(entry, sizes) = &plans[i] else {
                    return Err(Error::Art(RenderError::Token("no plan to derive".into())));
                };
                let entry = self.derive(all[i].id(), entry, sizes)?;
                record(all[i].id(), &entry)?;
                self.progress.advance(1);
                Ok((i, entry))
            })
            .collect::<Result<_, Error>>()?;
        fresh.extend(derived);
        self.progress.finish();

        let mut entries: Vec<Option<ManifestEntry>> =
            plans.into_iter().map(|p| if let Plan::Reuse(e) = p { Some(e) } else { None }).collect();
        for (i, entry) in fresh {
            entries[i] = Some(entry);
        }
        let mut manifest = Manifest { dropc_version: env!("CARGO_PKG_VERSION").to_string(), tokens: BTreeMap::new() };
        let mut digests: Vec<(u64, Sha256Digest)> = Vec::with_capacity(all.len());
        for (token, entry) in all.iter().zip(entries) {
            let entry = entry
                .ok_or_else(|| Error::Art(RenderError::Token(format!("token {} was not rendered", token.id()))))?;
            digests.push((token.id(), digest_from_hex(&entry.sha256)));
            manifest.tokens.insert(token.id(), entry);
        }
        let provenance = super::provenance::provenance_json_from_digests(&digests);
        self.writer.write(&layout.file(output::PROVENANCE), &provenance)?;
        self.writer.write(&layout.file(output::MANIFEST), &manifest.to_json())?;
        Ok(())
    }

    /// Which of a token's recorded images still hash to their record.
    fn plan(&self, id: u64, key: &str, entry: &ManifestEntry) -> Plan {
        let verified = |path: PathBuf, sha: &str| sha256_file(&path).is_ok_and(|d| hex(&d) == sha);
        if !verified(self.layout.image(id, None), &entry.sha256) {
            return Plan::Render;
        }
        let mut kept = ManifestEntry { key: entry.key.clone(), sha256: entry.sha256.clone(), sizes: BTreeMap::new() };
        let mut missing = Vec::new();
        for &size in &self.model.settings.sizes {
            let name = output::size_folder(size);
            let want = size_key(self.model, key, size);
            match entry.sizes.get(&name) {
                Some(s) if s.key == want && verified(self.layout.image(id, Some(size)), &s.sha256) => {
                    kept.sizes.insert(name, s.clone());
                }
                _ => missing.push(size),
            }
        }
        if missing.is_empty() { Plan::Reuse(kept) } else { Plan::Derive(kept, missing) }
    }

    /// Renders a token and writes its images.
    fn render(
        &self,
        renderer: &Renderer,
        token: Token<'_>,
        key: &str,
        image: &mut Image,
    ) -> Result<ManifestEntry, Error> {
        match token {
            Token::Generated { variants, .. } => {
                let variants: Vec<usize> = variants.iter().map(|&v| v as usize).collect();
                renderer.render_into(&variants, image).map(|()| {
                    if !crate::png::opaque(image.as_raw()) {
                        self.translucent.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    }
                })
            }
            Token::Legendary { index, .. } => renderer.render_legendary(index).map(|l| *image = l),
        }
        .map_err(Error::Art)?;
        let png = crate::render::encode_png(image, self.model.settings.compression).map_err(Error::Art)?;
        let sha256 = hex(&sha256(&png));
        self.writer.write_token_file(&self.layout.image(token.id(), None), &png)?;
        let mut entry = ManifestEntry { key: key.to_string(), sha256, sizes: BTreeMap::new() };
        self.sizes(token.id(), image, &self.model.settings.sizes, &mut entry)?;
        Ok(entry)
    }

    /// Derives the extra sizes `sizes` of a token from its verified canvas
    /// image on disk (which decodes to the pixels it was encoded from).
    fn derive(&self, id: u64, entry: &ManifestEntry, sizes: &[(u32, u32)]) -> Result<ManifestEntry, Error> {
        let path = self.layout.image(id, None);
        let bytes = crate::files::read(&path, crate::files::ART_LIMIT, Links::Refuse)
            .map_err(|e| Error::Io { path: path.clone(), error: std::io::Error::other(e.phrase()) })?;
        let decoded = crate::png::decode_bytes(&bytes)
            .map_err(|why| Error::Art(RenderError::Encode(format!("`{}` {why}", path.display()))))?;
        let image = Image::from_raw(decoded.width, decoded.height, decoded.rgba)
            .ok_or_else(|| Error::Art(RenderError::Encode(format!("`{}` has the wrong length", path.display()))))?;
        let mut entry = entry.clone();
        self.sizes(id, &image, sizes, &mut entry)?;
        Ok(entry)
    }

    /// Writes the extra sizes `sizes` of `image` and records them.
    fn sizes(&self, id: u64, image: &Image, sizes: &[(u32, u32)], entry: &mut ManifestEntry) -> Result<(), Error> {
        let settings = &self.model.settings;
        for &size in sizes {
            let resized = crate::render::resize(image, size, settings.resize);
            let png = crate::render::encode_png(&resized, settings.compression).map_err(Error::Art)?;
            self.writer.write_token_file(&self.layout.image(id, Some(size)), &png)?;
            let key = size_key(self.model, &entry.key, size);
            entry.sizes.insert(output::size_folder(size), SizedImage { key, sha256: hex(&sha256(&png)) });
        }
        Ok(())
    }
}

/// A SHA-256 digest from its lowercase hex form (as the manifest stores it).
fn digest_from_hex(hex: &str) -> Sha256Digest {
    let mut out = [0u8; 32];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = hex.get(2 * i..2 * i + 2).and_then(|h| u8::from_str_radix(h, 16).ok()).unwrap_or(0);
    }
    out
}
