//! `dropc run` keeps its output folder a record to trust: after any edit,
//! any kill, any sequence of runs, the folder is byte for byte what a clean
//! run gives; a rerun after a kill reuses what was finished; stale files go;
//! dropc's own leftovers never block it; one run per folder.
//!
//! Most tests drive the library's pipeline ([`dropc::publish::run`]) on a
//! small generated project, stopping it with the test hook (as a kill would,
//! after exactly N files); the others run the executable and kill it with
//! SIGKILL at measured points, asserting that the kill landed mid-run.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::Command;

use dropc::publish::run::{Error, Options, Progress, Silent, Step, Summary};

/// A generated project: `t.drop` and its art, in a fresh temporary folder
/// (removed when dropped, even if the test panics).
struct Project {
    base: PathBuf,
    _dir: tempfile::TempDir,
}

const TRAITS: [(&str, &[&str]); 4] =
    [("Background", &["A", "B", "C"]), ("Body", &["X", "Y", "Z"]), ("Eyes", &["E", "F", "G"]), ("Hat", &["P", "Q"])];

impl Project {
    fn new(name: &str, canvas: u32) -> Project {
        let dir = tempfile::Builder::new().prefix(&format!("dropc-run-{name}-")).tempdir().unwrap();
        let p = Project { base: dir.path().to_path_buf(), _dir: dir };
        for (t, (name, variants)) in TRAITS.iter().enumerate() {
            for (v, variant) in variants.iter().enumerate() {
                p.draw(name, variant, canvas, (t * 7 + v * 3 + 1) as u32);
            }
        }
        p.settings(12, "", "fast");
        p
    }

    /// Art with noise (so that encoding is real work) and a seed-dependent
    /// colour; the background covers the canvas, the body its middle third,
    /// the eyes its left third, the hat its top third.
    fn draw(&self, trait_name: &str, variant: &str, canvas: u32, seed: u32) {
        let path = self.base.join("layers").join(trait_name).join(format!("{variant}.png"));
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        let mut state = seed.wrapping_mul(2_654_435_761).max(1);
        let image = image::RgbaImage::from_fn(canvas, canvas, |x, y| {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            let [a, b, c, _] = state.to_le_bytes();
            let third = canvas / 3;
            let shown = match trait_name {
                "Hat" => y < third,
                "Eyes" => x < third,
                "Body" => (third..2 * third).contains(&y),
                _ => true,
            };
            let alpha = if shown { 255 } else { 0 };
            let tint = |k: u32| (seed.wrapping_mul(k) % 192) as u8;
            image::Rgba([a / 4 + tint(40), b / 4 + tint(90), c / 4, alpha])
        });
        image.save(&path).unwrap();
    }

    fn settings(&self, size: u32, sizes: &str, compression: &str) {
        let mut text = format!(
            "collection \"T\" {{\n    size {size}\n    seed \"t\"\n    canvas {0} x {0}\n",
            image::image_dimensions(self.base.join("layers/Body/X.png")).unwrap().0
        );
        if !sizes.is_empty() {
            text.push_str(&format!("    sizes {sizes}\n"));
        }
        text.push_str(&format!(
            "    compression {compression}\n    name \"T #{{id}}\"\n    description \"d\"\n    image \"ipfs://x/{{id}}.png\"\n}}\n"
        ));
        for (name, variants) in TRAITS {
            let list: Vec<String> = variants.iter().map(|v| format!("{v}: 1")).collect();
            text.push_str(&format!("trait {name} < {} >\n", list.join(", ")));
        }
        std::fs::write(self.drop_file(), text).unwrap();
    }

    fn drop_file(&self) -> PathBuf {
        self.base.join("t.drop")
    }

    fn out(&self, name: &str) -> PathBuf {
        self.base.join(name)
    }

    fn model(&self) -> (dropc::Model, dropc::Tokens, String) {
        let text = std::fs::read_to_string(self.drop_file()).unwrap();
        let checked = dropc::check_text(&text, &dropc::check::DiskArt { root: self.base.clone() });
        assert!(!checked.has_errors(), "{:?}", checked.diagnostics);
        let model = checked.model.unwrap();
        let tokens = dropc::sample(&model, &model.settings.seed).unwrap();
        (model, tokens, text)
    }

