//! Publishing: placeholder.
