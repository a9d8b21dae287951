//! `tokens.json` read back: the record of the draw, which the audits take as
//! the truth that metadata, images, rarity and counts must agree with. The
//! type is the output folder's own ([`crate::output::TokensRecord`]): what
//! `dropc run` writes is what this reads.

pub use crate::output::{TokenEntry as Entry, TokensRecord as Record};

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::Record;

    #[test]
    fn an_id_beyond_64_bits_is_named_as_such() {
        let record = |id: &str| {
            format!(
                r#"{{"collection": "C", "seed": "s", "traits": ["T"], "tokens": [{{"id": {id}, "variants": ["V"]}}]}}"#
            )
        };
        assert_eq!(Record::parse(record("7").as_bytes()).unwrap().tokens[0].0, 7);
        let error = Record::parse(record("18446744073709551616").as_bytes()).unwrap_err();
        assert!(error.contains("token number 1 has the `id` 1.8446744073709552e+19"), "{error}");
        assert!(error.contains("no whole number from 0 to 18446744073709551615"), "{error}");
        let error = Record::parse(record("-1").as_bytes()).unwrap_err();
        assert!(error.contains("the `id` -1"), "{error}");
        let error = Record::parse(br#"{"collection": "C", "seed": "s", "traits": [], "tokens": [{}]}"#).unwrap_err();
        assert_eq!(error, "token number 1 has no `id`");
    }
}
