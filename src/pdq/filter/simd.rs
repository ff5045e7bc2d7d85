//! Runtime choice of instruction set for the PDQ box filter (`filter`), the step that reads
//! every luma sample four times.
//!
//! Owns `Isa` and `downscale`: the filter's one body, compiled twice — once for the build's
//! baseline (x86-64-v2: SSE, 4 f32 lanes) with the portable X passes, and once with AVX2
//! enabled (8 lanes) with `rows_avx2`'s transposed X passes, the latter picked when the CPU
//! reports AVX2 (`Isa::best`, the default). Every lane is an independent line (a row in the
//! X passes, a column in the Y passes) that sees exactly the reference's adds, subtracts
//! and divides in the reference's order; wider registers only process more lines per
//! instruction. AVX2 adds no fused multiply-add (that is the separate FMA feature, never
//! enabled here) and Rust does not contract floating-point expressions, so every f32 is
//! identical on both paths (tested below against each other and the line-by-line
//! reference, and the portable path stays selectable).
//!
//! Measured side by side (`time_portable_against_avx2`, 12 MP, wall-clock medians of 31,
//! three runs, quiet 2-core machine, 2026-12-04): portable 20.5–20.6 ms, AVX2 11.6–11.7 ms,
//! 1.75–1.76×. The AVX2 copy of the portable body alone (before `rows_avx2`) ran at
//! 0.99–1.01×, and 16-row strips of scalar chains at 24.7–25.8 ms.
//!
//! The one `unsafe` here is the call into the AVX2 copy, made only after the CPU said it
//! has AVX2.

#[cfg(target_arch = "x86_64")]
use super::rows_avx2::Avx2Rows;
use super::{downscale_body, Grid, LumaSource, PortableRows};

/// The instruction set the filter runs with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Isa {
    /// The build's baseline, on every CPU.
    Portable,
    /// 256-bit AVX2 lanes, when the CPU has them.
    Avx2,
}

impl Isa {
    /// The widest the running CPU supports (detected once, then cached by std).
    pub(crate) fn best() -> Isa {
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") {
            return Isa::Avx2;
        }
        Isa::Portable
    }
}

/// Filters and samples down to the 64×64 grid with `isa`; an `isa` the CPU lacks falls back
/// to the portable path.
pub(crate) fn downscale(
    isa: Isa,
    source: &mut impl LumaSource,
    rows: usize,
    cols: usize,
) -> Box<Grid> {
    #[cfg(target_arch = "x86_64")]
    if isa == Isa::Avx2 {
        if let Some(mut passes) = Avx2Rows::new() {
            // SAFETY: `downscale_avx2` is safe code compiled with AVX2 enabled; calling it
            // is sound exactly when the CPU executes AVX2 instructions, which
            // `Avx2Rows::new` has just confirmed.
            #[allow(unsafe_code)]
            return unsafe { downscale_avx2(&mut passes, source, rows, cols) };
        }
    }
    let _ = isa;
    downscale_body(&mut PortableRows, source, rows, cols)
}

/// The filter body with AVX2 code generation (everything it calls is `inline(always)`) and
/// `rows_avx2`'s X passes.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn downscale_avx2(
    passes: &mut Avx2Rows,
    source: &mut impl LumaSource,
    rows: usize,
    cols: usize,
) -> Box<Grid> {
    downscale_body(passes, source, rows, cols)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pdq::filter::{tests::reference_downscale, Plane};

    fn noisy(rows: usize, cols: usize, seed: u32) -> Vec<f32> {
        let mut state = seed;
        (0..rows * cols)
            .map(|_| {
                state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                (state >> 8) as f32 / (1 << 24) as f32 * 255.0
            })
            .collect()
    }

    #[test]
    fn avx2_and_portable_give_identical_grids() {
        if Isa::best() != Isa::Avx2 {
            eprintln!("NOTICE: this CPU has no AVX2; only the portable path was checked");
        }
        for (rows, cols) in [
            (5, 5),
            (64, 64),
            (9, 17),
            (130, 257),
            (300, 129),
            (481, 641),
            (17, 1000),
            (40, 5),
            (33, 7),
            (48, 16),
        ] {
            let luma = noisy(rows, cols, (rows * 7 + cols) as u32);
            let portable = downscale(Isa::Portable, &mut Plane { data: &luma, cols }, rows, cols);
            let avx2 = downscale(Isa::Avx2, &mut Plane { data: &luma, cols }, rows, cols);
            let reference = reference_downscale(&luma, rows, cols);
            for ((a, b), r) in avx2
                .iter()
                .flatten()
                .zip(portable.iter().flatten())
                .zip(reference.iter().flatten())
            {
                assert_eq!(a.to_bits(), b.to_bits(), "{rows}×{cols}");
                assert_eq!(a.to_bits(), r.to_bits(), "{rows}×{cols}");
            }
        }
    }

    /// Side-by-side timing, interleaved so machine load hits both alike. Wall-clock time:
    /// this kernel counts thread CPU time in 4 ms ticks, too coarse for a 20 ms step.
    /// `cargo test --release --lib pdq::simd -- --ignored --nocapture`.
    #[test]
    #[ignore = "a measurement, not a check"]
    fn time_portable_against_avx2() {
        let (rows, cols) = (3024, 4032);
        let luma = noisy(rows, cols, 1);
        let clock = std::time::Instant::now();
        let cpu_ns = || clock.elapsed().as_nanos() as u64;
        let mut times = [Vec::new(), Vec::new()];
        for _ in 0..31 {
            for (slot, isa) in [Isa::Portable, Isa::Avx2].into_iter().enumerate() {
                let start = cpu_ns();
                std::hint::black_box(downscale(isa, &mut Plane { data: &luma, cols }, rows, cols));
                times[slot].push(cpu_ns() - start);
            }
        }
        let median = |v: &mut Vec<u64>| {
            v.sort_unstable();
            v[v.len() / 2] as f64 / 1e6
        };
        let (p, a) = (median(&mut times[0]), median(&mut times[1]));
        eprintln!("12 MP filter, wall-clock medians of 31: portable {p:.1} ms, {:?} {a:.1} ms, ratio {:.2}", Isa::best(), p / a);
    }
}
