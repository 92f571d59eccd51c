//! The hammer-price chart of `pricing get --history` and `pricing history`: the series drawn in
//! braille dots (2×4 per cell) with horizontal reference lines (market price, P50, your bid),
//! or in plain ASCII (one `*` per cell) where Unicode or colors are unwelcome.

use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

/// A horizontal line across the chart, labelled at its right end.
#[derive(Debug, Clone)]
pub struct RefLine {
    /// Short label, e.g. `market`.
    pub label: String,
    /// Price, USD per hour.
    pub value: Decimal,
}

/// How to draw.
#[derive(Debug, Clone, Copy)]
pub struct Style {
    /// Braille and box-drawing characters (else ASCII only).
    pub unicode: bool,
    /// Plot columns (cells).
    pub width: usize,
    /// Plot rows (cells).
    pub height: usize,
}

/// Whether the terminal wants plain ASCII: `NO_COLOR`, `TERM=dumb` or `--no-color`.
pub fn ascii_wanted(no_color_flag: bool) -> bool {
    no_color_flag
        || std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty())
        || std::env::var("TERM").is_ok_and(|t| t == "dumb")
}

/// The typical gap between consecutive points, as people say it ("10m", "1h", "1d").
pub fn interval_label(times: &[i64]) -> Option<String> {
    let mut gaps: Vec<i64> = times
        .windows(2)
        .map(|w| w[1] - w[0])
        .filter(|g| *g > 0)
        .collect();
    if gaps.is_empty() {
        return None;
    }
    gaps.sort_unstable();
    let gap = gaps[gaps.len() / 2];
    Some(match gap {
        g if g % 86_400 == 0 => format!("{}d", g / 86_400),
        g if g % 3600 == 0 => format!("{}h", g / 3600),
        g if g % 60 == 0 => format!("{}m", g / 60),
        g => format!("{g}s"),
    })
}

fn fmt_time(secs: i64) -> String {
    chrono::DateTime::from_timestamp(secs, 0).map_or_else(
        || secs.to_string(),
        |t| t.format("%Y-%m-%d %H:%M").to_string(),
    )
}

