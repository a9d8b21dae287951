//! The metadata JSON Schemas (`schemas/*.schema.json`): every metadata file
//! `dropc run` writes for the bundled examples validates (one of them is
//! Metaplex), and each kind of tampering is caught.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use std::path::Path;
use std::process::Command;

use dropc::model::MetadataFlavour;
use dropc::qa::schema::violations;
use serde_json::{Value, json};

fn dropc(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_dropc")).args(args).output().expect("dropc runs")
}

/// Every `.drop` under `examples/*/`.
fn examples() -> Vec<std::path::PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let mut files: Vec<_> = std::fs::read_dir(root)
        .unwrap()
        .flatten()
        .filter(|e| e.path().is_dir())
        .flat_map(|e| std::fs::read_dir(e.path()).unwrap().flatten().map(|f| f.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "drop"))
        .collect();
    files.sort();
    files
}

#[test]
fn every_metadata_file_of_every_example_validates() {
    // Removed when dropped, even if the test panics.
    let tmp = tempfile::Builder::new().prefix("dropc-qa-schema-").tempdir().unwrap();
    let base = tmp.path();
    let mut flavours = Vec::new();
    for (i, drop) in examples().iter().enumerate() {
        let model = dropc::check_text(&std::fs::read_to_string(drop).unwrap(), &dropc::check::NoArt).model.unwrap();
        let flavour = model.settings.metadata;
        flavours.push(flavour);
        let out = base.join(i.to_string());
        let run = dropc(&["run", drop.to_str().unwrap(), "--no-images", "-o", out.to_str().unwrap()]);
        assert_eq!(run.status.code(), Some(0), "{}", String::from_utf8_lossy(&run.stderr));
        let mut files = 0;
        for entry in std::fs::read_dir(out.join("metadata")).unwrap().flatten() {
            let doc: Value = serde_json::from_slice(&std::fs::read(entry.path()).unwrap()).unwrap();
            assert_eq!(violations(flavour, &doc), Vec::<String>::new(), "{drop:?}: {:?}", entry.path());
            // The other flavour's schema refuses it: the schemas are strict.
            let other = match flavour {
                MetadataFlavour::Erc721 => MetadataFlavour::Metaplex,
                MetadataFlavour::Metaplex => MetadataFlavour::Erc721,
            };
            assert!(!violations(other, &doc).is_empty(), "{drop:?}: {:?} passes both schemas", entry.path());
            files += 1;
        }
        assert_eq!(files, model.settings.size, "{drop:?}");
    }
    // The examples cover both flavours.
    assert!(flavours.len() >= 3, "{flavours:?}");
    assert!(flavours.contains(&MetadataFlavour::Erc721) && flavours.contains(&MetadataFlavour::Metaplex));
}

fn erc721() -> Value {
    json!({
        "name": "Neon Ape #1",
        "description": "Two hundred apes.",
        "image": "ipfs://CID/1.png",
        "external_url": "https://neonapes.example/ape/1",
        "attributes": [
            { "trait_type": "Background", "value": "Rain" },
            { "trait_type": "Power", "value": 9.5 }
        ]
    })
}

fn metaplex() -> Value {
    json!({
        "name": "Sprite #1",
        "symbol": "SPRT",
        "description": "Little slimes.",
        "seller_fee_basis_points": 500,
        "image": "1.png",
        "external_url": "https://sprites.example/1",
        "attributes": [{ "trait_type": "Slime", "value": "Green" }],
        "properties": {
            "files": [{ "uri": "1.png", "type": "image/png" }],
            "category": "image",
            "creators": [
                { "address": "Cb4feNnPYBygpQmDXKABapQCdnCQPavpjn1ezSrFkFgu", "share": 70 },
                { "address": "CcdCFuzbCqTUzJJ5Kp9WDG4apSBBXU2r3YqRMVomHPFz", "share": 30 }
            ]
        }
    })
}

/// Applies `edit` to `doc` and returns the violations (which must exist).
fn broken(flavour: MetadataFlavour, mut doc: Value, edit: impl FnOnce(&mut Value)) -> Vec<String> {
    edit(&mut doc);
    let v = violations(flavour, &doc);
    assert!(!v.is_empty(), "{doc:#} passes the {flavour:?} schema");
    v
}

#[test]
fn the_reference_documents_validate() {
    assert!(violations(MetadataFlavour::Erc721, &erc721()).is_empty());
    assert!(violations(MetadataFlavour::Metaplex, &metaplex()).is_empty());
    // `external_url` is optional: a collection without the template has none.
    let mut doc = erc721();
    doc.as_object_mut().unwrap().remove("external_url");
    assert!(violations(MetadataFlavour::Erc721, &doc).is_empty());
}

