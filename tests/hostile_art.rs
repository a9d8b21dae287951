//! Art that is not a file never hangs or exhausts `check` or `run`: a FIFO
//! named like a layer (opening it for reading would wait for a writer
//! forever), a link to a FIFO inside the project, a link to `/dev/zero`,
//! a FIFO named as the `.drop` file itself, and the same things given to
//! `dropc import` as a layer or as the engine's `config.js`.
//! Every read of art goes through `dropc::files`, which opens without
//! blocking and refuses what is not a regular file. Each command runs with
//! a time limit: a hang fails the test instead of stalling the suite.

#![cfg(unix)]
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

/// A project of 4 × 4 art: `t.drop`, `layers/Body/{X,Y}.png`,
/// `layers/Hat/{P,Q}.png`, in a temporary folder removed on drop.
struct Project {
    base: PathBuf,
    _dir: tempfile::TempDir,
}

impl Project {
    fn new() -> Project {
        let dir = tempfile::Builder::new().prefix("dropc-hostile-art-").tempdir().unwrap();
        let base = dir.path().to_path_buf();
        for (t, variant) in [("Body", "X"), ("Body", "Y"), ("Hat", "P"), ("Hat", "Q")] {
            let path = base.join("layers").join(t).join(format!("{variant}.png"));
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            let shade = variant.as_bytes()[0];
            image::RgbaImage::from_pixel(4, 4, image::Rgba([shade, 40, 90, 255])).save(&path).unwrap();
        }
        let text = "collection \"H\" {\n    size 4\n    seed \"h\"\n    canvas 4 x 4\n    name \"H #{id}\"\n    \
                    description \"d\"\n    image \"ipfs://x/{id}.png\"\n}\n\
                    trait Body < X: 1, Y: 1 >\ntrait Hat < P: 1, Q: 1 >\n";
        std::fs::write(base.join("h.drop"), text).unwrap();
        Project { base, _dir: dir }
    }

    fn drop_file(&self) -> PathBuf {
        self.base.join("h.drop")
    }

    fn layer(&self, t: &str, variant: &str) -> PathBuf {
        self.base.join("layers").join(t).join(format!("{variant}.png"))
    }

    /// Replaces a layer with a FIFO that no one writes to.
    fn fifo(&self, path: &Path) {
        fifo(path);
    }

    /// Replaces a layer with a symbolic link to `target`.
    fn link(&self, path: &Path, target: &Path) {
        link(path, target);
    }
}

/// Replaces the file at `path` with a FIFO that no one writes to.
fn fifo(path: &Path) {
    let _ = std::fs::remove_file(path);
    let status = Command::new("mkfifo").arg(path).status().expect("mkfifo runs");
    assert!(status.success(), "mkfifo {}", path.display());
}

/// Replaces the file at `path` with a symbolic link to `target`.
fn link(path: &Path, target: &Path) {
    let _ = std::fs::remove_file(path);
    std::os::unix::fs::symlink(target, path).unwrap();
}

/// Runs dropc with `args`, killed (and the test failed) after a minute.
fn dropc_within_a_minute(args: &[&str]) -> std::process::Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_dropc"))
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("dropc runs");
    let started = std::time::Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > Duration::from_secs(60) {
            child.kill().unwrap();
            let _ = child.wait();
            panic!("dropc {args:?} ran for a minute: it hangs");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

/// `dropc check` and `dropc run` on the project: both fail, within a
/// minute, with the diagnostic of `code` naming `name`; returns `check`'s
/// error output.
fn refused(p: &Project, code: &str, name: &str) -> String {
    let drop = p.drop_file();
    let out = p.base.join("out");
    let check = dropc_within_a_minute(&["check", drop.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&check.stderr).into_owned();
    assert_eq!(check.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains(code) && stderr.contains(name), "{stderr}");
    let run = dropc_within_a_minute(&["run", drop.to_str().unwrap(), "-o", out.to_str().unwrap()]);
    let run_err = String::from_utf8_lossy(&run.stderr).into_owned();
    assert_eq!(run.status.code(), Some(1), "{run_err}");
    assert!(run_err.contains(code) && run_err.contains(name), "{run_err}");
    stderr
}

#[test]
fn a_fifo_as_art_is_refused_by_check_and_run() {
    let p = Project::new();
    p.fifo(&p.layer("Hat", "P"));
    let stderr = refused(&p, "drop::invalid_art", "P.png");
    assert!(stderr.contains("not a regular file"), "{stderr}");
}

#[test]
fn a_link_to_a_fifo_inside_the_project_is_refused() {
    let p = Project::new();
    let fifo = p.base.join("layers/pipe");
    p.fifo(&fifo);
    p.link(&p.layer("Body", "Y"), Path::new("../pipe"));
    let stderr = refused(&p, "drop::invalid_art", "Y.png");
    assert!(stderr.contains("not a regular file"), "{stderr}");
}

#[test]
fn a_link_to_dev_zero_is_refused() {
    let p = Project::new();
    p.link(&p.layer("Body", "X"), Path::new("/dev/zero"));
    refused(&p, "drop::path_escape", "X.png");
}

/// The library's run, given a model checked while the art was fine, meets
/// a FIFO swapped in afterwards (the art changed between check and run):
/// it reports the art, on a thread given a minute.
#[test]
fn a_fifo_swapped_in_after_the_check_stops_the_run_without_hanging() {
    let p = Project::new();
    let text = std::fs::read_to_string(p.drop_file()).unwrap();
    let checked = dropc::check_text(&text, &dropc::check::DiskArt { root: p.base.clone() });
    assert!(!checked.has_errors(), "{:?}", checked.diagnostics);
    let model = checked.model.unwrap();
    p.fifo(&p.layer("Hat", "Q"));
    let options = dropc::publish::run::Options::new(&p.drop_file(), None, text.into_bytes());
    let (send, receive) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let result = dropc::publish::run::publish(&model, &options, &dropc::publish::run::Silent);
        let _ = send.send(result.map(|(_, summary)| summary).map_err(|e| e.to_string()));
    });
    let result = receive.recv_timeout(Duration::from_secs(60)).expect("the run hangs on a FIFO");
    let why = result.expect_err("the run cannot draw a FIFO");
    assert!(why.contains("Q.png") && why.contains("not a regular file"), "{why}");
}

