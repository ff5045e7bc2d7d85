//! The Jarosz "tent" filter and the decimation to the 64×64 grid (PDQ.md steps 4 and 5;
//! `downscaling.cpp` `jaroszFilterFloat`, `box1DFloat`, `decimateFloat`).
//!
//! Owns the running-sum box filter. The reference runs it X, Y, X, Y over two full-size
//! buffers, one line at a time; each line's running sum is a chain of dependent f32 adds,
//! which is slow and, for the Y passes, strided. Here every line still gets exactly the
//! reference's sequence of adds, subtracts and divides, but lines are processed several at
//! a time so the compiler can use SIMD lanes across them:
//! * X passes run on strips of rows, one lane per row. The rows' values are `cols` apart:
//!   the portable path (`PortableRows`) keeps one scalar chain per row, `LANES` rows at a
//!   time so that independent chains hide the add latency; the AVX2 path (`rows_avx2`)
//!   transposes 8×8 blocks in registers so that the adds, subtracts and divides are vector
//!   operations on 16 rows at once (12 MP: 22.7 → 13.2–14.2 ms). Copying each strip into
//!   an interleaved layout with plain loads and stores instead measured 22.0–27.2 ms
//!   against 22.4 ms: those transposes cost what the vector arithmetic saved;
//! * Y passes advance the running sums of all columns together, one row at a time; pass 2
//!   adds the entering row, subtracts the leaving one and divides in one sweep over the
//!   columns (12 MP, AVX2: 13.2–14.2 → 11.6–11.7 ms against three sweeps). Dividing there
//!   and in pass 1 without the divider (a reciprocal and an exact FMA correction) measured
//!   no faster (11.9–12.3 ms): the divides already overlap the memory traffic;
//! * the second Y pass only needs the 64 sampled columns, and the second X pass only
//!   divides at those columns; the second Y pass only divides at the 64 sampled rows.
//!
//! Leaves out luma conversion (`luma`) and everything after the grid (`dct`). Which body
//! runs is picked at run time in `simd`.

#[cfg(target_arch = "x86_64")]
mod rows_avx2;
mod simd;

/// Side of the downsampled grid.
pub(crate) const GRID: usize = 64;

/// The 64×64 downsampled luma, row-major.
pub(crate) type Grid = [[f32; GRID]; GRID];

/// Rows per X-pass strip: 8 f32 lanes = two SSE registers, enough independent chains to hide
/// the add latency.
const LANES: usize = 8;

/// `ceil(dim / 128)`: two passes of this width make a tent about one 64th of `dim` wide
/// (`computeJaroszFilterWindowSize(dim, 64)`).
pub(crate) fn window_size(dim: usize) -> usize {
    dim.div_ceil(2 * GRID)
}

/// Source index of each grid cell along a side of `dim`: the cell centre
/// `floor((i + 0.5)·dim/64)`, which the reference computes in f64 and is exact in integers.
fn sample_indices(dim: usize) -> [usize; GRID] {
    std::array::from_fn(|i| ((2 * i + 1) * dim) / (2 * GRID))
}

/// The box window split as the reference does: `half = (w + 2) / 2`; output k averages the
/// inputs from k − (w − half) to k + half − 1, clipped to the line.
#[derive(Debug, Clone, Copy)]
struct Window {
    w: usize,
    half: usize,
}

impl Window {
    fn new(w: usize) -> Self {
        Window {
            w,
            half: (w + 2) / 2,
        }
    }
}

/// Where the filter gets its input: `count` consecutive luma rows from `first`, row-major;
/// the filter asks a strip at a time, in increasing order. Lets a picture be converted to luma
/// strip by strip instead of into one full-size plane.
pub(crate) trait LumaSource {
    fn rows(&mut self, first: usize, count: usize) -> &[f32];
}

/// A luma plane already in memory.
pub(crate) struct Plane<'a> {
    pub data: &'a [f32],
    pub cols: usize,
}

impl LumaSource for Plane<'_> {
    fn rows(&mut self, first: usize, count: usize) -> &[f32] {
        &self.data[first * self.cols..(first + count) * self.cols]
    }
}