#[test]
fn tampered_erc721_documents_fail() {
    use MetadataFlavour::Erc721 as F;
    let v = broken(F, erc721(), |d| {
        d.as_object_mut().unwrap().remove("name");
    });
    assert!(v[0].contains("name"), "{v:?}");
    for key in ["description", "image", "attributes"] {
        broken(F, erc721(), |d| {
            d.as_object_mut().unwrap().remove(key);
        });
    }
    let v = broken(F, erc721(), |d| d["animation_url"] = json!("x"));
    assert!(v[0].contains("animation_url"), "{v:?}");
    // Attribute shapes.
    let v = broken(F, erc721(), |d| d["attributes"][0] = json!({ "trait_type": "Background" }));
    assert!(v[0].starts_with("/attributes/0"), "{v:?}");
    broken(F, erc721(), |d| d["attributes"][0] = json!({ "trait_type": "Background", "value": "Rain", "x": 1 }));
    broken(F, erc721(), |d| d["attributes"][0]["value"] = json!(true));
    broken(F, erc721(), |d| d["attributes"][0]["value"] = json!(["Rain"]));
    broken(F, erc721(), |d| d["attributes"][0]["trait_type"] = json!(3));
    broken(F, erc721(), |d| d["attributes"] = json!({ "Background": "Rain" }));
    broken(F, erc721(), |d| d["attributes"][1] = json!(["Power", 9.5]));
    // Field types.
    broken(F, erc721(), |d| d["name"] = json!(1));
    broken(F, erc721(), |d| d["name"] = json!(""));
    broken(F, erc721(), |d| d["image"] = json!(null));
    broken(F, json!([]), |_| {});
}

#[test]
fn tampered_metaplex_documents_fail() {
    use MetadataFlavour::Metaplex as F;
    for key in ["name", "symbol", "description", "seller_fee_basis_points", "image", "attributes", "properties"] {
        broken(F, metaplex(), |d| {
            d.as_object_mut().unwrap().remove(key);
        });
    }
    broken(F, metaplex(), |d| d["collection"] = json!({ "name": "x" }));
    // Length limits: characters through the schema, bytes on top of it.
    let v = broken(F, metaplex(), |d| d["name"] = json!("x".repeat(33)));
    assert!(v[0].starts_with("/name"), "{v:?}");
    assert!(
        violations(F, &{
            let mut d = metaplex();
            d["name"] = json!("x".repeat(32));
            d
        })
        .is_empty()
    );
    let v = broken(F, metaplex(), |d| d["name"] = json!("ñ".repeat(17)));
    assert!(v[0].contains("34 bytes"), "{v:?}");
    broken(F, metaplex(), |d| d["symbol"] = json!("ELEVENCHARS"));
    broken(F, metaplex(), |d| d["symbol"] = json!("ÉÉÉÉÉÉ"));
    // Royalties.
    broken(F, metaplex(), |d| d["seller_fee_basis_points"] = json!(10_001));
    broken(F, metaplex(), |d| d["seller_fee_basis_points"] = json!(-1));
    broken(F, metaplex(), |d| d["seller_fee_basis_points"] = json!(5.5));
    broken(F, metaplex(), |d| d["seller_fee_basis_points"] = json!("500"));
    // Properties.
    broken(F, metaplex(), |d| d["properties"]["files"] = json!([]));
    broken(F, metaplex(), |d| d["properties"]["files"][0] = json!({ "uri": "1.png" }));
    broken(F, metaplex(), |d| d["properties"]["files"][0]["type"] = json!("png"));
    broken(F, metaplex(), |d| d["properties"]["category"] = json!("picture"));
    broken(F, metaplex(), |d| d["properties"]["extra"] = json!(1));
    let v = broken(F, metaplex(), |d| d["properties"]["creators"][0]["share"] = json!(70.5));
    assert!(v[0].starts_with("/properties/creators/0/share"), "{v:?}");
    broken(F, metaplex(), |d| d["properties"]["creators"][0]["share"] = json!(101));
    broken(F, metaplex(), |d| d["properties"]["creators"][0]["share"] = json!("70"));
    broken(F, metaplex(), |d| {
        d["properties"]["creators"][1].as_object_mut().unwrap().remove("address");
    });
    broken(F, metaplex(), |d| d["properties"]["creators"][1]["verified"] = json!(true));
    broken(F, metaplex(), |d| d["attributes"][0]["value"] = json!(null));
}