    /// Runs the pipeline into `out`, stopped after `stop` files if given.
    fn run_with(&self, out: &Path, images: bool, stop: Option<u64>, progress: &dyn Progress) -> Result<Summary, Error> {
        let (model, tokens, text) = self.model();
        let options = Options {
            dir: out.to_path_buf(),
            root: self.base.clone(),
            drop_file: self.drop_file(),
            source: text.into_bytes(),
            images,
            force: false,
            stop_after_files: stop,
        };
        dropc::publish::run::run(&model, &tokens, &options, progress)
    }

    fn run(&self, out: &Path) -> Summary {
        self.run_with(out, true, None, &Silent).unwrap()
    }

    fn stopped(&self, out: &Path, after: u64) {
        match self.run_with(out, true, Some(after), &Silent) {
            Err(Error::Stopped(n)) => assert_eq!(n, after),
            other => panic!("expected the run to stop after {after} files: {other:?}"),
        }
    }

    /// A clean run of the current inputs into a fresh folder.
    fn reference(&self) -> Vec<(String, Vec<u8>)> {
        let dir = self.out("reference");
        let _ = std::fs::remove_dir_all(&dir);
        self.run(&dir);
        snapshot(&dir)
    }
}

/// Every file below `dir` with its bytes, by relative path (hidden files
/// and folders included; `report` aside, which `dropc qa` writes).
fn snapshot(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap().flatten() {
            let p = entry.path();
            let name = p.strip_prefix(dir).unwrap().display().to_string();
            if p.is_dir() {
                out.push((format!("{name}/"), Vec::new()));
                stack.push(p);
            } else {
                out.push((name, std::fs::read(&p).unwrap()));
            }
        }
    }
    out.sort();
    out
}

fn assert_same(got: &[(String, Vec<u8>)], want: &[(String, Vec<u8>)], when: &str) {
    let names = |s: &[(String, Vec<u8>)]| s.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>();
    assert_eq!(names(got), names(want), "{when}: the same files as a clean run, no leftovers");
    for ((name, a), (_, b)) in got.iter().zip(want) {
        assert!(a == b, "{when}: `{name}` differs from a clean run's");
    }
}

fn dropc(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_dropc")).args(args).output().expect("dropc runs")
}

/// Files a run of `n` tokens with `sizes` extra sizes writes before its
/// first image: three records and the metadata.
fn before_images(n: u64) -> u64 {
    3 + n
}

#[test]
fn an_art_edit_redraws_only_the_tokens_that_use_it_and_unchanged_files_stay() {
    let p = Project::new("edit", 16);
    let out = p.out("out");
    let first = p.run(&out);
    assert_eq!((first.rendered, first.reused, first.metadata_written), (12, 0, 12));
    let before = snapshot(&out);
    let stamp = |name: &str| std::fs::metadata(out.join(name)).unwrap().modified().unwrap();
    let stamps: Vec<_> = ["collection.json", "tokens.json", "metadata/3.json", "images/3.png"].map(stamp).to_vec();

    // Nothing changed: nothing is rendered or rewritten.
    let again = p.run(&out);
    assert_eq!((again.rendered, again.derived, again.reused, again.metadata_written), (0, 0, 12, 0));
    assert_eq!(["collection.json", "tokens.json", "metadata/3.json", "images/3.png"].map(stamp).to_vec(), stamps);
    assert_same(&snapshot(&out), &before, "a rerun");

    // Redraw one hat: exactly the tokens wearing it are rendered again.
    let tokens: serde_json::Value = serde_json::from_slice(&std::fs::read(out.join("tokens.json")).unwrap()).unwrap();
    let wearing = tokens["tokens"].as_array().unwrap().iter().filter(|t| t["variants"][3] == "Q").count();
    assert!(wearing > 0 && wearing < 12);
    p.draw("Hat", "Q", 16, 99);
    let edited = p.run(&out);
    assert_eq!((edited.rendered, edited.reused), (wearing, 12 - wearing));
    assert_same(&snapshot(&out), &p.reference(), "after an art edit");
}

