//! Tables that fit: the default table view is cut to the terminal width by dropping the
//! lowest-value columns first, then truncating the widest cells with `…`. `-o wide` and piped
//! output (without `COLUMNS`) are never cut, like gh.

use std::io::IsTerminal;

/// Spaces between two columns (the table's right padding).
const GAP: usize = 2;
/// A truncated column keeps at least this many characters (or its header, if longer).
const MIN_TRUNCATED: usize = 6;

/// The width the default table must fit in: the terminal's on a terminal (`COLUMNS` wins when
/// set), `COLUMNS` when piped, and no limit otherwise (so `| grep` sees whole rows).
pub fn table_width() -> Option<usize> {
    let columns = std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.trim().parse::<usize>().ok())
        .filter(|c| *c > 0);
    if columns.is_some() {
        return columns;
    }
    if !std::io::stdout().is_terminal() {
        return None;
    }
    comfy_table::Table::new().width().map(usize::from)
}

fn text_width(s: &str) -> usize {
    s.chars().count()
}

fn total(widths: &[usize], keep: &[usize]) -> usize {
    keep.iter().map(|&k| widths[k]).sum::<usize>() + GAP * keep.len().saturating_sub(1)
}

/// Cuts `headers`/`rows` to `limit` columns of text: drops the columns named in `drop_order`
/// (first named, first dropped) while too wide, then truncates the widest cells (never the
/// first column, never below a header). Returns the kept headers and rows.
pub fn fit(
    headers: &[&str],
    rows: Vec<Vec<String>>,
    limit: usize,
    drop_order: &[&str],
) -> (Vec<String>, Vec<Vec<String>>) {
    let n = headers.len();
    let mut widths: Vec<usize> = headers.iter().map(|h| text_width(h)).collect();
    for row in &rows {
        for (i, cell) in row.iter().enumerate().take(n) {
            widths[i] = widths[i].max(text_width(cell));
        }
    }
    let mut keep: Vec<usize> = (0..n).collect();
    for name in drop_order {
        if total(&widths, &keep) <= limit {
            break;
        }
        if let Some(pos) = keep.iter().position(|&k| headers[k] == *name) {
            keep.remove(pos);
        }
    }
    // Shrink the widest shrinkable column one character at a time until it fits.
    while total(&widths, &keep) > limit {
        let widest = keep
            .iter()
            .skip(1)
            .copied()
            .filter(|&k| widths[k] > MIN_TRUNCATED.max(text_width(headers[k])))
            .max_by_key(|&k| widths[k]);
        match widest {
            Some(k) => widths[k] -= 1,
            None => break,
        }
    }
    let cut = |cell: &str, width: usize| -> String {
        if text_width(cell) <= width {
            return cell.to_string();
        }
        let mut s: String = cell.chars().take(width.saturating_sub(1)).collect();
        s.push('…');
        s
    };
    let kept_headers = keep.iter().map(|&k| headers[k].to_string()).collect();
    let kept_rows = rows
        .into_iter()
        .map(|row| {
            keep.iter()
                .map(|&k| row.get(k).map_or_else(String::new, |c| cut(c, widths[k])))
                .collect()
        })
        .collect();
    (kept_headers, kept_rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(cells: &[&[&str]]) -> Vec<Vec<String>> {
        cells
            .iter()
            .map(|r| r.iter().map(|c| c.to_string()).collect())
            .collect()
    }

    #[test]
    fn narrow_enough_tables_are_untouched() {
        let r = rows(&[&["a", "bb"]]);
        let (h, out) = fit(&["NAME", "X"], r.clone(), 80, &["X"]);
        assert_eq!(h, ["NAME", "X"]);
        assert_eq!(out, r);
    }

    #[test]
    fn low_value_columns_go_first_then_cells_are_truncated() {
        let r = rows(&[&["name-1", "0.123", "a-very-long-endpoint-value", "extra"]]);
        // 6 + 2 + 5 + 2 + 26 + 2 + 5 = 48 wide.
        let (h, out) = fit(&["NAME", "PRICE", "ENDPOINT", "EXTRA"], r, 30, &["EXTRA"]);
        assert_eq!(h, ["NAME", "PRICE", "ENDPOINT"]);
        let line = out[0].join("  ");
        assert!(line.chars().count() <= 30, "{line}");
        assert!(out[0][2].ends_with('…'), "{:?}", out[0]);
        assert_eq!(out[0][0], "name-1");
    }

    #[test]
    fn the_first_column_and_headers_are_never_cut() {
        let r = rows(&[&["a-long-first-column-name", "value"]]);
        let (h, out) = fit(&["NAME", "HEADER"], r, 10, &[]);
        assert_eq!(h, ["NAME", "HEADER"]);
        assert_eq!(out[0], ["a-long-first-column-name", "value"]);
    }
}
