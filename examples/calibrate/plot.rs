//! Draws docs/detection.svg by hand: one panel per algorithm, against the threshold, the
//! share of copies found (left axis) and the number of unrelated pictures that would alert
//! (right axis, logarithmic: the first few false alerts are what a threshold is set by, and
//! on a linear axis they would not leave the floor). Coordinates are written with one
//! decimal, so the file is the same on every machine.

use std::fmt::Write as _;

use crate::corpus::ALGORITHMS;
use crate::measure::{
    false_alerts, found, Calibration, OLD_SHORT, PDQ_MAX, PDQ_THRESHOLD, SHORT_MAX,
};

const PANEL_W: f64 = 400.0;
const PANEL_H: f64 = 250.0;
/// Room around each plot for the title and the axis labels.
const LEFT: f64 = 50.0;
const TOP: f64 = 30.0;
const PLOT_W: f64 = 300.0;
const PLOT_H: f64 = 170.0;
const FOUND: &str = "#1f6fb4";
const FALSE: &str = "#c8321e";

pub fn svg(c: &Calibration) -> String {
    let (w, h) = (2.0 * PANEL_W, 2.0 * PANEL_H + 30.0);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" \
         viewBox=\"0 0 {w} {h}\" font-family=\"sans-serif\" font-size=\"11\">"
    );
    let _ = writeln!(out, "<rect width=\"{w}\" height=\"{h}\" fill=\"white\"/>");
    legend(&mut out);
    for alg in 0..ALGORITHMS.len() {
        let x0 = (alg % 2) as f64 * PANEL_W;
        let y0 = 30.0 + (alg / 2) as f64 * PANEL_H;
        panel(&mut out, c, alg, x0, y0);
    }
    out.push_str("</svg>\n");
    out
}

fn legend(out: &mut String) {
    // x positions fit each label's length.
    let items = [
        (20.0, FOUND, "none", "copies found"),
        (
            150.0,
            FALSE,
            "none",
            "unrelated pictures alerting (log, right)",
        ),
        (430.0, "#2a9d3a", "none", "calibrated threshold"),
        (600.0, "#888888", "4 3", "old default"),
    ];
    for (x, colour, dash, label) in items {
        let _ = writeln!(
            out,
            "<line x1=\"{x}\" y1=\"15\" x2=\"{:.1}\" y2=\"15\" stroke=\"{colour}\" \
             stroke-width=\"2\" stroke-dasharray=\"{dash}\"/><text x=\"{:.1}\" y=\"19\">{label}</text>",
            x + 20.0,
            x + 25.0
        );
    }
}

/// The x range of an algorithm's panel and its two marked thresholds (calibrated, old).
fn thresholds(c: &Calibration, alg: usize) -> (u32, Option<u32>, u32) {
    if alg == 0 {
        return (PDQ_MAX, Some(PDQ_THRESHOLD), PDQ_THRESHOLD);
    }
    (SHORT_MAX, c.chosen.map(|t| t[alg - 1]), OLD_SHORT[alg - 1])
}

fn panel(out: &mut String, c: &Calibration, alg: usize, x0: f64, y0: f64) {
    let (max, chosen, old) = thresholds(c, alg);
    let px = |t: u32| x0 + LEFT + PLOT_W * f64::from(t) / f64::from(max);
    let py = |share: f64| y0 + TOP + PLOT_H * (1.0 - share);
    axes(out, alg, max, x0, y0);
    marker(out, px(old), py(0.0), py(1.0), "#888888", "4 3");
    if let Some(t) = chosen {
        marker(out, px(t), py(0.0), py(1.0), "#2a9d3a", "none");
    }
    let copies = c.copies.len().max(1) as f64;
    let unrelated = c.nearest.len().max(1);
    right_axis(out, unrelated, x0, y0);
    let found_pts: Vec<(f64, f64)> = (0..=max)
        .map(|t| (px(t), py(found(c, alg, t, None) as f64 / copies)))
        .collect();
    let false_pts: Vec<(f64, f64)> = (0..=max)
        .map(|t| (px(t), py(log_share(false_alerts(c, alg, t), unrelated))))
        .collect();
    polyline(out, &found_pts, FOUND);
    polyline(out, &false_pts, FALSE);
}

fn axes(out: &mut String, alg: usize, max: u32, x0: f64, y0: f64) {
    let (left, top) = (x0 + LEFT, y0 + TOP);
    let (right, bottom) = (left + PLOT_W, top + PLOT_H);
    let _ = writeln!(
        out,
        "<text x=\"{:.1}\" y=\"{:.1}\" font-weight=\"bold\">{} (of {} bits)</text>",
        left,
        top - 8.0,
        ALGORITHMS[alg],
        ALGORITHMS[alg].bits()
    );
    let _ = writeln!(
        out,
        "<path d=\"M{left:.1} {top:.1} V{bottom:.1} H{right:.1}\" fill=\"none\" stroke=\"black\"/>"
    );
    let step = if max > 32 { 16 } else { 8 };
    for t in (0..=max).step_by(step as usize) {
        let x = left + PLOT_W * f64::from(t) / f64::from(max);
        let _ = writeln!(
            out,
            "<text x=\"{x:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{t}</text>",
            bottom + 14.0
        );
    }
    for (share, label) in [(0.0, "0%"), (0.5, "50%"), (1.0, "100%")] {
        let y = top + PLOT_H * (1.0 - share);
        let _ = writeln!(
            out,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{label}</text>",
            left - 4.0,
            y + 4.0
        );
    }
    let _ = writeln!(
        out,
        "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">threshold (bits)</text>",
        left + PLOT_W / 2.0,
        bottom + 30.0
    );
}

/// Where `n` of `total` sits on the logarithmic axis, as a share of its height: 0 on the
/// floor, 1 one step up, `total` at the top.
fn log_share(n: usize, total: usize) -> f64 {
    if n == 0 {
        return 0.0;
    }
    (1.0 + (n as f64).log10()) / (1.0 + (total.max(1) as f64).log10())
}

fn right_axis(out: &mut String, total: usize, x0: f64, y0: f64) {
    let x = x0 + LEFT + PLOT_W;
    let mut n = 1;
    while n <= total {
        let y = y0 + TOP + PLOT_H * (1.0 - log_share(n, total));
        let _ = writeln!(
            out,
            "<text x=\"{:.1}\" y=\"{:.1}\" fill=\"{FALSE}\">{n}</text>",
            x + 4.0,
            y + 4.0
        );
        n *= 10;
    }
}

fn marker(out: &mut String, x: f64, y_low: f64, y_high: f64, colour: &str, dash: &str) {
    let _ = writeln!(
        out,
        "<line x1=\"{x:.1}\" y1=\"{y_low:.1}\" x2=\"{x:.1}\" y2=\"{y_high:.1}\" \
         stroke=\"{colour}\" stroke-dasharray=\"{dash}\"/>"
    );
}

fn polyline(out: &mut String, points: &[(f64, f64)], colour: &str) {
    let pts: Vec<String> = points
        .iter()
        .map(|(x, y)| format!("{x:.1},{y:.1}"))
        .collect();
    let _ = writeln!(
        out,
        "<polyline points=\"{}\" fill=\"none\" stroke=\"{colour}\" stroke-width=\"2\"/>",
        pts.join(" ")
    );
}