/// Issue: a rerun kept images that an interrupted run had overwritten.
/// A complete run with art A; art B and a run interrupted at many points
/// (and one that fails before its manifest); art A again: the folder must
/// be a clean run's with A.
#[test]
fn a_b_a_after_an_interrupted_run_gives_a_clean_run() {
    let p = Project::new("aba", 16);
    p.settings(12, "24", "fast");
    let a = p.reference();
    let out = p.out("out");
    let original = std::fs::read(p.base.join("layers/Body/X.png")).unwrap();
    // B's run writes `collection.json` (the art's hash changed), two images
    // per token with the body `X`, `provenance.json` and `manifest.json`:
    // stopped before each of its first files and near its end.
    let with_x = {
        let (model, tokens, _) = p.model();
        tokens.iter().filter(|t| matches!(t, dropc::sample::Token::Generated { variants, .. } if model.traits[1].variants[variants[1] as usize].name.as_ref() == "X")).count() as u64
    };
    assert!(with_x >= 2, "{with_x} tokens have the body X");
    for stop in [0, 1, 2, 3, 4, 1 + 2 * with_x - 1, 1 + 2 * with_x, 1 + 2 * with_x + 1] {
        let _ = std::fs::remove_dir_all(&out);
        p.run(&out);
        p.draw("Body", "X", 16, 77);
        p.stopped(&out, stop);
        std::fs::write(p.base.join("layers/Body/X.png"), &original).unwrap();
        let rerun = p.run(&out);
        // Every token with a B image (canvas or extra size) is rendered again.
        let b_images = stop.saturating_sub(1).min(2 * with_x);
        let rendered = rerun.rendered as u64;
        assert!(
            rendered >= b_images.div_ceil(2) && rendered <= b_images,
            "rendered {rendered} after {b_images} B images"
        );
        assert_same(&snapshot(&out), &a, &format!("A, B stopped after {stop} files, A"));
    }
    // B fails before its manifest: a folder named `provenance.json` is in
    // the way (the images are all B's by then).
    let _ = std::fs::remove_dir_all(&out);
    p.run(&out);
    p.draw("Body", "X", 16, 77);
    std::fs::remove_file(out.join("provenance.json")).unwrap();
    std::fs::create_dir(out.join("provenance.json")).unwrap();
    assert!(matches!(p.run_with(&out, true, None, &Silent), Err(Error::Io { .. })));
    std::fs::remove_dir(out.join("provenance.json")).unwrap();
    std::fs::write(p.base.join("layers/Body/X.png"), &original).unwrap();
    p.run(&out);
    assert_same(&snapshot(&out), &a, "A, B failed before its manifest, A");
}

/// A run stopped half way through its images: the rerun reuses what was
/// finished and renders at most 55 % of the tokens.
#[test]
fn a_rerun_after_a_stop_half_way_renders_at_most_55_percent() {
    let p = Project::new("resume", 16);
    p.settings(40, "", "fast");
    let reference = p.reference();
    let out = p.out("out");
    p.stopped(&out, before_images(40) + 20);
    assert!(!out.join("manifest.json").exists(), "stopped mid-run");
    let rerun = p.run(&out);
    assert!(rerun.rendered > 0, "the stop landed before the end");
    assert!(rerun.rendered * 100 <= 40 * 55, "rendered {} of 40 tokens again", rerun.rendered);
    assert_eq!(rerun.rendered + rerun.reused, 40);
    assert_same(&snapshot(&out), &reference, "after a stop half way");
}

