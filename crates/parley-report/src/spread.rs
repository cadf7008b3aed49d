//! The median and 90th percentile of a list of durations (issue 17: "time to close in working
//! days (median and 90th percentile)").
//!
//! Method: **nearest rank**. Sort the n values; the p-th percentile is the value at rank
//! ⌈p × n / 100⌉ (ranks counted from 1). It is always one of the values themselves, so a
//! number of working days stays a whole number, and it needs no interpolation rule. The
//! median is the 50th percentile by the same method: for an even count, the lower of the two
//! middle values.

/// How a list of whole numbers is spread.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Spread {
    /// How many values there were (at least one).
    pub count: usize,
    pub median: u32,
    pub p90: u32,
    pub max: u32,
}

impl Spread {
    /// `None` for no values.
    pub fn of(values: &[u32]) -> Option<Spread> {
        let mut sorted = values.to_vec();
        sorted.sort_unstable();
        Some(Spread {
            count: sorted.len(),
            median: nearest_rank(&sorted, 50)?,
            p90: nearest_rank(&sorted, 90)?,
            max: *sorted.last()?,
        })
    }
}

/// The `p`-th percentile (1 to 100) of `sorted` by nearest rank; `None` if it is empty.
pub fn nearest_rank(sorted: &[u32], p: u32) -> Option<u32> {
    let n = sorted.len();
    let p = usize::try_from(p.clamp(1, 100)).ok()?;
    // ⌈p × n / 100⌉, at least 1.
    let rank = (p * n).div_ceil(100).max(1);
    sorted.get(rank - 1).copied()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use proptest::prelude::*;

    use super::*;

    #[test]
    fn known_lists() {
        // (values, median, 90th percentile)
        let cases: &[(&[u32], u32, u32)] = &[
            (&[7], 7, 7),
            (&[1, 2], 1, 2),
            (&[3, 1, 2], 2, 3),
            (&[1, 2, 3, 4], 2, 4),
            (&[1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 5, 9),
            (&[10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0], 5, 9),
            (&[0, 0, 0, 40], 0, 40),
        ];
        for &(values, median, p90) in cases {
            let s = Spread::of(values).unwrap();
            assert_eq!((s.median, s.p90), (median, p90), "{values:?}");
            assert_eq!(s.count, values.len());
        }
        assert_eq!(Spread::of(&[]), None);
    }

    /// The definition read the other way round: the smallest value that at least p per cent
    /// of the values are at or below.
    fn by_counting(values: &[u32], p: u32) -> u32 {
        let n = values.len() as u64;
        *values
            .iter()
            .filter(|&&x| {
                let at_or_below = values.iter().filter(|&&y| y <= x).count() as u64;
                at_or_below * 100 >= u64::from(p) * n
            })
            .min()
            .unwrap()
    }

    proptest! {
        #[test]
        fn nearest_rank_matches_counting(
            values in proptest::collection::vec(0u32..60, 1..80),
            p in 1u32..=100,
        ) {
            let mut sorted = values.clone();
            sorted.sort_unstable();
            prop_assert_eq!(nearest_rank(&sorted, p).unwrap(), by_counting(&values, p));
            let s = Spread::of(&values).unwrap();
            prop_assert_eq!(s.median, by_counting(&values, 50));
            prop_assert_eq!(s.p90, by_counting(&values, 90));
            prop_assert!(s.median <= s.p90 && s.p90 <= s.max);
        }
    }
}