/// A FIFO named as the `.drop` file itself: `check`, `fmt` and `run` refuse
/// it at once (exit 2, saying what it is) instead of waiting for a writer.
#[test]
fn a_fifo_given_as_the_drop_file_is_refused() {
    let project = Project::new();
    let fifo = project.base.join("pipe.drop");
    project.fifo(&fifo);
    let out_dir = project.base.join("out");
    let fifo_arg = fifo.to_str().unwrap();
    for args in [
        vec!["check", fifo_arg],
        vec!["fmt", "--check", fifo_arg],
        vec!["run", fifo_arg, "-o", out_dir.to_str().unwrap()],
    ] {
        let out = dropc_within_a_minute(&args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "dropc {args:?}: {stderr}");
        assert!(stderr.contains("is not a regular file"), "dropc {args:?}: {stderr}");
    }
    assert!(!out_dir.exists(), "run wrote an output folder");
}

/// A HashLips layers folder, `layers/Body/{X,Y}#1.png` and
/// `layers/Hat/P#1.png`, with `src/config.js` beside it naming the order,
/// in a temporary folder removed on drop.
fn hashlips_project() -> tempfile::TempDir {
    let dir = tempfile::Builder::new().prefix("dropc-hostile-import-").tempdir().unwrap();
    for (t, file) in [("Body", "X#1"), ("Body", "Y#1"), ("Hat", "P#1")] {
        let path = dir.path().join("layers").join(t).join(format!("{file}.png"));
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        image::RgbaImage::from_pixel(4, 4, image::Rgba([file.as_bytes()[0], 40, 90, 255])).save(&path).unwrap();
    }
    std::fs::create_dir_all(dir.path().join("src")).unwrap();
    let config = "const layerConfigurations = [\n  { growEditionSizeTo: 2, layersOrder: [{ name: \"Body\" }, { name: \"Hat\" }] },\n];\n";
    std::fs::write(dir.path().join("src/config.js"), config).unwrap();
    dir
}

/// `dropc import hashlips layers` in `dir`, within a minute.
fn import_within_a_minute(dir: &Path) -> (Option<i32>, String) {
    let layers = dir.join("layers");
    let out = dir.join("c.drop");
    let output = dropc_within_a_minute(&["import", "hashlips", layers.to_str().unwrap(), "-o", out.to_str().unwrap()]);
    (output.status.code(), String::from_utf8_lossy(&output.stderr).into_owned())
}

/// What the importer reads goes through `dropc::files` too: a FIFO or a
/// link to `/dev/zero` as `config.js`, an oversized `config.js` (a sparse
/// file of 64 MiB) and a FIFO as a layer are refused at once (exit 2,
/// naming the file and what it is), never waited on or read without end;
/// the sound project imports.
#[test]
fn the_importer_refuses_what_is_not_a_file() {
    let project = hashlips_project();
    let dir = project.path();
    let (code, stderr) = import_within_a_minute(dir);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(std::fs::read_to_string(dir.join("c.drop")).unwrap().contains("trait Hat"));
    std::fs::remove_file(dir.join("c.drop")).unwrap();

    let config = dir.join("src/config.js");
    let sound = std::fs::read(&config).unwrap();
    fifo(&config);
    let (code, stderr) = import_within_a_minute(dir);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("config.js") && stderr.contains("not a regular file"), "{stderr}");

    link(&config, Path::new("/dev/zero"));
    let (code, stderr) = import_within_a_minute(dir);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("config.js") && stderr.contains("not a regular file"), "{stderr}");

    std::fs::remove_file(&config).unwrap();
    let big = std::fs::File::create(&config).unwrap();
    big.set_len(64 << 20).unwrap();
    drop(big);
    let (code, stderr) = import_within_a_minute(dir);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("config.js") && stderr.contains("64.0 MiB"), "{stderr}");

    std::fs::write(&config, sound).unwrap();
    fifo(&dir.join("layers/Hat/P#1.png"));
    let (code, stderr) = import_within_a_minute(dir);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("P#1.png") && stderr.contains("not a regular file"), "{stderr}");
    assert!(!dir.join("c.drop").exists(), "a refused import wrote its .drop");
}
