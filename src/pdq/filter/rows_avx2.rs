//! The filter's X passes with AVX2: sixteen rows at once, one f32 lane per row, with the
//! rows turned into lanes by in-register 8×8 transposes.
//!
//! Owns `Avx2Rows`, the `RowPasses` the AVX2 filter runs. A row's running sum is a chain of
//! dependent adds along the row, and neighbouring rows' values are `cols` apart, so the
//! portable passes keep one scalar chain per row. Here each block of 8 columns × 8 rows is
//! loaded as eight vectors and transposed in registers (unpack, shuffle, lane permute:
//! 24 shuffles per 64 values), so that one vector holds one column of 8 rows; the running
//! sums then advance 16 rows per step in two registers, which keeps two add chains in
//! flight, and pass 1's divides are vector divides. Pass 1 transposes its outputs back into
//! rows the same way; pass 3 keeps only the 64 sampled columns and transposes nothing back.
//!
//! Every lane gets exactly the reference's adds, subtracts and divides in the reference's
//! order (`filter::box_lanes_with` documents the phases): a vector add, subtract or divide is
//! the scalar IEEE operation in each lane, and no FMA is used. The `unsafe` here is the
//! calls into AVX2 code, made only by an `Avx2Rows`, which exists only where the CPU
//! reported AVX2, and the unaligned loads and stores between row-major slices and
//! registers, each within a slice whose bounds were checked.

use std::arch::x86_64::{
    __m256, _mm256_add_ps, _mm256_div_ps, _mm256_loadu_ps, _mm256_permute2f128_ps, _mm256_set1_ps,
    _mm256_setzero_ps, _mm256_shuffle_ps, _mm256_storeu_ps, _mm256_sub_ps, _mm256_unpackhi_ps,
    _mm256_unpacklo_ps,
};

use super::{box_lanes_with, full_row_by_row, sampled_row_by_row, RowPasses, Window, GRID};

/// Rows per strip: two registers of 8 lanes, two independent add chains.
const STRIP: usize = 16;

/// One column of a strip: the 16 rows' values, rows 0–7 in the first register.
type Column = [__m256; 2];

/// The X passes with AVX2. Only `Avx2Rows::new` makes one, and only on a CPU with AVX2.
pub(super) struct Avx2Rows {
    /// The strip being filtered, one `Column` per column.
    columns: Vec<Column>,
    /// Pass 1's outputs, one `Column` per column, before they are turned back into rows;
    /// pass 3's running sums before the sampled columns are divided.
    outputs: Vec<Column>,
    /// Pass 3's divisor for each column.
    counts: Vec<f32>,
}

impl Avx2Rows {
    /// `None` unless the running CPU has AVX2.
    pub(super) fn new() -> Option<Self> {
        std::arch::is_x86_feature_detected!("avx2").then(|| Avx2Rows {
            columns: Vec::new(),
            outputs: Vec::new(),
            counts: Vec::new(),
        })
    }
}

impl RowPasses for Avx2Rows {
    const STRIP: usize = STRIP;

    #[inline(always)]
    fn full(&mut self, input: &[f32], output: &mut [f32], n: usize, cols: usize, win: Window) {
        if n < STRIP {
            return full_row_by_row(input, output, cols, win);
        }
        // SAFETY: `new` returned this value only after the CPU reported AVX2.
        #[allow(unsafe_code)]
        unsafe {
            full_avx2(self, input, output, cols, win)
        }
    }

    #[inline(always)]
    fn sampled(
        &mut self,
        input: &[f32],
        kept: &mut [f32],
        n: usize,
        cols: usize,
        win: Window,
        samples: &[usize; GRID],
    ) {
        if n < STRIP {
            return sampled_row_by_row(input, kept, cols, win, samples);
        }
        // SAFETY: `new` returned this value only after the CPU reported AVX2.
        #[allow(unsafe_code)]
        unsafe {
            sampled_avx2(self, input, kept, cols, win, samples)
        }
    }
}

