//! `report.html` (`dropc::qa::report`).
//!
//! - Pure tests on a hand-made input: the page is deterministic, escapes every
//!   user string, references nothing on the network, shows every finding and
//!   every trait's chart, limits the ranking table, and every link and image
//!   it holds points at a file that exists.
//! - A real run: `dropc run` on `examples/neon-apes`, the input filled with
//!   `ReportInput::from_collection` (checked against `rarity.json` and
//!   `collection.json`), the report written beside it.
//! - `report_renders_in_chromium`: that report loaded in headless Chromium,
//!   which must log no console message (a control page with a script error
//!   proves the logging is seen), then a screenshot (printed path) that must
//!   not be blank. Without Chromium the test is skipped with a loud message,
//!   or fails when `DROPC_REQUIRE_ALL_TOOLS` is set.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use dropc::model::ResizeFilter;

use dropc::check::{DiskArt, check_text};
use dropc::model::TraitKind;
use dropc::qa::report::{
    RANKING_ROWS, RankedToken, ReportInput, ThumbnailOptions, Thumbnails, TraitChart, VariantBars, render_html,
    write_report,
};
use dropc::qa::{Finding, QaCode, Subject};
use support::{find_any_on_path, missing_tool};

mod support;

// ---------------------------------------------------------------------------
// Helpers.

fn tmp(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("report").join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A hand-made collection of `n` tokens whose user strings all hold markup.
fn hostile_input(n: u64, findings: &[Finding]) -> ReportInput<'_> {
    let traits = vec![
        TraitChart {
            name: "<b>Hat</b> & \"Co\"".into(),
            kind: TraitKind::Visible,
            variants: vec![
                VariantBars {
                    name: "<i>Top</i>".into(),
                    declared: 0.75,
                    predicted: Some(0.7),
                    expected: Some(0.7),
                    count: n - n / 4,
                },
                VariantBars {
                    name: "Bowler's 'x'".into(),
                    declared: 0.25,
                    predicted: Some(0.3),
                    expected: Some(0.3),
                    count: n / 4,
                },
            ],
        },
        TraitChart {
            name: "Mood".into(),
            kind: TraitKind::MetadataOnly,
            variants: vec![
                VariantBars { name: "Calm".into(), declared: 0.5, predicted: None, expected: None, count: n / 2 },
                VariantBars {
                    name: "A very long variant name that is cut".into(),
                    declared: 0.5,
                    predicted: None,
                    expected: None,
                    count: n - n / 2,
                },
            ],
        },
    ];
    let tokens = (1..=n)
        .map(|id| RankedToken {
            id,
            name: format!("<Ape> #{id}"),
            rank: id.div_ceil(2) as usize,
            score: 1.0 / id as f64,
            attributes: vec![
                ("<b>Hat</b> & \"Co\"".into(), "<script>alert(1)</script>".into()),
                ("Mood".into(), "Calm".into()),
            ],
            image: PathBuf::from(format!("images/{id}.png")),
            metadata: PathBuf::from(format!("metadata/{id}.json")),
        })
        .rev()
        .collect();
    ReportInput {
        collection: "Neon <Apes> & \"Friends\" 'x'".into(),
        seed: "<seed>".into(),
        size: n + 1,
        generated: n,
        provenance: Some("ab<cd>".into()),
        traits,
        tokens,
        findings,
        thumbnails: ThumbnailOptions::default(),
    }
}

fn hostile_findings() -> Vec<Finding> {
    vec![
        Finding::new(
            QaCode::OccludedVariant,
            Subject::Variant { trait_name: "<b>Hat</b> & \"Co\"".into(), variant: "<i>Top</i>".into() },
            "realised <share> is off",
            "look at `<rules>`",
        ),
        Finding::new(
            QaCode::MissingImage,
            Subject::Token { id: 2 },
            "`images/2.png` & <friends> are missing",
            "run again",
        )
        .with_images([PathBuf::from("images/2.png"), PathBuf::from("images/3.png")]),
        Finding::new(QaCode::ExtraFile, Subject::File { path: "odd name #1?.png".into() }, "the file <odd>", "")
            .with_images([PathBuf::from("odd name #1?.png")]),
        Finding::new(QaCode::SourceChanged, Subject::Collection, "something about it all", "help text"),
    ]
}