/// Draws `points` (unix seconds, price; time-ordered) with `refs`. Returns the chart lines,
/// axis labels and a caption naming the real interval of the points.
pub fn render(points: &[(i64, Decimal)], refs: &[RefLine], style: Style) -> String {
    let (Some(first), Some(last)) = (points.first(), points.last()) else {
        return String::from("(no points)\n");
    };
    let width = style.width.max(8);
    let height = style.height.max(3);
    let (dx, dy) = if style.unicode { (2, 4) } else { (1, 1) };
    let (cols, rows) = (width * dx, height * dy);
    let value = |d: &Decimal| d.to_f64().unwrap_or(0.0);
    let all = points
        .iter()
        .map(|p| value(&p.1))
        .chain(refs.iter().map(|r| value(&r.value)));
    let (mut lo, mut hi) = all.fold((f64::MAX, f64::MIN), |(lo, hi), v| (lo.min(v), hi.max(v)));
    if hi - lo < 1e-9 {
        lo -= 0.001;
        hi += 0.001;
    }
    // Dot row of a price: 0 at the top.
    let row_of = |v: f64| -> usize {
        let r = ((hi - v) / (hi - lo) * (rows - 1) as f64).round();
        (r.max(0.0) as usize).min(rows - 1)
    };
    // One value per dot column: the mean of the points that fall in it.
    let mut column: Vec<Option<f64>> = vec![None; cols];
    let span = (last.0 - first.0).max(1) as f64;
    let mut sums = vec![(0.0, 0usize); cols];
    for (t, p) in points {
        let c = if points.len() == 1 {
            0
        } else {
            (((t - first.0) as f64 / span) * (cols - 1) as f64).round() as usize
        };
        let c = c.min(cols - 1);
        sums[c].0 += value(p);
        sums[c].1 += 1;
    }
    for (c, (sum, n)) in sums.iter().enumerate() {
        if *n > 0 {
            column[c] = Some(sum / *n as f64);
        }
    }
    // Columns between two points get the straight line between them, so sparse series read
    // as a line rather than scattered dots.
    let known: Vec<usize> = (0..cols).filter(|c| column[*c].is_some()).collect();
    for pair in known.windows(2) {
        let (a, b) = (pair[0], pair[1]);
        if let (Some(va), Some(vb)) = (column[a], column[b]) {
            for (c, slot) in column.iter_mut().enumerate().take(b).skip(a + 1) {
                *slot = Some(va + (vb - va) * (c - a) as f64 / (b - a) as f64);
            }
        }
    }
    let mut dots = vec![vec![false; cols]; rows];
    let mut previous: Option<usize> = None;
    for (c, v) in column.iter().enumerate() {
        let Some(v) = v else { continue };
        let r = row_of(*v);
        // Join to the previous point so the line reads as one.
        let (a, b) = match previous {
            Some(p) if p < r => (p + 1, r),
            Some(p) if p > r => (r, p - 1),
            _ => (r, r),
        };
        for row in dots.iter_mut().take(b + 1).skip(a) {
            row[c] = true;
        }
        dots[r][c] = true;
        previous = Some(r);
    }
    let ref_rows: Vec<(usize, &RefLine)> = refs
        .iter()
        .map(|r| (row_of(value(&r.value)) / dy, r))
        .collect();
    let label_w = [hi, lo]
        .iter()
        .map(|v| format!("{v:.3}").len())
        .max()
        .unwrap_or(5);
    let mut out = String::new();
    for cell_row in 0..height {
        let axis = match cell_row {
            0 => format!("{hi:>label_w$.3}"),
            r if r == height - 1 => format!("{lo:>label_w$.3}"),
            _ => " ".repeat(label_w),
        };
        let here: Vec<&RefLine> = ref_rows
            .iter()
            .filter(|(r, _)| *r == cell_row)
            .map(|(_, l)| *l)
            .collect();
        let mut line = format!("{axis} {}", if style.unicode { '┤' } else { '|' });
        for cell_col in 0..width {
            let ch = cell(&dots, cell_row, cell_col, style.unicode);
            line.push(match ch {
                Some(c) => c,
                None if !here.is_empty() => {
                    if style.unicode {
                        '─'
                    } else {
                        '-'
                    }
                }
                None => ' ',
            });
        }
        if !here.is_empty() {
            let labels: Vec<String> = here
                .iter()
                .map(|l| format!("{} {}", l.label, super::price(Some(l.value))))
                .collect();
            line.push(' ');
            line.push_str(&labels.join(", "));
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    let corner = if style.unicode { '└' } else { '+' };
    let rule = if style.unicode { "─" } else { "-" };
    out.push_str(&format!(
        "{} {corner}{}\n",
        " ".repeat(label_w),
        rule.repeat(width)
    ));
    let (from, to) = (fmt_time(first.0), fmt_time(last.0));
    let gap = width.saturating_sub(from.len() + to.len()).max(1);
    out.push_str(&format!(
        "{}  {from}{}{to}\n",
        " ".repeat(label_w),
        " ".repeat(gap)
    ));
    let times: Vec<i64> = points.iter().map(|p| p.0).collect();
    let every = interval_label(&times).map_or_else(String::new, |i| format!(", every {i}"));
    let min = points.iter().map(|p| p.1).min().unwrap_or_default();
    let max = points.iter().map(|p| p.1).max().unwrap_or_default();
    out.push_str(&format!(
        // Under 80 columns with prices of five characters: the footer fits where the chart does.
        "hammer $/h, {} point{}{every} (UTC); min {}, max {}, last {}\n",
        points.len(),
        if points.len() == 1 { "" } else { "s" },
        super::price(Some(min)),
        super::price(Some(max)),
        super::price(Some(last.1)),
    ));
    out
}

/// The character of one cell: a braille pattern of its 2×4 dots, or `*` in ASCII.
fn cell(dots: &[Vec<bool>], cell_row: usize, cell_col: usize, unicode: bool) -> Option<char> {
    if !unicode {
        return dots[cell_row][cell_col].then_some('*');
    }
    // Braille dot bits by (row, column) within the cell.
    const BITS: [[u32; 2]; 4] = [[0x01, 0x08], [0x02, 0x10], [0x04, 0x20], [0x40, 0x80]];
    let mut bits = 0;
    for (dr, row_bits) in BITS.iter().enumerate() {
        for (dc, bit) in row_bits.iter().enumerate() {
            if dots[cell_row * 4 + dr][cell_col * 2 + dc] {
                bits |= bit;
            }
        }
    }
    (bits != 0).then(|| char::from_u32(0x2800 + bits).unwrap_or('?'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    #[test]
    fn intervals_are_named_as_they_are() {
        assert_eq!(
            interval_label(&[0, 600, 1200, 1800]).as_deref(),
            Some("10m")
        );
        assert_eq!(interval_label(&[0, 3600, 7200]).as_deref(), Some("1h"));
        assert_eq!(interval_label(&[0, 86_400]).as_deref(), Some("1d"));
        assert_eq!(interval_label(&[5]), None);
    }

    #[test]
    fn ascii_chart_has_the_points_and_the_reference_lines() {
        let points: Vec<(i64, Decimal)> = (0..10)
            .map(|i| (i * 600, d(&format!("0.0{}", i % 5 + 1))))
            .collect();
        let refs = [RefLine {
            label: "bid".into(),
            value: d("0.03"),
        }];
        let text = render(
            &points,
            &refs,
            Style {
                unicode: false,
                width: 20,
                height: 5,
            },
        );
        assert!(text.is_ascii(), "{text}");
        assert!(text.contains('*'));
        assert!(text.contains("bid 0.030"));
        assert!(text.contains(", every 10m"), "{text}");
        assert!(text.contains("10 points"));
    }

    #[test]
    fn unicode_chart_uses_braille() {
        let points = vec![(0, d("0.01")), (3600, d("0.02")), (7200, d("0.015"))];
        let text = render(
            &points,
            &[],
            Style {
                unicode: true,
                width: 12,
                height: 4,
            },
        );
        assert!(
            text.chars().any(|c| ('\u{2801}'..='\u{28FF}').contains(&c)),
            "{text}"
        );
        assert!(text.contains(", every 1h"));
    }
}