/// Pass 1 on a full strip (`input` and `output` are `STRIP × cols`, row-major).
#[target_feature(enable = "avx2")]
fn full_avx2(kernels: &mut Avx2Rows, input: &[f32], output: &mut [f32], cols: usize, win: Window) {
    to_columns(input, cols, &mut kernels.columns);
    let outputs = sized(&mut kernels.outputs, cols);
    box_columns(&kernels.columns, win, |oi, sum, count| {
        let count = _mm256_set1_ps(count);
        outputs[oi] = [_mm256_div_ps(sum[0], count), _mm256_div_ps(sum[1], count)];
    });
    to_rows(outputs, output, cols);
}

/// Pass 3 on a full strip, keeping the sampled columns (`kept` is `STRIP × 64`).
#[target_feature(enable = "avx2")]
fn sampled_avx2(
    kernels: &mut Avx2Rows,
    input: &[f32],
    kept: &mut [f32],
    cols: usize,
    win: Window,
    samples: &[usize; GRID],
) {
    to_columns(input, cols, &mut kernels.columns);
    let (sums, counts) = (sized(&mut kernels.outputs, cols), &mut kernels.counts);
    counts.resize(cols, 0.0);
    box_columns(&kernels.columns, win, |oi, sum, count| {
        sums[oi] = *sum;
        counts[oi] = count;
    });
    // Divided only at the sampled columns (a column sampled twice, cols < 64, is kept twice).
    for (next, &c) in samples.iter().enumerate() {
        let count = _mm256_set1_ps(counts[c]);
        let quotient = [
            _mm256_div_ps(sums[c][0], count),
            _mm256_div_ps(sums[c][1], count),
        ];
        for (lane, value) in lanes_of(quotient).into_iter().enumerate() {
            kept[lane * GRID + next] = value;
        }
    }
}

/// The reference `box1DFloat` along the strip's rows, on its columns: `box_lanes_with`'s phases
/// with a `Column` of 16 running sums.
#[target_feature(enable = "avx2")]
#[inline]
fn box_columns(columns: &[Column], win: Window, emit: impl FnMut(usize, &Column, f32)) {
    let zero = _mm256_setzero_ps();
    box_lanes_with(
        columns.len(),
        win,
        [zero, zero],
        |sum: &mut Column, i| {
            sum[0] = _mm256_add_ps(sum[0], columns[i][0]);
            sum[1] = _mm256_add_ps(sum[1], columns[i][1]);
        },
        |sum: &mut Column, i| {
            sum[0] = _mm256_sub_ps(sum[0], columns[i][0]);
            sum[1] = _mm256_sub_ps(sum[1], columns[i][1]);
        },
        emit,
    );
}

/// Transposes an 8×8 block: `rows[r]` lane `c` becomes lane `r` of the result's `c`.
#[target_feature(enable = "avx2")]
#[inline]
fn transpose8(rows: [__m256; 8]) -> [__m256; 8] {
    let [r0, r1, r2, r3, r4, r5, r6, r7] = rows;
    let (t0, t1) = (_mm256_unpacklo_ps(r0, r1), _mm256_unpackhi_ps(r0, r1));
    let (t2, t3) = (_mm256_unpacklo_ps(r2, r3), _mm256_unpackhi_ps(r2, r3));
    let (t4, t5) = (_mm256_unpacklo_ps(r4, r5), _mm256_unpackhi_ps(r4, r5));
    let (t6, t7) = (_mm256_unpacklo_ps(r6, r7), _mm256_unpackhi_ps(r6, r7));
    let s0 = _mm256_shuffle_ps::<0x44>(t0, t2);
    let s1 = _mm256_shuffle_ps::<0xEE>(t0, t2);
    let s2 = _mm256_shuffle_ps::<0x44>(t1, t3);
    let s3 = _mm256_shuffle_ps::<0xEE>(t1, t3);
    let s4 = _mm256_shuffle_ps::<0x44>(t4, t6);
    let s5 = _mm256_shuffle_ps::<0xEE>(t4, t6);
    let s6 = _mm256_shuffle_ps::<0x44>(t5, t7);
    let s7 = _mm256_shuffle_ps::<0xEE>(t5, t7);
    [
        _mm256_permute2f128_ps::<0x20>(s0, s4),
        _mm256_permute2f128_ps::<0x20>(s1, s5),
        _mm256_permute2f128_ps::<0x20>(s2, s6),
        _mm256_permute2f128_ps::<0x20>(s3, s7),
        _mm256_permute2f128_ps::<0x31>(s0, s4),
        _mm256_permute2f128_ps::<0x31>(s1, s5),
        _mm256_permute2f128_ps::<0x31>(s2, s6),
        _mm256_permute2f128_ps::<0x31>(s3, s7),
    ]
}

