//! The eight dihedral variants (rotations and flips) of a PDQ hash, all taken from the one
//! DCT of the original picture (PDQ.md step 10; `pdqhashing.cpp` `dct16OriginalTo*`).
//!
//! Owns `Dihedral` and the sign/transpose rule for each variant. A flip changes the sign of
//! odd basis functions (0-based index even) and a quarter turn transposes the block. Each
//! variant is then thresholded at its own median by `PdqHash::from_dct`.

use std::fmt;

use super::dct::Dct16;

/// One of the eight symmetries of the square, named as the reference's output pointers
/// (`hashptrOriginal`, `hashptrRotate90`, …). Declaration order is the reference order and
/// the index into `PdqOutput::hashes`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Dihedral {
    /// The picture as stored.
    Original,
    /// Turned 90° counter-clockwise.
    Rotate90,
    /// Turned 180°.
    Rotate180,
    /// Turned 90° clockwise.
    Rotate270,
    /// Top and bottom swapped.
    FlipX,
    /// Mirror image: left and right swapped.
    FlipY,
    /// Transposed about the main diagonal (top-left to bottom-right fixed).
    FlipPlus1,
    /// Transposed about the anti-diagonal (top-right to bottom-left fixed).
    FlipMinus1,
}

impl Dihedral {
    /// All variants in reference order.
    pub const ALL: [Dihedral; 8] = [
        Dihedral::Original,
        Dihedral::Rotate90,
        Dihedral::Rotate180,
        Dihedral::Rotate270,
        Dihedral::FlipX,
        Dihedral::FlipY,
        Dihedral::FlipPlus1,
        Dihedral::FlipMinus1,
    ];

    /// Stable lowercase name for reports: the reference's identifier, lowercased.
    pub fn name(self) -> &'static str {
        match self {
            Dihedral::Original => "original",
            Dihedral::Rotate90 => "rotate90",
            Dihedral::Rotate180 => "rotate180",
            Dihedral::Rotate270 => "rotate270",
            Dihedral::FlipX => "flipx",
            Dihedral::FlipY => "flipy",
            Dihedral::FlipPlus1 => "flipplus1",
            Dihedral::FlipMinus1 => "flipminus1",
        }
    }

    /// Position in `ALL` and in `PdqOutput::hashes`.
    pub fn index(self) -> usize {
        self as usize
    }

    /// The DCT block of the transformed picture: `B'[i][j]` (or `B'[j][i]` when the variant
    /// transposes) is `±B[i][j]`, with the signs of the reference table.
    pub(crate) fn apply(self, block: &Dct16) -> Dct16 {
        let even = |k: usize| k.is_multiple_of(2);
        let odd_sum = |i: usize, j: usize| !(i + j).is_multiple_of(2);
        let (transpose, negate): (bool, &dyn Fn(usize, usize) -> bool) = match self {
            Dihedral::Original => (false, &|_, _| false),
            Dihedral::Rotate90 => (true, &|_, j| even(j)),
            Dihedral::Rotate180 => (false, &odd_sum),
            Dihedral::Rotate270 => (true, &|i, _| even(i)),
            Dihedral::FlipX => (false, &|i, _| even(i)),
            Dihedral::FlipY => (false, &|_, j| even(j)),
            Dihedral::FlipPlus1 => (true, &|_, _| false),
            Dihedral::FlipMinus1 => (true, &odd_sum),
        };
        let mut out = [[0.0f32; 16]; 16];
        for (i, row) in block.iter().enumerate() {
            for (j, &value) in row.iter().enumerate() {
                let value = if negate(i, j) { -value } else { value };
                if transpose {
                    out[j][i] = value;
                } else {
                    out[i][j] = value;
                }
            }
        }
        out
    }
}

impl fmt::Display for Dihedral {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn numbered() -> Dct16 {
        std::array::from_fn(|i| std::array::from_fn(|j| (16 * i + j + 1) as f32))
    }

    #[test]
    fn order_names_and_indices_are_stable() {
        let names: Vec<_> = Dihedral::ALL.iter().map(|d| d.name()).collect();
        assert_eq!(
            names,
            [
                "original",
                "rotate90",
                "rotate180",
                "rotate270",
                "flipx",
                "flipy",
                "flipplus1",
                "flipminus1"
            ]
        );
        for (k, d) in Dihedral::ALL.iter().enumerate() {
            assert_eq!(d.index(), k);
        }
    }

    #[test]
    fn variants_follow_reference_sign_table() {
        let b = numbered();
        assert_eq!(Dihedral::Original.apply(&b), b);
        let r90 = Dihedral::Rotate90.apply(&b);
        assert_eq!(r90[1][0], b[0][1]); // j = 1 odd: kept
        assert_eq!(r90[0][1], -b[1][0]); // j = 0 even: negated
        let fm = Dihedral::FlipMinus1.apply(&b);
        assert_eq!(fm[2][1], -b[1][2]);
        assert_eq!(fm[3][1], b[1][3]);
        // Two quarter turns make exactly a half turn.
        assert_eq!(
            Dihedral::Rotate90.apply(&r90),
            Dihedral::Rotate180.apply(&b)
        );
    }
}