/// Lowering `size` and removing an extra size removes their files (a stop
/// in the middle of it included), but never a file dropc did not write.
#[test]
fn stale_files_go_and_foreign_files_stay() {
    let p = Project::new("stale", 16);
    p.settings(12, "24", "fast");
    let out = p.out("out");
    p.run(&out);
    std::fs::write(out.join("images/notes.txt"), "mine").unwrap();
    p.settings(5, "", "fast");
    let mut want = p.reference();
    want.push(("images/notes.txt".to_string(), b"mine".to_vec()));
    want.sort();
    // Stopped while the new records are written, then finished.
    p.stopped(&out, 1);
    let summary = p.run(&out);
    assert_same(&snapshot(&out), &want, "size 12 with 24 x 24 lowered to 5 without sizes");
    assert!(summary.removed == 0, "the stopped run removed them already");

    // A foreign file in a removed size's folder keeps the folder.
    p.settings(5, "24", "fast");
    p.run(&out);
    std::fs::write(out.join("images/24x24/keep.txt"), "mine").unwrap();
    p.settings(5, "", "fast");
    assert_eq!(p.run(&out).removed, 5);
    assert!(out.join("images/24x24/keep.txt").is_file());
    assert_eq!(std::fs::read_dir(out.join("images/24x24")).unwrap().count(), 1);

    // `--no-images`: no images, no image records.
    let summary = p.run_with(&out, false, None, &Silent).unwrap();
    assert_eq!(summary.removed, 5 + 2);
    for gone in ["provenance.json", "manifest.json", "images/1.png"] {
        assert!(!out.join(gone).exists(), "{gone}");
    }
    assert!(out.join("images/notes.txt").is_file());
}

/// Adding an extra size renders nothing: it is derived from the canvas
/// images on disk, byte for byte what rendering gives.
#[test]
fn a_new_extra_size_is_derived_from_the_canvas_image() {
    let p = Project::new("derive", 16);
    let out = p.out("out");
    p.run(&out);
    p.settings(12, "24, 8", "fast");
    let summary = p.run(&out);
    assert_eq!((summary.rendered, summary.derived, summary.reused), (0, 12, 0));
    assert_same(&snapshot(&out), &p.reference(), "a size added");
    // A tampered extra-size image is derived again.
    std::fs::write(out.join("images/8x8/3.png"), b"not a png").unwrap();
    let summary = p.run(&out);
    assert_eq!((summary.rendered, summary.derived, summary.reused), (0, 1, 11));
    assert_same(&snapshot(&out), &p.reference(), "a size tampered with");
}

/// Every long step reports progress, `--no-images` too.
#[test]
fn every_long_step_reports_progress() {
    #[derive(Default)]
    struct Record(std::sync::Mutex<Vec<(Step, u64, u64)>>);
    impl Progress for Record {
        fn start(&self, step: Step, total: u64) {
            self.0.lock().unwrap().push((step, total, 0));
        }
        fn advance(&self, n: u64) {
            if let Some(last) = self.0.lock().unwrap().last_mut() {
                last.2 += n;
            }
        }
        fn finish(&self) {}
    }
    let p = Project::new("progress", 16);
    let out = p.out("out");
    let record = Record::default();
    p.run_with(&out, false, None, &record).unwrap();
    assert!(record.0.lock().unwrap().contains(&(Step::Metadata, 12, 12)), "{:?}", record.0.lock().unwrap());
    let record = Record::default();
    p.run_with(&out, true, None, &record).unwrap();
    let steps = record.0.lock().unwrap().clone();
    assert!(steps.contains(&(Step::Metadata, 12, 12)) && steps.contains(&(Step::Images, 12, 12)), "{steps:?}");
    let record = Record::default();
    p.run_with(&out, true, None, &record).unwrap();
    assert!(record.0.lock().unwrap().contains(&(Step::Verify, 12, 12)), "{:?}", record.0.lock().unwrap());
}