/// Pass 1 output, kept only as far as pass 2 still needs it: a ring of whole strips of
/// `strip` rows. Pass 2 reads from the row leaving its window to the one entering it (w + 1
/// rows), and pass 1 runs at most one strip ahead, so `w + strip` rows, rounded up to whole
/// strips (which keeps every strip contiguous in the ring), always suffice.
struct Pass1Ring {
    data: Vec<f32>,
    ring_rows: usize,
    strip: usize,
    cols: usize,
    rows: usize,
    /// Rows produced so far.
    produced: usize,
}

impl Pass1Ring {
    fn new(rows: usize, cols: usize, along_cols: Window, strip: usize) -> Self {
        let ring_rows = (along_cols.w + strip).div_ceil(strip) * strip;
        Pass1Ring {
            data: vec![0.0; ring_rows.min(rows.div_ceil(strip) * strip) * cols],
            ring_rows,
            strip,
            cols,
            rows,
            produced: 0,
        }
    }

    /// Runs pass 1 on further strips until row `last` exists.
    #[inline(always)]
    fn produce_through(
        &mut self,
        last: usize,
        source: &mut impl LumaSource,
        passes: &mut impl RowPasses,
        win: Window,
    ) {
        while self.produced <= last {
            let first = self.produced;
            let n = self.strip.min(self.rows - first);
            let slot = (first % self.ring_rows) * self.cols;
            let out = &mut self.data[slot..slot + n * self.cols];
            passes.full(source.rows(first, n), out, n, self.cols, win);
            self.produced += n;
        }
    }

    fn row(&self, r: usize) -> &[f32] {
        let slot = (r % self.ring_rows) * self.cols;
        &self.data[slot..slot + self.cols]
    }
}

/// Filters the `rows × cols` luma and samples it down to the 64×64 grid, with the
/// widest instruction set the CPU has.
/// Callers guarantee `rows, cols ≥ 1` and that `source` holds `rows × cols` values.
pub(crate) fn downscale(source: &mut impl LumaSource, rows: usize, cols: usize) -> Box<Grid> {
    simd::downscale(simd::Isa::best(), source, rows, cols)
}

/// The filter itself. `inline(always)`, like every helper on its hot path, so that `simd`'s
/// AVX2 copy compiles all of it for AVX2 rather than calling baseline helpers.
#[inline(always)]
fn downscale_body<R: RowPasses>(
    passes: &mut R,
    source: &mut impl LumaSource,
    rows: usize,
    cols: usize,
) -> Box<Grid> {
    let along_rows = Window::new(window_size(cols));
    let along_cols = Window::new(window_size(rows));
    let col_samples = sample_indices(cols);
    let row_samples = sample_indices(rows);

    // Passes 1 (X), 2 (Y) and 3 (X) stream down the picture: pass 1 into the ring, pass 2
    // a row at a time into a strip, pass 3 on each strip, keeping only the sampled columns.
    let mut ring = Pass1Ring::new(rows, cols, along_cols, R::STRIP);
    let mut sampled = vec![0.0f32; rows * GRID];
    let mut vertical = ColumnSums::new(rows, cols, along_cols);
    let mut strip = vec![0.0f32; R::STRIP * cols];
    for (r0, kept) in (0..rows)
        .step_by(R::STRIP)
        .zip(sampled.chunks_mut(R::STRIP * GRID))
    {
        let n = R::STRIP.min(rows - r0);
        for row in strip.chunks_exact_mut(cols).take(n) {
            ring.produce_through(vertical.last_needed(), source, passes, along_rows);
            vertical.advance_into(|r| ring.row(r), row);
        }
        passes.sampled(&strip[..n * cols], kept, n, cols, along_rows, &col_samples);
    }
    drop((ring, strip));

    // Pass 4 (Y) over the kept columns only, dividing only at the sampled rows.
    let mut grid = Box::new([[0.0f32; GRID]; GRID]);
    let mut vertical = ColumnSums::new(rows, GRID, along_cols);
    let mut next = 0;
    for r in 0..rows {
        let count = vertical.advance(|k| &sampled[k * GRID..(k + 1) * GRID]);
        // Several grid rows share a source row when upsampling (rows < 64).
        while next < GRID && row_samples[next] == r {
            vertical.divide_into(&mut grid[next], count);
            next += 1;
        }
    }
    grid
}

