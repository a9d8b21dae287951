//! HashLips art engine folders: `DIR/<Layer>/<Name>#<weight>.<ext>`.
//!
//! The engine (src/main.js) reads each layer folder of `layersOrder`, skips
//! dot files, and makes every file an element: its name is the file name
//! without its last four characters (the extension) up to the first `#`, its
//! weight the number after the last `#` (1 when that is not a number). A
//! token draws one element per layer, with probability weight / sum, and the
//! layers are drawn bottom to top in `layersOrder`, each with the layer's
//! `blend` and `opacity` options. That is a `.drop` trait per layer with a
//! variant per file.

use super::config::Config;
use super::{
    Draft, DraftPart, DraftTrait, DraftVariant, Engine, ImportError, LayerPlan, Place, Source, Weight, blend_mode,
    hidden, is_png, list_dir,
};

/// HashLips' `cleanName`: the name without its extension, up to the first delimiter.
fn clean_name(file: &str, delimiter: &str) -> String {
    let stem = stem4(file);
    stem.split(delimiter).next().unwrap_or(stem).to_string()
}

/// The name without its last four characters (the engine assumes `.png`).
fn stem4(file: &str) -> &str {
    let cut = file.char_indices().rev().nth(3).map_or(0, |(i, _)| i);
    &file[..cut]
}

/// HashLips' `getRarityWeight`: the number after the last delimiter, else 1.
fn weight(file: &str, delimiter: &str) -> Option<f64> {
    let stem = stem4(file);
    if !stem.contains(delimiter) {
        return Some(1.0);
    }
    let last = stem.rsplit(delimiter).next().unwrap_or("");
    // JavaScript's Number(): blank is 0, a non-number is NaN (weight 1).
    let trimmed = last.trim();
    if trimmed.is_empty() {
        return Some(0.0);
    }
    match trimmed.parse::<f64>() {
        Ok(x) if x.is_finite() && x >= 0.0 => Some(x),
        Ok(_) => None,
        Err(_) => Some(1.0),
    }
}

pub(super) fn read(source: &Source, plan: &LayerPlan, config: Option<&Config>) -> Result<Draft, ImportError> {
    let delimiter =
        config.and_then(|c| c.string("rarityDelimiter")).filter(|d| !d.is_empty()).unwrap_or("#").to_string();
    let mut draft = new_draft(Engine::HashLips);
    for layer in &plan.layers {
        let dir = source.dir.join(&layer.name);
        let mut t = layer_trait(layer, &mut draft.warnings);
        for entry in list_dir(&dir)? {
            if hidden(&entry.name) {
                continue;
            }
            let rel = format!("{}/{}", layer.name, entry.name);
            if entry.is_dir {
                draft.warnings.push(format!(
                    "skipped the folder `{rel}`: HashLips reads files only (for nested folders use `dropc import nftchef`)"
                ));
                continue;
            }
            if !is_png(&entry.name) {
                draft.warnings.push(format!(
                    "skipped `{rel}`: dropc draws PNG files only, so the other variants of `{}` are more likely than in the engine; convert it to PNG and import again",
                    t.name
                ));
                continue;
            }
            let Some(w) = weight(&entry.name, &delimiter) else {
                return Err(ImportError::Input(format!("`{rel}` has a negative or infinite weight")));
            };
            let name = clean_name(&entry.name, &delimiter);
            t.variants.push(DraftVariant {
                name,
                weight: Weight::from_f64(w),
                parts: vec![DraftPart { path: rel, place: Place::Own }],
                comment: None,
            });
        }
        if t.variants.is_empty() {
            return Err(ImportError::Input(format!("the layer folder `{}` holds no PNG files", dir.display())));
        }
        disambiguate(&mut t);
        draft.traits.push(t);
    }
    bypass(plan, &mut draft);
    Ok(draft)
}