/// A temporary file left by a kill (or a failed write) never makes the
/// rerun refuse the folder, and goes.
#[test]
fn dropc_leftovers_never_block_a_run() {
    let p = Project::new("leftover", 16);
    let reference = p.reference();
    let out = p.out("out");
    // Stopped while writing the very first file: only its temporary file.
    p.stopped(&out, 0);
    let names: Vec<String> = snapshot(&out).into_iter().map(|(n, _)| n).collect();
    assert!(names.len() == 2 && names.iter().any(|n| n.starts_with(".collection.json.tmp-")), "{names:?}");
    let drop = p.drop_file();
    let rerun = dropc(&["run", drop.to_str().unwrap(), "-o", out.to_str().unwrap()]);
    assert_eq!(rerun.status.code(), Some(0), "{}", String::from_utf8_lossy(&rerun.stderr));
    assert_same(&snapshot(&out), &reference, "after a leftover temporary file");
    // The same through the executable's hook.
    let _ = std::fs::remove_dir_all(&out);
    let stopped = Command::new(env!("CARGO_BIN_EXE_dropc"))
        .args(["run", drop.to_str().unwrap(), "-o", out.to_str().unwrap()])
        .env("DROPC_TEST_STOP_AFTER_FILES", "0")
        .output()
        .unwrap();
    assert_eq!(stopped.status.code(), Some(3), "{}", String::from_utf8_lossy(&stopped.stderr));
    assert_eq!(dropc(&["run", drop.to_str().unwrap(), "-o", out.to_str().unwrap()]).status.code(), Some(0));
    assert_same(&snapshot(&out), &reference, "after the executable stopped");
}

/// A first run writes its metadata into a temporary folder renamed into
/// place whole: stopped half way, the folder has no `metadata/` at all, and
/// the rerun removes the temporary folder and gives the clean folder.
#[test]
fn metadata_of_a_fresh_folder_appears_whole_or_not_at_all() {
    let p = Project::new("fresh-metadata", 16);
    let reference = p.reference();
    let out = p.out("out");
    p.stopped(&out, before_images(5));
    let names: Vec<String> =
        std::fs::read_dir(&out).unwrap().flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect();
    assert!(!names.iter().any(|n| n == "metadata"), "{names:?}");
    let staging = names.iter().find(|n| n.starts_with(".metadata.tmp-")).expect("the temporary metadata folder");
    assert_eq!(std::fs::read_dir(out.join(staging)).unwrap().count(), 6, "5 files and the half-written sixth");
    let summary = p.run(&out);
    assert_eq!(summary.metadata_written, 12);
    assert_same(&snapshot(&out), &reference, "after a stop in the fresh metadata folder");
    // A rerun writes nothing: every file is compared and unchanged.
    assert_eq!(p.run(&out).metadata_written, 0);
}

/// A failed atomic write leaves no temporary file.
#[test]
fn a_failed_write_removes_its_temporary_file() {
    let tmp = tempfile::Builder::new().prefix("dropc-failed-write-").tempdir().unwrap();
    let dir = tmp.path();
    std::fs::create_dir_all(dir.join("x.json/inside")).unwrap();
    assert!(dropc::publish::write_atomic(&dir.join("x.json"), b"{}").is_err());
    let names: Vec<_> = std::fs::read_dir(dir).unwrap().flatten().map(|e| e.file_name()).collect();
    assert_eq!(names, vec![std::ffi::OsString::from("x.json")]);
}