/// Text as the page escapes it (maud: `&`, `<`, `>` and `"`).
fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// The values of every `name="…"` attribute in `html`, unescaped.
fn attribute_values(html: &str, name: &str) -> Vec<String> {
    let needle = format!(" {name}=\"");
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(at) = rest.find(&needle) {
        rest = &rest[at + needle.len()..];
        let end = rest.find('"').expect("closing quote");
        out.push(unescape(&rest[..end]));
        rest = &rest[end..];
    }
    out
}

fn unescape(s: &str) -> String {
    s.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"").replace("&#39;", "'").replace("&amp;", "&")
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap();
            out.push(u8::from_str_radix(hex, 16).unwrap());
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap()
}

/// Every file reference of the page (`src`, `href` but in-page anchors).
fn references(html: &str) -> Vec<String> {
    let mut refs = attribute_values(html, "src");
    refs.extend(attribute_values(html, "href").into_iter().filter(|h| !h.starts_with('#')));
    refs
}

/// Asserts that every file the page references exists under `dir`.
fn assert_references_exist(html: &str, dir: &Path) {
    let refs = references(html);
    assert!(!refs.is_empty());
    for r in refs {
        let path = dir.join(percent_decode(&r));
        assert!(path.is_file(), "report.html references `{r}`, but {} does not exist", path.display());
    }
}

/// Writes a small PNG of one colour (with a diagonal, so resizing shows).
fn write_png(path: &Path, size: u32, seed: u8) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let img = image::RgbaImage::from_fn(size, size, |x, y| {
        if x == y { image::Rgba([255, 255, 255, 255]) } else { image::Rgba([seed, 255 - seed, seed / 2, 255]) }
    });
    img.save(path).unwrap();
}

// ---------------------------------------------------------------------------
// Pure tests.

#[test]
fn page_is_deterministic() {
    let findings = hostile_findings();
    let input = hostile_input(40, &findings);
    let a = render_html(&input, &Thumbnails::default());
    let b = render_html(&input.clone(), &Thumbnails::default());
    assert_eq!(a, b);
    // Findings and tokens are ordered by the page, not by the caller.
    let mut reversed = findings.clone();
    reversed.reverse();
    let mut shuffled = hostile_input(40, &reversed);
    shuffled.tokens.sort_by_key(|t| t.id % 7);
    assert_eq!(a, render_html(&shuffled, &Thumbnails::default()));
}

