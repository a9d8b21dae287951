//! Peak memory of `check` on a file over 1 MB: one trait of 100,000
//! variants (a serial-like `Edition`) next to four traits of 8, with 500
//! `forbid`s between an edition and a variant of one of the four, the shape
//! of `benches/check.rs`'s `100k_variants_500_forbids`.
//!
//! Measured in the process, as the most heap live at once (dhat's heap
//! profiler in its testing mode), with one worker thread, so the figure is
//! exact and the same on every machine (resident memory would add the
//! binary, the allocator's caching and the scheduling of threads).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::print_stderr)]

use std::fmt::Write as _;

#[global_allocator]
static ALLOCATOR: dhat::Alloc = dhat::Alloc;

/// The generated source: `variants` editions, four traits of 8, `forbids` rules.
fn big_trait(variants: usize, forbids: usize) -> String {
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut below = move |n: usize| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state % n as u64) as usize
    };
    let mut out = String::from("collection \"Editions\" { size 10000 canvas 8 x 8 seed \"scale\" }\n");
    out.push_str("trait Edition < ");
    for v in 0..variants {
        let _ = write!(out, "{}e{v}: {}", if v == 0 { "" } else { ", " }, 1 + below(40));
    }
    out.push_str(" >\n");
    for t in 0..4 {
        let list: Vec<String> = (0..8).map(|v| format!("v{v}: {}", 1 + below(40))).collect();
        let _ = writeln!(out, "trait S{t} < {} >", list.join(", "));
    }
    let mut seen = std::collections::HashSet::new();
    while seen.len() < forbids {
        let (e, t, v) = (below(variants), below(4), below(8));
        if seen.insert((e, t, v)) {
            let _ = writeln!(out, "forbid Edition.e{e} with S{t}.v{v}");
        }
    }
    out
}

/// The tests of this file take turns, each for the whole of its run: dhat
/// counts every thread's allocations, so another test's work would count
/// in a test's peak.
static TURN: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn turn() -> std::sync::MutexGuard<'static, ()> {
    TURN.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The most heap live at once while `work` runs on one worker thread.
fn peak_of<R: Send>(work: impl FnOnce() -> R + Send) -> (R, usize) {
    let pool = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap();
    let dir = tempfile::Builder::new().prefix("dropc-check-memory-").tempdir().unwrap();
    let profiler = dhat::Profiler::builder().testing().file_name(dir.path().join("dhat-heap.json")).build();
    let out = pool.install(work);
    let peak = dhat::HeapStats::get().max_bytes;
    drop(profiler);
    (out, peak)
}

#[test]
fn check_of_a_100000_variant_trait_holds_a_bounded_heap() {
    let _turn = turn();
    let source = big_trait(100_000, 500);
    assert!(source.len() > 1_000_000, "{} bytes", source.len());
    let (checked, peak) = peak_of(|| dropc::check_text(&source, &dropc::check::NoArt));
    assert!(!checked.has_errors(), "{:?}", checked.diagnostics.iter().find(|d| d.is_error()));
    let feasibility = checked.feasibility.as_ref().expect("the collection is analysed");
    assert!(feasibility.combinations.lower() > 10_000, "{}", feasibility.combinations);
    eprintln!("peak heap of check: {peak} bytes for a {} byte file", source.len());
    // The rule tables over the editions are over classes: the whole network
    // holds a few thousand entries (over values: 3.2 million).
    let model = checked.model.as_ref().expect("a model");
    let net = dropc::solve::network::network(model);
    let entries: usize = net.factors.iter().filter(|f| f.scope.len() >= 2).map(|f| f.table.len()).sum();
    assert!(entries < 20_000, "{entries} table entries");
    // The dense rule tables over the 100,000 editions and each 8-variant
    // trait (800,000 entries, 6.4 MB each, 25.6 MB for the four) were held up
    // to four times at once: a heap peak of about 115 MB (heaptrack of `dropc
    // check`); then once (62 MB). They are now over classes of editions (the
    // ones a `forbid` names, and one class of the rest), a few thousand
    // entries each. The peak was then the parse: pest's tokens for the whole
    // `trait` line (about 42 MB) beside the AST's 100,000 variant
    // declarations (about 18 MB), 60 MB; the long list is now parsed in
    // pieces of about 16 KB, so the tokens of one piece are alive at a time:
    // 40 MB, the AST beside the model being built from it. A variant of the
    // model then went from 160 bytes with its name and default art path on
    // the heap beside it (about 22 MB for the 100,000) to 112 bytes with both
    // inline (11.2 MB): 29 MB. A variant declaration of the AST then went
    // from 136 bytes (and its name on the heap) to 40, the resolver's map of
    // names to sorted positions (3.3 MB to 0.4 MB), and a variant of the
    // model from 112 to 56 bytes, its default art file made when asked for:
    // 20.3 MB, the model (5.6 MB) beside the solver's tables over the
    // editions. The solver's maps of the 100,000 editions to their classes
    // are then shared by the factors, shapes and elimination steps that
    // read them instead of copied for each (a `u32` an edition, 400 KB a
    // map, held up to a dozen times), and the compiled model takes the
    // preprocessed values and weights over instead of copying them (its
    // surviving values in 32 bits): 11.7 MB. One more copy of the model's
    // variants (5.6 MB) or the old copies of the maps would cross the bound.
    const BOUND: usize = 13 << 20;
    assert!(peak < BOUND, "peak heap {peak} bytes, bound {BOUND}");
}

/// The same file through what `simulate` does after `check`: the compiled
/// plan, the predicted shares and the expected ones (bounded here: no
/// replicate draws), with the check's model alive beside them.
#[test]
fn simulate_of_a_100000_variant_trait_holds_a_bounded_heap() {
    use dropc::plan::{Plan, shares_of_plan};
    use dropc::sample::expected;
    let _turn = turn();
    let source = big_trait(100_000, 500);
    let (method, peak) = peak_of(|| {
        let checked = dropc::check_text(&source, &dropc::check::NoArt);
        let model = checked.model.as_ref().expect("a model");
        let feasibility = checked.feasibility.as_ref().expect("the collection is analysed");
        let plan = Plan::new(model).expect("a plan");
        let predicted: std::sync::Arc<[Vec<f64>]> = shares_of_plan(model, &plan).into();
        let e = expected::expected_given(
            model,
            &plan,
            &predicted,
            feasibility.combinations.exact(),
            feasibility.log_partition,
        )
        .expect("expected shares");
        assert!(std::sync::Arc::ptr_eq(&e.shares, &predicted), "the predicted shares, shared");
        e.methods[0]
    });
    assert_eq!(method, expected::Method::Bounded);
    eprintln!("peak heap of check, plan and shares: {peak} bytes for a {} byte file", source.len());
    // The plan holds the compiled model and sampler of the editions beside
    // the model; the sampler's offsets are 32-bit, its weights the model's,
    // and the expected shares the predicted ones (they were copied, with a
    // table of equal errors beside them), and the plan counts a component's
    // unique projections before compiling its model and sampler, not beside
    // them (17.8 MB with the count beside them), and the shares are moved
    // into place from the marginals, which need no vector of scores (13.3
    // MB); the sampler's offsets over the editions are then the model's
    // class maps with a stride: 11.7 MB, `check`'s own peak.
    const BOUND: usize = 13 << 20;
    assert!(peak < BOUND, "peak heap {peak} bytes, bound {BOUND}");
}