/// How the filter runs its X passes (1 and 3) on a strip of rows: the portable lanes below,
/// or `rows_avx2`'s transposed registers.
trait RowPasses {
    /// Rows per strip.
    const STRIP: usize;

    /// Pass 1 on `n ≤ STRIP` rows: every output (`input` and `output` are `n × cols`).
    fn full(&mut self, input: &[f32], output: &mut [f32], n: usize, cols: usize, win: Window);

    /// Pass 3 on `n ≤ STRIP` rows, keeping only the sampled columns (`kept` is `n × 64`).
    fn sampled(
        &mut self,
        input: &[f32],
        kept: &mut [f32],
        n: usize,
        cols: usize,
        win: Window,
        samples: &[usize; GRID],
    );
}

/// The X passes on any CPU: `LANES` rows at a time, one scalar chain per row.
struct PortableRows;

impl RowPasses for PortableRows {
    const STRIP: usize = LANES;

    #[inline(always)]
    fn full(&mut self, input: &[f32], output: &mut [f32], n: usize, cols: usize, win: Window) {
        if n == LANES {
            write_all::<LANES>(input, output, cols, win);
        } else {
            full_row_by_row(input, output, cols, win);
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
        if n == LANES {
            keep_samples::<LANES>(input, kept, cols, win, samples);
        } else {
            sampled_row_by_row(input, kept, cols, win, samples);
        }
    }
}

/// Pass 1 one row at a time: a picture's last strip when it is shorter than a full one.
#[inline(always)]
fn full_row_by_row(input: &[f32], output: &mut [f32], cols: usize, win: Window) {
    for (src, dst) in input.chunks_exact(cols).zip(output.chunks_exact_mut(cols)) {
        write_all::<1>(src, dst, cols, win);
    }
}

/// Pass 3 one row at a time: a picture's last strip when it is shorter than a full one.
#[inline(always)]
fn sampled_row_by_row(
    input: &[f32],
    kept: &mut [f32],
    cols: usize,
    win: Window,
    samples: &[usize; GRID],
) {
    for (src, dst) in input.chunks_exact(cols).zip(kept.chunks_exact_mut(GRID)) {
        keep_samples::<1>(src, dst, cols, win, samples);
    }
}

#[inline(always)]
fn write_all<const N: usize>(input: &[f32], output: &mut [f32], cols: usize, win: Window) {
    box_lanes::<N>(input, cols, win, |oi, sum, count| {
        for (lane, s) in sum.iter().enumerate() {
            output[lane * cols + oi] = s / count;
        }
    });
}

#[inline(always)]
fn keep_samples<const N: usize>(
    input: &[f32],
    kept: &mut [f32],
    cols: usize,
    win: Window,
    samples: &[usize; GRID],
) {
    let mut next = 0;
    box_lanes::<N>(input, cols, win, |oi, sum, count| {
        // `samples` is non-decreasing; a column sampled twice (cols < 64) is kept twice.
        while next < GRID && samples[next] == oi {
            for (lane, s) in sum.iter().enumerate() {
                kept[lane * GRID + next] = s / count;
            }
            next += 1;
        }
    });
}

/// The reference `box1DFloat` along `N` rows at once (`input` is `N × len`, row-major), one
/// scalar running sum per row.
#[inline(always)]
fn box_lanes<const N: usize>(
    input: &[f32],
    len: usize,
    win: Window,
    emit: impl FnMut(usize, &[f32; N], f32),
) {
    // `[..len]` tells the optimiser every row is exactly `len` long, so the indexing below
    // needs no per-sample bounds checks.
    let rows: [&[f32]; N] = std::array::from_fn(|lane| &input[lane * len..][..len]);
    box_lanes_with(
        len,
        win,
        [0.0f32; N],
        |sum, i| {
            for (s, row) in sum.iter_mut().zip(rows.iter()) {
                *s += row[i];
            }
        },
        |sum, i| {
            for (s, row) in sum.iter_mut().zip(rows.iter()) {
                *s -= row[i];
            }
        },
        emit,
    );
}

/// The reference `box1DFloat`'s sequence of operations on a line of `len` samples, for
/// running sums `S` of any shape (one per lane): `add(sum, i)` adds sample `i` to every
/// lane, `sub(sum, i)` subtracts it. Phase 1 adds `half − 1` samples; phase 2 adds then
/// emits `sum / count`; phase 3 adds the entering sample, subtracts the leaving one, emits
/// `sum / w`; phase 4 subtracts and emits with a shrinking count. `emit(index, sums, count)`
/// does the divide, so a caller that only needs some outputs skips the rest.
#[inline(always)]
fn box_lanes_with<S>(
    len: usize,
    win: Window,
    mut sum: S,
    add: impl Fn(&mut S, usize),
    sub: impl Fn(&mut S, usize),
    mut emit: impl FnMut(usize, &S, f32),
) {
    let Window { w, half } = win;
    for ri in 0..half - 1 {
        add(&mut sum, ri);
    }
    let mut oi = 0;
    for ri in half - 1..w {
        add(&mut sum, ri);
        emit(oi, &sum, (ri + 1) as f32);
        oi += 1;
    }
    let full = w as f32;
    for ri in w..len {
        add(&mut sum, ri);
        sub(&mut sum, ri - w);
        emit(oi, &sum, full);
        oi += 1;
    }
    for (li, count) in (len - w..).zip((w - half + 1..w).rev()) {
        sub(&mut sum, li);
        emit(oi, &sum, count as f32);
        oi += 1;
    }
}

/// The reference `box1DFloat` down every column at once: one running sum per column,
/// advanced a row at a time with the same adds and subtracts a single column would get.
struct ColumnSums {
    sums: Vec<f32>,
    rows: usize,
    win: Window,
    /// Next output row.
    next: usize,
    count: usize,
}

impl ColumnSums {
    fn new(rows: usize, cols: usize, win: Window) -> Self {
        ColumnSums {
            sums: vec![0.0f32; cols],
            rows,
            win,
            next: 0,
            count: 0,
        }
    }