#[test]
fn user_strings_are_escaped() {
    let findings = hostile_findings();
    let html = render_html(&hostile_input(6, &findings), &Thumbnails::default());
    for raw in
        ["<b>Hat", "<i>Top", "<Apes>", "<script", "<seed>", "<cd>", "<friends>", "<share>", "<rules>", "<odd>", "<Ape>"]
    {
        assert!(!html.contains(raw), "unescaped `{raw}` in the page");
    }
    // maud escapes `&`, `<`, `>` and `"`; every attribute is double-quoted,
    // so `'` needs no escape.
    for escaped in [
        "Neon &lt;Apes&gt; &amp; &quot;Friends&quot; 'x'",
        "&lt;b&gt;Hat&lt;/b&gt; &amp; &quot;Co&quot;",
        "&lt;script&gt;alert(1)&lt;/script&gt;",
        "&lt;i&gt;Top&lt;/i&gt;",
        "Bowler's 'x'",
        "&lt;seed&gt;",
    ] {
        assert!(html.contains(escaped), "`{escaped}` missing from the page");
    }
    // No tag but the page's own: every `<` opens a tag the report writes.
    let tags: BTreeSet<&str> = html
        .split('<')
        .skip(1)
        .map(|s| s.split(|c: char| c.is_whitespace() || c == '>' || c == '/').find(|t| !t.is_empty()).unwrap_or(""))
        .collect();
    let known: BTreeSet<&str> = [
        "!DOCTYPE",
        "html",
        "head",
        "meta",
        "title",
        "style",
        "body",
        "header",
        "div",
        "p",
        "h1",
        "h2",
        "h3",
        "dl",
        "dt",
        "dd",
        "code",
        "span",
        "strong",
        "nav",
        "a",
        "main",
        "section",
        "article",
        "figure",
        "figcaption",
        "img",
        "br",
        "details",
        "summary",
        "svg",
        "desc",
        "rect",
        "text",
        "tspan",
        "line",
        "table",
        "thead",
        "tbody",
        "tr",
        "th",
        "td",
        "ol",
        "li",
        "footer",
    ]
    .into_iter()
    .collect();
    let unknown: Vec<&&str> = tags.difference(&known).collect();
    assert!(unknown.is_empty(), "unexpected tags {unknown:?}");
    assert!(!html.contains("<script"), "the page holds a script");
}

#[test]
fn nothing_comes_from_the_network() {
    let findings = hostile_findings();
    let html = render_html(&hostile_input(6, &findings), &Thumbnails::default());
    let lower = html.to_lowercase();
    assert!(!lower.contains("http://") && !lower.contains("https://"), "a URL in the page");
    assert!(!lower.contains("url(") && !lower.contains("@import"), "the CSS loads something");
    assert!(lower.contains("content-security-policy") && lower.contains("default-src 'none'"));

    // User data holding URLs is shown as text, never referenced.
    let mut input = hostile_input(6, &findings);
    input.collection = "https://evil.example/<img src=https://evil.example/x.png>".into();
    input.tokens[0].attributes.push(("Link".into(), "http://evil.example/a.png".into()));
    input.tokens[0].name = "//evil.example/b".into();
    let html = render_html(&input, &Thumbnails::default());
    assert!(html.contains("https://evil.example/&lt;img src=https://evil.example/x.png&gt;"));
    for r in references(&html) {
        assert!(!r.contains(':') && !r.starts_with("//") && !r.starts_with('/'), "`{r}` is not a relative reference");
    }
}

#[test]
fn every_finding_and_every_trait_is_shown() {
    let findings = hostile_findings();
    let input = hostile_input(12, &findings);
    let html = render_html(&input, &Thumbnails::default());
    assert_eq!(html.matches("<article class=\"finding ").count(), findings.len());
    for f in &findings {
        assert!(html.contains(f.code.as_str()), "finding {} missing", f.code);
        let message = f.message.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;");
        assert!(html.contains(&message), "finding message `{}` missing", f.message);
    }
    assert!(html.contains("2 errors"), "the verdict counts errors");
    assert!(html.contains("2 warnings"), "the verdict counts warnings");
    assert!(html.find("finding-error").unwrap() < html.find("finding-warning").unwrap(), "errors come first");
    assert!(html.contains("href=\"#token-2\""), "a token finding links to its token");
    assert!(html.contains("class=\"flag-error\""), "the token is flagged in the contact sheet");

    assert_eq!(html.matches("<figure class=\"chart\"").count(), input.traits.len());
    assert_eq!(html.matches("<svg ").count(), input.traits.len());
    for (i, t) in input.traits.iter().enumerate() {
        let name = esc(&t.name);
        assert!(html.contains(&format!("<h3>{name}</h3>")), "chart of `{}` missing", t.name);
        assert!(html.contains(&format!("aria-labelledby=\"trait-{i}-title trait-{i}-desc\"")), "chart {i} unlabelled");
        for v in &t.variants {
            assert!(html.contains(&format!("<title>{}", esc(&v.name))), "label of {}", v.name);
        }
    }
    for word in ["declared", "predicted", "realised"] {
        assert!(html.contains(&format!("class=\"bar-{word}\"")), "no {word} bar");
    }
    assert!(html.contains("predicted: unknown"), "a share that could not be predicted says so");
    assert!(html.contains("<text class=\"flag-warning\""), "a variant with a finding is marked on its chart");
    assert!(html.contains("<th scope=\"row\" class=\"flag-warning\">&lt;i&gt;Top"), "and in its figures");

    // Rarest first, in the contact sheet and the table.
    let sheet: Vec<&str> = html.match_indices("<li id=\"token-").map(|(i, _)| &html[i + 14..i + 17]).collect();
    assert!(sheet[0].starts_with("1\"") && sheet[1].starts_with("2\"") && sheet[2].starts_with("3\""), "{sheet:?}");

    let clean = render_html(&hostile_input(3, &[]), &Thumbnails::default());
    assert!(clean.contains("verdict-ok") && clean.contains("Every audit passed"));
}