/// A strip's 16 rows of `cols` values (row-major) as one `Column` per column. (No closures
/// or iterator adaptors over registers here: the optimiser does not always inline them, and
/// a register passed through a call goes through memory.)
#[target_feature(enable = "avx2")]
fn to_columns(input: &[f32], cols: usize, columns: &mut Vec<Column>) {
    let columns = sized(columns, cols);
    let zero = _mm256_setzero_ps();
    let whole = cols / 8 * 8;
    for c in (0..whole).step_by(8) {
        for half in 0..2 {
            let mut block = [zero; 8];
            for (r, row) in block.iter_mut().enumerate() {
                let eight = &input[(8 * half + r) * cols + c..][..8];
                // SAFETY: `eight` is 8 f32 in bounds; the load is unaligned.
                #[allow(unsafe_code)]
                unsafe {
                    *row = _mm256_loadu_ps(eight.as_ptr());
                }
            }
            let lanes = transpose8(block);
            for (k, column) in columns[c..c + 8].iter_mut().enumerate() {
                column[half] = lanes[k];
            }
        }
    }
    for (c, column) in columns.iter_mut().enumerate().skip(whole) {
        let mut lanes = [0.0f32; STRIP];
        for (r, lane) in lanes.iter_mut().enumerate() {
            *lane = input[r * cols + c];
        }
        *column = column_of(lanes);
    }
}

/// `columns` with `cols` entries, to be overwritten. Every strip of a picture has the same
/// width, so this zeroes only on a picture's first strip.
#[target_feature(enable = "avx2")]
#[inline]
fn sized(columns: &mut Vec<Column>, cols: usize) -> &mut [Column] {
    if columns.len() != cols {
        let zero = _mm256_setzero_ps();
        columns.clear();
        columns.resize(cols, [zero, zero]);
    }
    columns
}

/// One `Column` per column back into a strip's 16 rows of `cols` values (row-major).
#[target_feature(enable = "avx2")]
fn to_rows(columns: &[Column], output: &mut [f32], cols: usize) {
    let whole = cols / 8 * 8;
    for c in (0..whole).step_by(8) {
        for half in 0..2 {
            let mut block = [_mm256_setzero_ps(); 8];
            for (k, lanes) in block.iter_mut().enumerate() {
                *lanes = columns[c + k][half];
            }
            let rows = transpose8(block);
            for (r, row) in rows.into_iter().enumerate() {
                let eight = &mut output[(8 * half + r) * cols + c..][..8];
                // SAFETY: `eight` is 8 f32 in bounds; the store is unaligned.
                #[allow(unsafe_code)]
                unsafe {
                    _mm256_storeu_ps(eight.as_mut_ptr(), row)
                }
            }
        }
    }
    for (c, column) in columns.iter().enumerate().skip(whole) {
        for (r, value) in lanes_of(*column).into_iter().enumerate() {
            output[r * cols + c] = value;
        }
    }
}

/// 16 values, row 0 first, as a `Column`.
#[target_feature(enable = "avx2")]
#[inline]
fn column_of(lanes: [f32; STRIP]) -> Column {
    let (top, bottom) = lanes.split_at(8);
    // SAFETY: each half of `lanes` holds 8 f32; the loads are unaligned.
    #[allow(unsafe_code)]
    unsafe {
        [
            _mm256_loadu_ps(top.as_ptr()),
            _mm256_loadu_ps(bottom.as_ptr()),
        ]
    }
}

/// A `Column`'s 16 values, row 0 first.
#[target_feature(enable = "avx2")]
#[inline]
fn lanes_of(column: Column) -> [f32; STRIP] {
    let mut lanes = [0.0f32; STRIP];
    let (top, bottom) = lanes.split_at_mut(8);
    // SAFETY: each half of `lanes` holds 8 f32; the stores are unaligned.
    #[allow(unsafe_code)]
    unsafe {
        _mm256_storeu_ps(top.as_mut_ptr(), column[0]);
        _mm256_storeu_ps(bottom.as_mut_ptr(), column[1]);
    }
    lanes
}