    /// The last input row the next `advance` reads.
    fn last_needed(&self) -> usize {
        (self.next + self.win.half - 1).min(self.rows - 1)
    }

    /// Moves the window to the next output row; returns the divisor for that row.
    /// Before the first output, phase 1 adds rows 0..half − 1. Output k then adds row
    /// k + half − 1 (if it exists) before subtracting row k − (w − half + 1) (if the window
    /// is full), as phases 2–4 do.
    #[inline(always)]
    fn advance<'a>(&mut self, row: impl Fn(usize) -> &'a [f32]) -> f32 {
        if self.next == 0 {
            for r in 0..self.win.half - 1 {
                add_row(&mut self.sums, row(r));
                self.count += 1;
            }
        }
        let entering = self.next + self.win.half - 1;
        if entering < self.rows {
            add_row(&mut self.sums, row(entering));
            self.count += 1;
        }
        if let Some(leaving) = self.next.checked_sub(self.win.w - self.win.half + 1) {
            for (s, &x) in self.sums.iter_mut().zip(row(leaving)) {
                *s -= x;
            }
            self.count -= 1;
        }
        self.next += 1;
        self.count as f32
    }

    /// `advance`, then `divide_into(out, …)`: in the long middle, where a row enters the
    /// window and another leaves it, one sweep over the columns instead of three, each
    /// column still adding, subtracting and dividing in that order.
    #[inline(always)]
    fn advance_into<'a>(&mut self, row: impl Fn(usize) -> &'a [f32], out: &mut [f32]) {
        let entering = self.next + self.win.half - 1;
        match self.next.checked_sub(self.win.w - self.win.half + 1) {
            Some(leaving) if entering < self.rows => {
                // One row in, one out: the count stays.
                let count = self.count as f32;
                let (rows_in, rows_out) = (row(entering), row(leaving));
                for ((s, o), (&x, &y)) in self
                    .sums
                    .iter_mut()
                    .zip(out.iter_mut())
                    .zip(rows_in.iter().zip(rows_out))
                {
                    *s += x;
                    *s -= y;
                    *o = *s / count;
                }
                self.next += 1;
            }
            _ => {
                let count = self.advance(row);
                self.divide_into(out, count);
            }
        }
    }

    #[inline(always)]
    fn divide_into(&self, out: &mut [f32], count: f32) {
        for (o, &s) in out.iter_mut().zip(self.sums.iter()) {
            *o = s / count;
        }
    }
}