#[test]
fn ranking_table_is_limited() {
    let n = RANKING_ROWS as u64 + 5;
    let html = render_html(&hostile_input(n, &[]), &Thumbnails::default());
    let table = &html[html.find("<table class=\"ranking\">").unwrap()..];
    assert_eq!(table.matches("<tr><td").count(), RANKING_ROWS);
    assert!(html.contains("The 1,000 rarest of 1,005 tokens"));
    assert_eq!(html.matches("<li id=\"token-").count(), n as usize, "the contact sheet shows every token");
    assert_eq!(html.matches("loading=\"lazy\"").count(), n as usize);
    assert_eq!(html.matches("width=\"128\" height=\"128\"").count(), n as usize, "sizes are fixed");
}

#[test]
fn thumbnails_exist_and_links_resolve() {
    let dir = tmp("thumbnails");
    let findings = hostile_findings();
    let mut input = hostile_input(5, &findings);
    for id in 1..=5u8 {
        if id != 4 {
            write_png(&dir.join(format!("images/{id}.png")), 64 + 32 * u32::from(id), id * 40);
        }
        std::fs::create_dir_all(dir.join("metadata")).unwrap();
        std::fs::write(dir.join(format!("metadata/{id}.json")), "{}").unwrap();
    }
    write_png(&dir.join("odd name #1?.png"), 300, 7);
    // A stale thumbnail of an earlier, larger report.
    std::fs::create_dir_all(dir.join("report/thumbs")).unwrap();
    std::fs::write(dir.join("report/thumbs/99.png"), b"old").unwrap();

    write_report(&dir, &input).unwrap();
    let html = std::fs::read_to_string(dir.join("report.html")).unwrap();
    // Token 4 has no image: a placeholder, not a broken link.
    assert!(html.contains("class=\"thumb missing\""));
    let linked: Vec<String> = references(&html);
    assert!(linked.iter().any(|r| r == "report/thumbs/1.png"));
    assert!(linked.iter().any(|r| r.starts_with("report/thumbs/other/")), "the finding's other image");
    // Every reference but the missing image resolves.
    let missing = "images/4.png";
    for r in linked.iter().filter(|r| r.as_str() != missing) {
        let path = dir.join(percent_decode(r));
        assert!(path.is_file(), "`{r}` does not resolve");
    }
    assert!(!dir.join("report/thumbs/99.png").exists(), "stale thumbnail left");
    assert!(!dir.join("report/thumbs/4.png").exists());

    for id in [1u32, 2, 3, 5] {
        let thumb = image::open(dir.join(format!("report/thumbs/{id}.png"))).unwrap();
        let side = (64 + 32 * id).min(128);
        assert_eq!((thumb.width(), thumb.height()), (side, side), "thumbnail {id}");
    }

    // The same input gives the same bytes, made afresh or kept.
    let first: Vec<u8> = std::fs::read(dir.join("report/thumbs/5.png")).unwrap();
    let modified = |p: &str| std::fs::metadata(dir.join(p)).unwrap().modified().unwrap();
    let before = modified("report/thumbs/5.png");
    write_report(&dir, &input).unwrap();
    assert_eq!(std::fs::read_to_string(dir.join("report.html")).unwrap(), html);
    assert_eq!(modified("report/thumbs/5.png"), before, "an unchanged image's thumbnail is kept");
    std::fs::remove_dir_all(dir.join("report")).unwrap();
    write_report(&dir, &input).unwrap();
    assert_eq!(std::fs::read(dir.join("report/thumbs/5.png")).unwrap(), first, "thumbnails are deterministic");

    // A changed image, or other options, make the thumbnail again.
    write_png(&dir.join("images/5.png"), 64, 1);
    write_report(&dir, &input).unwrap();
    assert_eq!(image::open(dir.join("report/thumbs/5.png")).unwrap().width(), 64, "a changed image is redone");
    write_png(&dir.join("images/5.png"), 224, 200);
    write_report(&dir, &input).unwrap();
    // Pixel art keeps hard edges.
    input.thumbnails = ThumbnailOptions { filter: ResizeFilter::Nearest, ..ThumbnailOptions::default() };
    write_report(&dir, &input).unwrap();
    let nearest = image::open(dir.join("report/thumbs/5.png")).unwrap().to_rgba8();
    let colours: BTreeSet<[u8; 4]> = nearest.pixels().map(|p| p.0).collect();
    assert_eq!(colours.len(), 2, "nearest-neighbour thumbnails add no colour");
}