pub(super) fn new_draft(engine: Engine) -> Draft {
    Draft {
        engine,
        traits: Vec::new(),
        notes: Vec::new(),
        warnings: Vec::new(),
        name: String::new(),
        description: None,
        size: 1,
        canvas: (1, 1),
        sizes: None,
        unique_by: None,
        rules: Vec::new(),
    }
}

/// The trait of one layer, with no variants yet: its name, folder and
/// `blend` and `opacity` options.
pub(super) fn layer_trait(layer: &super::LayerOptions, warnings: &mut Vec<String>) -> DraftTrait {
    let mut t = DraftTrait {
        name: layer.display_name.clone().unwrap_or_else(|| layer.name.clone()),
        folder: layer.name.clone(),
        variants: Vec::new(),
        blend: None,
        opacity: None,
        comments: Vec::new(),
    };
    apply_options(&mut t, layer, warnings);
    t
}

/// The layer's `blend` and `opacity` options.
fn apply_options(t: &mut DraftTrait, layer: &super::LayerOptions, warnings: &mut Vec<String>) {
    if let Some(op) = &layer.blend {
        match blend_mode(op) {
            Some("normal") => {}
            Some(mode) => t.blend = Some(mode),
            None => warnings.push(format!(
                "the layer `{}` uses the canvas blend `{op}`, which dropc does not have: it is drawn with `blend normal`",
                layer.name
            )),
        }
    }
    if let Some(opacity) = layer.opacity {
        if (0.0..1.0).contains(&opacity) {
            t.opacity = Some(opacity);
        }
    }
}

/// Two files with one name (`Fin#10.png` and `Fin#Rare.png`) are two
/// elements to the engine: the later ones get their file name as variant name.
pub(super) fn disambiguate(t: &mut DraftTrait) {
    let mut seen: Vec<String> = Vec::new();
    for v in &mut t.variants {
        if v.name == "none" && v.parts.is_empty() {
            seen.push(v.name.clone());
            continue;
        }
        let taken = |n: &str, seen: &[String]| seen.iter().any(|s| s == n) || n == "none" || n.is_empty();
        if taken(&v.name, &seen) {
            let original = v.name.clone();
            let file = v.parts.first().map(|p| p.path.rsplit('/').next().unwrap_or(&p.path).to_string());
            let mut candidate = file.as_deref().map(stem4).map_or_else(|| original.clone(), str::to_string);
            let mut n = 2;
            while taken(&candidate, &seen) {
                candidate = format!("{original} {n}");
                n += 1;
            }
            v.comment = Some(if original.is_empty() {
                "the engine's name for this file is empty".to_string()
            } else {
                format!("the engine names this file `{original}` too")
            });
            v.name = candidate;
        }
        seen.push(v.name.clone());
    }
}

/// Layers with `bypassDNA` do not count for uniqueness: `unique by` the others.
pub(super) fn bypass(plan: &LayerPlan, draft: &mut Draft) {
    if plan.layers.iter().any(|l| l.bypass_dna) {
        let names: Vec<String> =
            plan.layers.iter().zip(&draft.traits).filter(|(l, _)| !l.bypass_dna).map(|(_, t)| t.name.clone()).collect();
        draft.unique_by = Some(names);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_weights_as_hashlips_reads_them() {
        assert_eq!(clean_name("Red#50.png", "#"), "Red");
        assert_eq!(weight("Red#50.png", "#"), Some(50.0));
        assert_eq!(clean_name("Polkadot.png", "#"), "Polkadot");
        assert_eq!(weight("Polkadot.png", "#"), Some(1.0));
        assert_eq!(weight("TurtleArms#Legendary.png", "#"), Some(1.0));
        assert_eq!(weight("a#b#2.5.png", "#"), Some(2.5));
        assert_eq!(clean_name("a#b#2.5.png", "#"), "a");
        assert_eq!(clean_name("shirt one #3.png", "#"), "shirt one ");
        assert_eq!(weight("Zero#0.png", "#"), Some(0.0));
        assert_eq!(weight("Blank#.png", "#"), Some(0.0));
        assert_eq!(weight("Minus#-3.png", "#"), None);
    }
}