#[inline(always)]
fn add_row(sums: &mut [f32], row: &[f32]) {
    for (s, &x) in sums.iter_mut().zip(row) {
        *s += x;
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A literal transcription of the reference's two-buffer X, Y, X, Y filter and
    /// decimation, one line at a time: the oracle the lane-parallel version must equal.
    pub(crate) fn reference_downscale(luma: &[f32], rows: usize, cols: usize) -> Box<Grid> {
        let mut b1 = luma.to_vec();
        let mut b2 = vec![0.0f32; luma.len()];
        let (wr, wc) = (window_size(cols), window_size(rows));
        for _ in 0..2 {
            for r in 0..rows {
                box_1d(&b1, &mut b2, r * cols, cols, 1, wr);
            }
            for c in 0..cols {
                box_1d(&b2, &mut b1, c, rows, cols, wc);
            }
        }
        let mut grid = Box::new([[0.0f32; GRID]; GRID]);
        for i in 0..GRID {
            let ini = (((i as f64 + 0.5) * rows as f64) / 64.0) as usize;
            for j in 0..GRID {
                let inj = (((j as f64 + 0.5) * cols as f64) / 64.0) as usize;
                grid[i][j] = b1[ini * cols + inj];
            }
        }
        grid
    }

    fn box_1d(inv: &[f32], out: &mut [f32], base: usize, len: usize, stride: usize, w: usize) {
        let half = (w + 2) / 2;
        let (mut li, mut ri, mut oi) = (base, base, base);
        let mut sum = 0.0f32;
        let mut count = 0;
        for _ in 0..half - 1 {
            sum += inv[ri];
            count += 1;
            ri += stride;
        }
        for _ in 0..w - half + 1 {
            sum += inv[ri];
            count += 1;
            out[oi] = sum / count as f32;
            ri += stride;
            oi += stride;
        }
        for _ in 0..len - w {
            sum += inv[ri];
            sum -= inv[li];
            out[oi] = sum / count as f32;
            li += stride;
            ri += stride;
            oi += stride;
        }
        for _ in 0..half - 1 {
            sum -= inv[li];
            count -= 1;
            out[oi] = sum / count as f32;
            li += stride;
            oi += stride;
        }
    }

    fn noisy(rows: usize, cols: usize, seed: u32) -> Vec<f32> {
        let mut state = seed;
        (0..rows * cols)
            .map(|_| {
                state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                // Non-integer luma so the running sums round.
                (state >> 8) as f32 / (1 << 24) as f32 * 255.0
            })
            .collect()
    }

    #[test]
    fn window_sizes_match_reference_examples() {
        for (dim, w) in [(100, 1), (128, 1), (129, 2), (256, 2), (512, 4), (1004, 8)] {
            assert_eq!(window_size(dim), w, "dim {dim}");
        }
        assert_eq!(window_size(1600), 13);
        assert_eq!(window_size(4032), 32);
    }

    #[test]
    fn lane_filter_equals_line_by_line_reference() {
        for (rows, cols) in [
            (5, 5),
            (7, 300),
            (64, 64),
            (9, 17),
            (130, 257),
            (300, 129),
            (17, 1000),
            (1000, 13),
        ] {
            let luma = noisy(rows, cols, (rows * 31 + cols) as u32);
            let fast = downscale(&mut Plane { data: &luma, cols }, rows, cols);
            let slow = reference_downscale(&luma, rows, cols);
            for (a, b) in fast.iter().flatten().zip(slow.iter().flatten()) {
                assert_eq!(a.to_bits(), b.to_bits(), "{rows}×{cols}");
            }
        }
    }
}