// ---------------------------------------------------------------------------
// A real run.

/// `dropc run` on the neon-apes example, once per test binary, and the
/// report input for it (without findings).
fn real_run() -> &'static (PathBuf, PathBuf) {
    static RUN: OnceLock<(PathBuf, PathBuf)> = OnceLock::new();
    RUN.get_or_init(|| {
        let dir = tmp("neon-apes");
        let out = dir.join("out");
        let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/neon-apes/apes.drop");
        let output = Command::new(env!("CARGO_BIN_EXE_dropc"))
            .args(["run", file.to_str().unwrap(), "-o", out.to_str().unwrap()])
            .output()
            .expect("dropc runs");
        assert!(output.status.success(), "dropc run failed: {}", String::from_utf8_lossy(&output.stderr));
        (file, out)
    })
}

/// Held by each test that writes the real run's report, so that two tests
/// never write it at once.
static REAL_REPORT: Mutex<()> = Mutex::new(());

/// Writes the report for the real run with `findings`; returns its folder.
/// The caller holds [`REAL_REPORT`].
fn write_real_report(findings: &[Finding]) -> PathBuf {
    let (file, out) = real_run();
    let text = std::fs::read_to_string(file).unwrap();
    let checked = check_text(&text, &DiskArt { root: file.parent().unwrap().to_path_buf() });
    let model = checked.model.as_ref().expect("the example checks");
    let tokens = dropc::sample(model, &model.settings.seed).unwrap();
    let mut input = ReportInput::from_collection(model, &tokens, &model.settings.seed, findings);
    let provenance: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("provenance.json")).unwrap()).unwrap();
    input.provenance = provenance["provenance"].as_str().map(str::to_string);

    // The input agrees with what the run published.
    let rarity: serde_json::Value = serde_json::from_slice(&std::fs::read(out.join("rarity.json")).unwrap()).unwrap();
    let published: Vec<(u64, u64)> =
        rarity.as_array().unwrap().iter().map(|e| (e["id"].as_u64().unwrap(), e["rank"].as_u64().unwrap())).collect();
    let ours: Vec<(u64, u64)> = input.tokens.iter().map(|t| (t.id, t.rank as u64)).collect();
    assert_eq!(ours, published, "the ranking is rarity.json's");
    // A recorded ranking, when given, is what the page shows.
    let mut recorded = input.clone();
    recorded.use_recorded_ranking([(input.tokens[0].id, 7, 0.5)]);
    let moved = recorded.tokens.iter().find(|t| t.id == input.tokens[0].id).unwrap();
    assert_eq!((moved.rank, moved.score), (7, 0.5));
    assert!(recorded.tokens.windows(2).all(|w| (w[0].rank, w[0].id) <= (w[1].rank, w[1].id)));
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("collection.json")).unwrap()).unwrap();
    for (t, published) in input.traits.iter().zip(summary["traits"].as_array().unwrap()) {
        let counts: Vec<u64> =
            published["variants"].as_array().unwrap().iter().map(|v| v["count"].as_u64().unwrap()).collect();
        assert_eq!(t.variants.iter().map(|v| v.count).collect::<Vec<_>>(), counts, "counts of {}", t.name);
    }
    assert_eq!(input.size, summary["size"].as_u64().unwrap());

    write_report(out, &input).unwrap();
    out.clone()
}

