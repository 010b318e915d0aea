//! Keyset pages, the one way every paged list reads: a page is read one row past its size, cut,
//! and its last row gives the cursor where the next page starts (in the list's own order, so
//! every page costs the same however deep it is).
//!
//! Cursors that travel as text (`next_after`) are their fields joined by `:`; only the last field
//! may itself contain `:` (a notification id, a committee code), so a cursor parses back exactly.

use std::fmt::Display;

/// How many rows a page holds: a caller's limit, held to 1 to 1000.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PageSize(usize);

impl PageSize {
    /// The page size for a caller's `limit`.
    pub(crate) fn new(limit: u32) -> PageSize {
        PageSize(usize::try_from(limit.clamp(1, 1000)).unwrap_or(1000))
    }

    /// The rows to read (the SQL `LIMIT`): one past the page, to learn whether another follows.
    pub(crate) fn rows_to_read(self) -> i64 {
        i64::try_from(self.0).map_or(i64::MAX, |size| size + 1)
    }

    /// Cuts rows read with [`PageSize::rows_to_read`] to the page. When the extra row came, the
    /// next page starts after the page's last row, whose cursor `cursor_of` gives; otherwise this
    /// was the last page (`None`).
    pub(crate) fn cut<T, C>(self, rows: &mut Vec<T>, cursor_of: impl FnOnce(&T) -> C) -> Option<C> {
        if rows.len() > self.0 {
            rows.truncate(self.0);
            rows.last().map(cursor_of)
        } else {
            None
        }
    }
}

/// A cursor's text: its fields joined by `:`.
pub(crate) fn cursor_text(fields: &[&dyn Display]) -> String {
    fields
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(":")
}

/// A cursor's `N` fields, if it has that many; the last field keeps any `:` after the others.
pub(crate) fn cursor_fields<const N: usize>(text: &str) -> Option<[&str; N]> {
    let mut parts = text.splitn(N, ':');
    let fields: [Option<&str>; N] = std::array::from_fn(|_| parts.next());
    if fields.iter().any(Option::is_none) {
        return None;
    }
    Some(fields.map(Option::unwrap_or_default))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_is_cut_to_its_size_and_names_where_the_next_starts() {
        let size = PageSize::new(2);
        assert_eq!(size.rows_to_read(), 3);
        let mut rows = vec![1, 2, 3];
        assert_eq!(size.cut(&mut rows, |last| *last), Some(2));
        assert_eq!(rows, [1, 2]);
        let mut rows = vec![1, 2];
        assert_eq!(size.cut(&mut rows, |last| *last), None);
        assert_eq!(PageSize::new(0).rows_to_read(), 2);
        assert_eq!(PageSize::new(5000).rows_to_read(), 1001);
    }

    #[test]
    fn cursors_parse_back_with_colons_only_in_their_last_field() {
        let text = cursor_text(&[&17, &"project:7:bureau"]);
        assert_eq!(text, "17:project:7:bureau");
        assert_eq!(cursor_fields::<2>(&text), Some(["17", "project:7:bureau"]));
        assert_eq!(
            cursor_fields::<3>(&text),
            Some(["17", "project", "7:bureau"])
        );
        assert_eq!(cursor_fields::<2>("12345"), None);
    }
}
