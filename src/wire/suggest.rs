//! "Did you mean": the closest known names to something mistyped.

/// Up to three candidates close to `typed`, best first: an edit distance of at
/// most a third of the word (at least 1), or a candidate that starts with it.
pub fn closest<'a>(typed: &str, candidates: impl IntoIterator<Item = &'a str>) -> Vec<&'a str> {
    let typed = typed.to_ascii_lowercase();
    let len = typed.chars().count();
    let limit = (len / 3).max(1);
    let mut scored: Vec<(usize, &'a str)> = candidates
        .into_iter()
        .filter_map(|c| {
            // The distance is at least the difference in length: a candidate that far
            // off is not measured, so a pasted word of thousands of characters costs
            // nothing (measuring takes time in the product of the two lengths).
            let close = c.chars().count().abs_diff(len) <= limit;
            // Both sides lowercased: a candidate spelt in capitals (EINVAL, Icmp) is
            // as near as one in lower case.
            let lower = c.to_ascii_lowercase();
            let d = if close {
                strsim::damerau_levenshtein(&typed, &lower)
            } else {
                usize::MAX
            };
            if d <= limit {
                Some((d, c))
            } else if typed.len() >= 2 && lower.starts_with(&typed) {
                Some((limit + 1, c))
            } else {
                None
            }
        })
        .collect();
    scored.sort();
    scored.dedup_by(|a, b| a.1 == b.1);
    scored.into_iter().take(3).map(|(_, c)| c).collect()
}

#[cfg(test)]
mod tests {
    use super::closest;

    #[test]
    fn typos_and_prefixes() {
        assert_eq!(closest("sned", ["send", "set", "show"]), vec!["send"]);
        assert_eq!(closest("tll", ["ttl", "ip.ttl", "tos"]), vec!["ttl"]);
        assert_eq!(closest("lis", ["listen", "load"]), vec!["listen"]);
        assert!(closest("zzzz", ["send", "set"]).is_empty());
        assert!(closest(&"x".repeat(10_000), ["send", "set"]).is_empty());
        assert_eq!(closest("se", ["send", "set"]), vec!["set", "send"]);
    }
}