fn demo_findings() -> Vec<Finding> {
    vec![
        Finding::new(
            QaCode::ParityMismatch,
            Subject::Token { id: 17 },
            "a made-up error, to show how the report looks",
            "nothing to do: the test made it",
        )
        .with_images([PathBuf::from("images/17.png"), PathBuf::from("images/18.png")]),
        Finding::new(
            QaCode::TransparentVariant,
            Subject::Variant { trait_name: "Eyes".into(), variant: "X-Ray".into() },
            "a made-up warning <with markup>",
            "nothing to do",
        ),
        Finding::new(
            QaCode::ImageSrgb,
            Subject::File { path: "images/does-not-exist.png".into() },
            "an image that is not there is shown as a placeholder",
            "",
        )
        .with_images([PathBuf::from("images/does-not-exist.png")]),
    ]
}

#[test]
fn real_run_report_links_resolve() {
    let _guard = REAL_REPORT.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let out = write_real_report(&[]);
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(html.contains("<h1>Neon Apes</h1>"));
    assert!(html.contains("verdict-ok"));
    assert_eq!(html.matches("<figure class=\"chart\"").count(), 10, "one chart per trait");
    assert_eq!(html.matches("<li id=\"token-").count(), 200);
    assert!(!html.contains("thumb missing"));
    assert_references_exist(&html, &out);
}

// ---------------------------------------------------------------------------
// Headless Chromium.

/// Debian's `chromium` (or `chromium-browser`) on `PATH`, else
/// `/usr/bin/chromium`.
fn find_chromium() -> Option<PathBuf> {
    find_any_on_path(&["chromium", "chromium-browser"])
        .or_else(|| Some(PathBuf::from("/usr/bin/chromium")).filter(|p| p.is_file()))
}

/// Runs headless Chromium on `page` with `args`, killing it after two
/// minutes. Its output goes to files (a pipe nobody reads while waiting
/// would fill up and stall it).
fn chromium(program: &Path, work: &Path, args: &[&str], page: &Path) -> Output {
    let url = format!("file://{}", page.canonicalize().unwrap().display());
    let (stdout, stderr) = (work.join("stdout.txt"), work.join("stderr.txt"));
    let mut child = Command::new(program)
        .args([
            "--headless=new",
            "--disable-gpu",
            "--no-sandbox",
            "--no-first-run",
            "--no-default-browser-check",
            "--disable-extensions",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
            "--enable-logging=stderr",
            "--v=0",
        ])
        .arg(format!("--user-data-dir={}", work.join("profile").display()))
        .args(args)
        .arg(&url)
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&stdout).unwrap())
        .stderr(std::fs::File::create(&stderr).unwrap())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {}: {e}", program.display()));
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > Duration::from_secs(120) {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "chromium did not finish within two minutes on {url}; stderr:\n{}",
                std::fs::read_to_string(&stderr).unwrap_or_default()
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    Output { status, stdout: std::fs::read(&stdout).unwrap(), stderr: std::fs::read(&stderr).unwrap() }
}

