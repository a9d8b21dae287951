//! PNG files, in one place: reading a header and the colour space it
//! declares ([`info`], [`colour`]), decoding art into 8-bit straight RGBA
//! ([`decode_file`], [`decode_bytes`]) and output images as stored
//! ([`decode_stored`]), converting a file to sRGB ([`convert_to_srgb`]),
//! and filtering and encoding ([`encode_with`]; indexed colour through
//! [`palette`]).
//!
//! `check` (art headers, colour spaces, `unique visually`'s pixels), the
//! renderer, `publish` and `qa` all read and write PNGs through this module,
//! so that a file means the same to each of them. It imports nothing of the
//! crate (a test, `tests/architecture.rs`, holds this): what a compression
//! level of the language means is `render::encode`'s choice of
//! [`Deflate`] and [`Filter`]. Errors are phrases after "it" (`is not a
//! valid PNG (…)`), for the caller to put in its own message.

pub mod colour;
pub mod decode;
pub mod encode;
pub mod filter;
pub mod palette;

pub use colour::{ColourSpace, colour_space, convert_to_srgb};
pub use decode::{
    Decoded, Info, Stored, StoredRows, decode_bytes, decode_file, decode_stored, describe, dimensions, info,
    stored_rows,
};
pub use encode::{Deflate, encode_choosing, encode_truecolour_with, encode_with, opaque};
pub use filter::Filter;
