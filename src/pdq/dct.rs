//! The image-domain quality metric and the 16×16 partial DCT of the 64×64 grid
//! (PDQ.md steps 6 and 7; `pdqhashing.cpp` `pdqImageDomainQualityMetric`, `dct64To16`).
//!
//! Owns the DCT matrix and both products. Every sum runs over k = 0..63 in the reference's
//! order; the loops are arranged so the compiler vectorises across independent outputs
//! (columns of the product), never across k, which would change the rounding.

use std::sync::OnceLock;

use super::filter::{Grid, GRID};

/// A 16×16 block of DCT coefficients: row i is vertical frequency i+1, column j horizontal.
pub(crate) type Dct16 = [[f32; 16]; 16];

type DctMatrix = [[f32; GRID]; 16];

/// `D[i][j] = (f32)((f64)s · cos((π/2/64)·(i+1)·(2j+1)))` with `s = (f32)sqrt(2/64)`,
/// the products in the cosine argument in f64, left to right, exactly as the reference's
/// initialiser (PDQ.md step 7). The DC basis is left out. Computed once.
fn dct_matrix() -> &'static DctMatrix {
    static MATRIX: OnceLock<DctMatrix> = OnceLock::new();
    MATRIX.get_or_init(|| {
        let scale = (2.0f64 / GRID as f64).sqrt() as f32;
        let step = std::f64::consts::PI / 2.0 / GRID as f64;
        let mut d = [[0.0f32; GRID]; 16];
        for (i, row) in d.iter_mut().enumerate() {
            for (j, entry) in row.iter_mut().enumerate() {
                let arg = step * (i + 1) as f64 * (2 * j + 1) as f64;
                *entry = (f64::from(scale) * arg.cos()) as f32;
            }
        }
        d
    })
}

/// `B = D · A · Dᵀ` in two stages, f32 accumulators from 0.0, k ascending.
pub(crate) fn dct64_to_16(a: &Grid) -> Dct16 {
    let d = dct_matrix();
    // T[i][j] = Σ_k D[i][k]·A[k][j]: for fixed (i, k) the update runs over all 64 j at once.
    let mut t = [[0.0f32; GRID]; 16];
    for (t_row, d_row) in t.iter_mut().zip(d.iter()) {
        for (&dik, a_row) in d_row.iter().zip(a.iter()) {
            for (acc, &akj) in t_row.iter_mut().zip(a_row.iter()) {
                *acc += dik * akj;
            }
        }
    }
    // B[i][j] = Σ_k T[i][k]·D[j][k]: with Dᵀ the update runs over all 16 j at once.
    let mut dt = [[0.0f32; 16]; GRID];
    for (j, d_row) in d.iter().enumerate() {
        for (k, &v) in d_row.iter().enumerate() {
            dt[k][j] = v;
        }
    }
    let mut b = [[0.0f32; 16]; 16];
    for (b_row, t_row) in b.iter_mut().zip(t.iter()) {
        for (&tik, dt_row) in t_row.iter().zip(dt.iter()) {
            for (acc, &dkj) in b_row.iter_mut().zip(dt_row.iter()) {
                *acc += tik * dkj;
            }
        }
    }
    b
}

/// Sum of quantised gradients between neighbours, vertical pairs then horizontal pairs,
/// `/ 90` capped at 100. Each difference is `(int)((u − v)·100/255)` in f32, so steps
/// under 2.55 grey levels count for nothing.
pub(crate) fn quality(a: &Grid) -> u32 {
    let step = |u: f32, v: f32| (((u - v) * 100.0) / 255.0) as i32;
    let mut sum: u64 = 0;
    for pair in a.windows(2) {
        for (&u, &v) in pair[0].iter().zip(pair[1].iter()) {
            sum += u64::from(step(u, v).unsigned_abs());
        }
    }
    for row in a.iter() {
        for pair in row.windows(2) {
            sum += u64::from(step(pair[0], pair[1]).unsigned_abs());
        }
    }
    // Bounded by 100 before narrowing.
    (sum / 90).min(100) as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matrix_matches_reference_bit_patterns() {
        // Spot values recomputed with the reference formula in double precision.
        let d = dct_matrix();
        let scale = f32::from_bits(0x3E35_04F3);
        assert_eq!((2.0f64 / 64.0).sqrt() as f32, scale);
        let expect = |i: usize, j: usize| {
            (f64::from(scale)
                * (std::f64::consts::PI / 2.0 / 64.0 * (i + 1) as f64 * (2 * j + 1) as f64).cos())
                as f32
        };
        for (i, j) in [(0, 0), (3, 17), (15, 63), (7, 32)] {
            assert_eq!(d[i][j].to_bits(), expect(i, j).to_bits());
        }
    }

    #[test]
    fn flat_grid_has_zero_quality_and_near_zero_dct() {
        let grid: Grid = [[100.0; GRID]; GRID];
        assert_eq!(quality(&grid), 0);
        assert!(dct64_to_16(&grid).iter().flatten().all(|v| v.abs() < 1e-2));
    }

    #[test]
    fn quality_truncates_small_steps_and_caps() {
        let mut grid: Grid = [[0.0; GRID]; GRID];
        for (i, row) in grid.iter_mut().enumerate() {
            row.fill(if i % 2 == 0 { 0.0 } else { 2.5 });
        }
        assert_eq!(quality(&grid), 0, "2.5 levels is below the 2.55 quantum");
        for (i, row) in grid.iter_mut().enumerate() {
            row.fill(if i % 2 == 0 { 0.0 } else { 255.0 });
        }
        assert_eq!(quality(&grid), 100);
    }
}