/// The console messages Chromium logged (`…:INFO:CONSOLE:12] "message", source: …`).
fn console_lines(output: &Output) -> Vec<String> {
    String::from_utf8_lossy(&output.stderr).lines().filter(|l| l.contains(":CONSOLE")).map(str::to_string).collect()
}

#[test]
fn report_renders_in_chromium() {
    let Some(chromium_bin) = find_chromium() else {
        missing_tool("the report's browser test needs Debian's `chromium` (apt-get install chromium)");
        return;
    };
    let work = tmp("chromium");

    // Control: a script error and a console call on a page are seen, so that
    // silence on the report means something.
    let control = work.join("control.html");
    std::fs::write(
        &control,
        "<!DOCTYPE html><title>control</title><script>console.error('dropc-control'); notDefined();</script>",
    )
    .unwrap();
    let output = chromium(&chromium_bin, &work, &["--dump-dom"], &control);
    let lines = console_lines(&output);
    assert!(
        lines.iter().any(|l| l.contains("dropc-control")) && lines.iter().any(|l| l.contains("notDefined")),
        "chromium's console log was not seen on the control page; stderr:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );

    let findings = demo_findings();
    let _guard = REAL_REPORT.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let out = write_real_report(&findings);
    let report = out.join("report.html");

    // The DOM Chromium built: every section, chart and token is there, and
    // no console message (CSP violations, script errors) was logged.
    let output = chromium(&chromium_bin, &work, &["--dump-dom"], &report);
    assert!(output.status.success(), "chromium failed: {}", String::from_utf8_lossy(&output.stderr));
    assert_eq!(console_lines(&output), Vec::<String>::new(), "console messages while loading the report");
    let dom = String::from_utf8_lossy(&output.stdout);
    for id in ["findings", "traits", "sheet", "ranking"] {
        assert!(dom.contains(&format!("<section id=\"{id}\">")), "section {id} missing from the DOM");
    }
    assert_eq!(dom.matches("<svg ").count(), 10, "charts in the DOM");
    assert_eq!(dom.matches("<li id=\"token-").count(), 200, "tokens in the DOM");
    assert_eq!(dom.matches("<article class=\"finding ").count(), findings.len());
    assert!(dom.contains("&lt;with markup&gt;"), "escaped text stays text");

    // Screenshots, light and dark.
    let shots = Path::new(env!("CARGO_TARGET_TMPDIR")).join("report");
    for (name, extra) in [("report-screenshot.png", None), ("report-screenshot-dark.png", Some("--force-dark-mode"))] {
        let shot = shots.join(name);
        let _ = std::fs::remove_file(&shot);
        let mut args = vec![
            format!("--screenshot={}", shot.display()),
            "--window-size=1280,2000".to_string(),
            "--virtual-time-budget=5000".to_string(),
        ];
        args.extend(extra.map(str::to_string));
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let output = chromium(&chromium_bin, &work, &args, &report);
        assert!(output.status.success(), "chromium failed: {}", String::from_utf8_lossy(&output.stderr));
        assert_eq!(console_lines(&output), Vec::<String>::new(), "console messages while taking {name}");
        let image = image::open(&shot).unwrap_or_else(|e| panic!("no screenshot at {}: {e}", shot.display())).to_rgb8();
        assert_eq!((image.width(), image.height()), (1280, 2000));
        let colours: BTreeSet<[u8; 3]> = image.pixels().map(|p| p.0).collect();
        assert!(colours.len() > 500, "{name} looks blank: {} colours", colours.len());
        eprintln!("report screenshot: {}", shot.display());
    }
    eprintln!("report: {}", report.display());
}