#[test]
fn jobs_are_capped() {
    let out =
        dropc(&["run", "examples/pixel-pets/pets.drop", "--no-images", "--jobs", "100000", "-o", "/nonexistent/x"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--jobs"), "{}", String::from_utf8_lossy(&out.stderr));
}

/// Lines of the journal: tokens finished by a run in progress.
fn journal_lines(out: &Path) -> usize {
    std::fs::read(out.join("manifest.journal")).map_or(0, |b| b.iter().filter(|&&c| c == b'\n').count())
}

/// Starts `dropc run` on one thread and waits until `finished` tokens are
/// in its journal.
fn start_and_wait(drop: &Path, out: &Path, finished: usize) -> std::process::Child {
    let mut child = Command::new(env!("CARGO_BIN_EXE_dropc"))
        .args(["run", drop.to_str().unwrap(), "-o", out.to_str().unwrap(), "--jobs", "1"])
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let started = std::time::Instant::now();
    while journal_lines(out) < finished {
        assert!(child.try_wait().unwrap().is_none(), "the run ended before {finished} tokens were measured");
        assert!(started.elapsed().as_secs() < 120, "no progress");
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    child
}

/// Real SIGKILLs at measured points (a quarter and half of the tokens
/// finished), each asserted to land mid-run; the rerun finishes whole,
/// byte-identical, and after the kill half way renders at most 55 %.
/// While the first run holds the folder, a second one exits 2 naming it.
#[test]
fn kill_9_at_measured_points_and_two_runs_on_one_folder() {
    const N: usize = 40;
    let p = Project::new("kill", 192);
    p.settings(N as u32, "", "small");
    let reference = p.reference();
    let drop = p.drop_file();
    let out = p.out("out");
    for (finished, at_most) in [(N / 4, N), (N / 2, N * 55 / 100)] {
        let _ = std::fs::remove_dir_all(&out);
        let mut child = start_and_wait(&drop, &out, finished);
        if finished == N / 4 {
            let second = dropc(&["run", drop.to_str().unwrap(), "-o", out.to_str().unwrap()]);
            assert_eq!(second.status.code(), Some(2));
            let message = String::from_utf8_lossy(&second.stderr);
            assert!(message.contains(&format!("another dropc run (process {})", child.id())), "{message}");
        }
        child.kill().unwrap(); // SIGKILL
        let status = child.wait().unwrap();
        assert!(!status.success(), "killed, not finished");
        let done = journal_lines(&out);
        assert!(done >= finished && done < N, "the kill landed mid-run ({done} of {N} tokens finished)");
        assert!(!out.join("manifest.json").exists(), "the kill landed before the manifest");
        let again = dropc(&["run", drop.to_str().unwrap(), "-o", out.to_str().unwrap(), "--jobs", "2"]);
        assert_eq!(again.status.code(), Some(0), "{}", String::from_utf8_lossy(&again.stderr));
        let text = String::from_utf8_lossy(&again.stderr);
        let rendered: usize = text.split("rendered ").nth(1).unwrap().split(',').next().unwrap().parse().unwrap();
        assert!(rendered <= N - done && rendered <= at_most, "rendered {rendered} after {done} of {N}: {text}");
        assert_same(&snapshot(&out), &reference, &format!("after a kill with {done} of {N} tokens finished"));
    }
}

/// Art linked outside the project folder is refused (`path_escape`) by
/// `check` and by `run` (with `--no-art`, `run` draws no image and reads no
/// art); a link that stays inside works.
#[cfg(unix)]
#[test]
fn art_linked_outside_the_project_is_refused() {
    let p = Project::new("links", 16);
    let body = p.base.join("layers/Body");
    std::fs::rename(body.join("Y.png"), body.join("real-y.png")).unwrap();
    std::os::unix::fs::symlink("real-y.png", body.join("Y.png")).unwrap();
    let drop = p.drop_file();
    let out = p.out("out");
    let inside = dropc(&["run", drop.to_str().unwrap(), "-o", out.to_str().unwrap()]);
    assert_eq!(inside.status.code(), Some(0), "{}", String::from_utf8_lossy(&inside.stderr));

    let outside_dir = tempfile::Builder::new().prefix("dropc-run-links-outside-").tempdir().unwrap();
    let outside = outside_dir.path();
    std::fs::copy(body.join("X.png"), outside.join("secret.png")).unwrap();
    std::fs::remove_file(body.join("X.png")).unwrap();
    std::os::unix::fs::symlink(outside.join("secret.png"), body.join("X.png")).unwrap();
    let check = dropc(&["check", drop.to_str().unwrap(), "--format", "json"]);
    assert_eq!(check.status.code(), Some(1));
    let text = String::from_utf8_lossy(&check.stdout);
    assert!(text.contains("\"drop::path_escape\"") && text.contains("outside the project folder"), "{text}");
    let run = dropc(&["run", drop.to_str().unwrap(), "-o", out.to_str().unwrap()]);
    assert_eq!(run.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&run.stderr).contains("drop::path_escape"));
    // `--no-art` draws no image, so no art is read at all.
    let run = dropc(&["run", drop.to_str().unwrap(), "-o", out.to_str().unwrap(), "--no-art"]);
    assert_eq!(run.status.code(), Some(0), "{}", String::from_utf8_lossy(&run.stderr));
    assert!(String::from_utf8_lossy(&run.stderr).contains("`--no-art`: no images"));
}
