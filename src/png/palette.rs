//! Lossless palettes: an image of at most 256 distinct RGBA colours is
//! written as an indexed PNG (`PLTE`, plus `tRNS` when some colour is not
//! opaque) at the smallest bit depth that holds its colours (1, 2, 4 or 8
//! bits per pixel). Pixel art, flat vector art and their upscales usually
//! qualify: a quarter of the bytes of RGBA or less before compression, so
//! the file is smaller and faster to compress.
//!
//! Lossless means every pixel decodes to exactly the RGBA it had, fully
//! transparent pixels included (their colour is kept as given). The order
//! of the palette is fixed by the pixels alone: colours that are not opaque
//! first (so that `tRNS` stops at the last of them), then in order of first
//! appearance, row by row. So the same pixels always give the same file.

/// Most colours a palette holds.
pub const MAX_COLOURS: usize = 256;

/// An image as palette indices.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Indexed {
    /// The colours, RGBA, in index order.
    pub colours: Vec<[u8; 4]>,
    /// One index per pixel, row by row.
    pub indices: Vec<u8>,
}

/// Slots of the colour table: a power of two, at least twice [`MAX_COLOURS`].
const SLOTS: usize = 1024;

/// A small open-addressing map from RGBA (as a `u32`) to index.
struct Table {
    keys: [u32; SLOTS],
    /// Index + 1; 0 is an empty slot.
    values: [u16; SLOTS],
}

impl Table {
    /// The index of `key`, inserting it as `next` if it is new.
    #[inline]
    fn get_or_insert(&mut self, key: u32, next: u16) -> (u16, bool) {
        let mut slot = (key.wrapping_mul(0x9E37_79B1) >> 22) as usize;
        loop {
            match self.values[slot] {
                0 => {
                    self.keys[slot] = key;
                    self.values[slot] = next + 1;
                    return (next, true);
                }
                v if self.keys[slot] == key => return (v - 1, false),
                _ => slot = (slot + 1) & (SLOTS - 1),
            }
        }
    }
}

/// The image `rgba` (straight RGBA, 4 bytes a pixel) as palette indices, or
/// `None` when it has more than [`MAX_COLOURS`] colours (found as soon as
/// the 257th appears).
pub fn index(rgba: &[u8]) -> Option<Indexed> {
    let mut table = Table { keys: [0; SLOTS], values: [0; SLOTS] };
    let mut colours: Vec<[u8; 4]> = Vec::new();
    let mut indices = Vec::with_capacity(rgba.len() / 4);
    // Runs of one colour are common: look the table up only when it changes.
    let mut last: Option<(u32, u8)> = None;
    for p in rgba.chunks_exact(4) {
        let key = u32::from_le_bytes([p[0], p[1], p[2], p[3]]);
        let i = match last {
            Some((k, i)) if k == key => i,
            _ => {
                let (i, new) = table.get_or_insert(key, colours.len() as u16);
                if new {
                    if colours.len() == MAX_COLOURS {
                        return None;
                    }
                    colours.push([p[0], p[1], p[2], p[3]]);
                }
                let i = i as u8;
                last = Some((key, i));
                i
            }
        };
        indices.push(i);
    }
    // Colours that are not opaque first, each group in order of appearance.
    let mut order: Vec<usize> = (0..colours.len()).collect();
    order.sort_by_key(|&i| colours[i][3] == 255);
    let mut remap = [0u8; MAX_COLOURS];
    for (new, &old) in order.iter().enumerate() {
        remap[old] = new as u8;
    }
    if order.iter().enumerate().any(|(new, &old)| new != old) {
        indices.iter_mut().for_each(|i| *i = remap[usize::from(*i)]);
    }
    let colours = order.iter().map(|&i| colours[i]).collect();
    Some(Indexed { colours, indices })
}

impl Indexed {
    /// Bits per pixel: the fewest of 1, 2, 4 and 8 that index every colour.
    pub fn depth(&self) -> u8 {
        match self.colours.len() {
            0..=2 => 1,
            3..=4 => 2,
            5..=16 => 4,
            _ => 8,
        }
    }

    /// The `PLTE` chunk's data: RGB of each colour.
    pub fn plte(&self) -> Vec<u8> {
        self.colours.iter().flat_map(|c| [c[0], c[1], c[2]]).collect()
    }

    /// The `tRNS` chunk's data: alpha of each colour up to the last that is
    /// not opaque; `None` when every colour is opaque.
    pub fn trns(&self) -> Option<Vec<u8>> {
        let n = self.colours.iter().take_while(|c| c[3] != 255).count();
        (n > 0).then(|| self.colours[..n].iter().map(|c| c[3]).collect())
    }

    /// Row `y` of an image `width` pixels wide, packed at [`Indexed::depth`]
    /// bits per pixel, leftmost pixel in the high bits, into `out`
    /// (`⌈width · depth / 8⌉` bytes).
    pub fn pack_row(&self, width: usize, y: usize, out: &mut [u8]) {
        let row = &self.indices[y * width..(y + 1) * width];
        let depth = usize::from(self.depth());
        if depth == 8 {
            out.copy_from_slice(row);
            return;
        }
        let per_byte = 8 / depth;
        for (byte, chunk) in out.iter_mut().zip(row.chunks(per_byte)) {
            let mut b = 0u8;
            for (k, &i) in chunk.iter().enumerate() {
                b |= i << (8 - depth * (k + 1));
            }
            *byte = b;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_colours_and_stops_at_257() {
        let rgba: Vec<u8> = (0..256u32).flat_map(|i| [i as u8, 0, 0, 255]).collect();
        assert_eq!(index(&rgba).map(|p| p.colours.len()), Some(256));
        let mut more = rgba.clone();
        more.extend([0, 1, 0, 255]);
        assert_eq!(index(&more), None);
    }

    #[test]
    fn translucent_colours_come_first() {
        // opaque red, clear, opaque red, half green
        let rgba = [255, 0, 0, 255, 0, 0, 0, 0, 255, 0, 0, 255, 0, 255, 0, 128];
        let p = index(&rgba).unwrap();
        assert_eq!(p.colours, vec![[0, 0, 0, 0], [0, 255, 0, 128], [255, 0, 0, 255]]);
        assert_eq!(p.indices, vec![2, 0, 2, 1]);
        assert_eq!(p.trns(), Some(vec![0, 128]));
        assert_eq!(p.depth(), 2);
    }

    #[test]
    fn rows_pack_high_bits_first() {
        // Five colours: depth 4; three colours: depth 2; two: depth 1.
        let p = Indexed { colours: vec![[0; 4]; 5], indices: vec![1, 2, 3, 4, 0] };
        let mut out = [0u8; 3];
        p.pack_row(5, 0, &mut out);
        assert_eq!(out, [0x12, 0x34, 0x00]);
        let p = Indexed { colours: vec![[0; 4]; 3], indices: vec![1, 2, 0, 1, 2] };
        let mut out = [0u8; 2];
        p.pack_row(5, 0, &mut out);
        assert_eq!(out, [0b0110_0001, 0b1000_0000]);
        let p = Indexed { colours: vec![[0; 4]; 2], indices: vec![1, 0, 1, 1, 0, 0, 0, 0, 1] };
        let mut out = [0u8; 2];
        p.pack_row(9, 0, &mut out);
        assert_eq!(out, [0b1011_0000, 0b1000_0000]);
    }
}
