#![allow(clippy::unwrap_used)]

use proptest::prelude::*;

use super::*;

fn published(cols: usize, rows: &[Vec<u64>], row_totals: bool, col_totals: bool) -> Published {
    let table = CountTable::new(cols, rows, row_totals, col_totals).unwrap();
    suppress(&table, Threshold::DEFAULT)
}

fn texts(p: &Published) -> Vec<Vec<String>> {
    (0..p.grid.rows)
        .map(|r| (0..p.grid.cols).map(|c| p.grid.get(r, c).text()).collect())
        .collect()
}

#[test]
fn the_threshold_is_checked() {
    assert_eq!(Threshold::default().get(), 5);
    assert_eq!(Threshold::new(10).unwrap().get(), 10);
    for bad in [0, 1, 21, 100] {
        assert!(matches!(
            Threshold::new(bad),
            Err(ReportError::Threshold { given, .. }) if given == bad
        ));
    }
}

#[test]
fn a_ragged_table_is_refused() {
    let e = CountTable::new(2, &[vec![1, 2], vec![3]], true, true).unwrap_err();
    assert_eq!(
        e,
        ReportError::RaggedTable {
            row: 1,
            expected: 2,
            found: 1
        }
    );
}

#[test]
fn a_list_hides_a_second_count_so_the_total_gives_nothing_away() {
    // 3 is fewer than 5; with only the total, 3 = 40 - 12 - 25, so the smallest other
    // count (12) is hidden as well.
    let p = suppress(&CountTable::list(&[12, 3, 25]), Threshold::DEFAULT);
    assert_eq!(
        p.grid.cells,
        [
            Cell::Suppressed,
            Cell::FewerThan(5),
            Cell::Exact(25),
            Cell::Exact(40)
        ]
    );
}

#[test]
fn zeros_are_published_and_never_hide_anything() {
    // The zero is shown; the 2 cannot hide behind it, so the total (2) is itself fewer than 5
    // and the two hidden cells cover each other.
    let p = suppress(&CountTable::list(&[0, 2]), Threshold::DEFAULT);
    assert_eq!(
        p.grid.cells,
        [Cell::Exact(0), Cell::FewerThan(5), Cell::FewerThan(5)]
    );
    let p = suppress(&CountTable::list(&[0, 0]), Threshold::DEFAULT);
    assert_eq!(p.grid.cells, [Cell::Exact(0); 3]);
}

#[test]
fn a_matrix_hides_the_cheapest_rectangle() {
    // The 2 is tied into a loop through its row and column: 10, 30 and 40 (80 in all) cost
    // less than any loop through the totals.
    let p = published(3, &[vec![2, 10, 20], vec![30, 40, 50]], true, true);
    assert_eq!(
        texts(&p),
        [
            ["fewer than 5", "suppressed", "20", "32"],
            ["suppressed", "suppressed", "50", "120"],
            ["32", "50", "70", "152"],
        ]
        .map(|r| r.map(str::to_owned).to_vec())
    );
    assert_no_cell_can_be_worked_out(
        &p,
        &CountTable::new(3, &[vec![2, 10, 20], vec![30, 40, 50]], true, true).unwrap(),
    );
}

#[test]
fn two_hidden_blocks_joined_by_one_cell_are_not_left_alone() {
    // Rows 0-1 x cols 0-1 and rows 2-3 x cols 2-3 are blocks of small counts, and the 3 at
    // (1, 2) joins them: every row and column has two hidden cells or more, yet rows 0 and 1
    // less columns 0 and 1 give the 3 exactly. It must be tied into a loop.
    let rows = [
        vec![1, 2, 50, 60],
        vec![3, 4, 3, 70],
        vec![80, 90, 1, 2],
        vec![100, 110, 3, 4],
    ];
    let table = CountTable::new(4, &rows, true, true).unwrap();
    let p = suppress(&table, Threshold::DEFAULT);
    assert_no_cell_can_be_worked_out(&p, &table);
}

#[test]
fn a_table_without_totals_hides_only_the_small_counts() {
    let p = published(2, &[vec![1, 9], vec![7, 8]], false, false);
    assert_eq!(
        p.grid.cells,
        [
            Cell::FewerThan(5),
            Cell::Exact(9),
            Cell::Exact(7),
            Cell::Exact(8)
        ]
    );
}

/// A large prime: ranks are counted in arithmetic modulo it. The equations' matrix has
/// entries -1, 0 and 1 only, and every square part of it has determinant -1, 0 or 1 (it is
/// the incidence matrix of a directed graph), so its rank is the same there as over the
/// rationals.
const P: u64 = 1_000_000_007;

fn rank(mut m: Vec<Vec<u64>>) -> usize {
    let cols = m.first().map_or(0, Vec::len);
    let mut rank = 0;
    for c in 0..cols {
        let Some(pivot) = (rank..m.len()).find(|&r| m[r][c] != 0) else {
            continue;
        };
        m.swap(rank, pivot);
        let inverse = pow(m[rank][c], P - 2);
        for x in &mut m[rank] {
            *x = *x * inverse % P;
        }
        for r in 0..m.len() {
            if r != rank && m[r][c] != 0 {
                let f = m[r][c];
                let pivot_row = m[rank].clone();
                for (x, &y) in m[r].iter_mut().zip(&pivot_row) {
                    *x = (*x + P - f * y % P) % P;
                }
            }
        }
        rank += 1;
    }
    rank
}

fn pow(mut b: u64, mut e: u64) -> u64 {
    let mut out = 1;
    while e > 0 {
        if e & 1 == 1 {
            out = out * b % P;
        }
        b = b * b % P;
        e >>= 1;
    }
    out
}

/// The table's equations written out directly, over the hidden cells only: for each row with
/// a total, its cells less its total; for each column with a total, likewise. The known cells
/// move to the other side and do not matter for what can be solved.
fn equations(p: &Published, table: &CountTable) -> (Vec<Vec<u64>>, Vec<usize>) {
    let g = &p.grid;
    let unknown: Vec<usize> = (0..g.cells.len())
        .filter(|&i| g.cells[i].is_hidden())
        .collect();
    let minus_one = P - 1;
    let mut m = Vec::new();
    let (last_row, last_col) = (g.rows - 1, g.cols - 1);
    if table.row_totals {
        for r in 0..g.rows {
            m.push(
                unknown
                    .iter()
                    .map(|&i| match (i / g.cols == r, i % g.cols == last_col) {
                        (false, _) => 0,
                        (true, false) => 1,
                        (true, true) => minus_one,
                    })
                    .collect(),
            );
        }
    }
    if table.col_totals {
        for c in 0..g.cols {
            m.push(
                unknown
                    .iter()
                    .map(|&i| match (i % g.cols == c, i / g.cols == last_row) {
                        (false, _) => 0,
                        (true, false) => 1,
                        (true, true) => minus_one,
                    })
                    .collect(),
            );
        }
    }
    (m, unknown)
}

/// Both checks of issue 17: no hidden cell is the only unknown of its row or column (the
/// totals row and column included), and, more strictly, none is fixed by the equations at
/// all: a cell's value is fixed exactly when dropping its column from the equations' matrix
/// lowers the rank.
fn assert_no_cell_can_be_worked_out(p: &Published, table: &CountTable) {
    let (m, unknown) = equations(p, table);
    for row in &m {
        let unknowns = row.iter().filter(|&&x| x != 0).count();
        assert_ne!(unknowns, 1, "an equation with one unknown: {:?}", p.grid);
    }
    let full = rank(m.clone());
    for (k, &cell) in unknown.iter().enumerate() {
        let without: Vec<Vec<u64>> = m
            .iter()
            .map(|row| {
                row.iter()
                    .enumerate()
                    .filter(|&(j, _)| j != k)
                    .map(|(_, &x)| x)
                    .collect()
            })
            .collect();
        assert_eq!(
            rank(without),
            full,
            "cell ({}, {}) can be worked out: {:?}",
            cell / p.grid.cols,
            cell % p.grid.cols,
            p.grid
        );
    }
}

/// Counts that are often small (below `threshold`) or zero, sometimes large.
fn count(threshold: u32) -> impl Strategy<Value = u64> {
    let t = u64::from(threshold);
    prop_oneof![
        3 => Just(0u64),
        4 => 1u64..t,
        3 => t..8 * t,
    ]
}

fn table_for(threshold: u32) -> impl Strategy<Value = CountTable> {
    (1usize..6, 1usize..6, any::<bool>(), any::<bool>()).prop_flat_map(
        move |(rows, cols, rt, ct)| {
            proptest::collection::vec(proptest::collection::vec(count(threshold), cols), rows)
                .prop_map(move |r| CountTable::new(cols, &r, rt, ct).unwrap())
        },
    )
}

fn any_table() -> impl Strategy<Value = CountTable> {
    table_for(Threshold::DEFAULT.get())
}

/// Any threshold a partnership may set, with a table whose counts lie around it.
fn threshold_and_table() -> impl Strategy<Value = (u32, CountTable)> {
    (Threshold::MIN..=Threshold::MAX).prop_flat_map(|t| (Just(t), table_for(t)))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]

    #[test]
    fn no_published_cell_is_small_and_no_hidden_cell_can_be_worked_out(
        (threshold, table) in threshold_and_table(),
    ) {
        let threshold = Threshold::new(threshold).unwrap();
        let p = suppress(&table, threshold);
        let values = table.grid();
        prop_assert_eq!(p.grid.cells.len(), values.cells.len());
        for (&cell, &n) in p.grid.cells.iter().zip(&values.cells) {
            match cell {
                // Zero apart, nothing published is below the threshold, and what is shown is
                // the true count.
                Cell::Exact(shown) => {
                    prop_assert_eq!(shown, n);
                    prop_assert!(n == 0 || n >= u64::from(threshold.get()));
                }
                Cell::FewerThan(t) => {
                    prop_assert_eq!(t, threshold.get());
                    prop_assert!(n >= 1 && n < u64::from(t));
                }
                // Only real counts hide others; a small one is always "fewer than".
                Cell::Suppressed => prop_assert!(n >= u64::from(threshold.get())),
            }
        }
        assert_no_cell_can_be_worked_out(&p, &table);
    }

    #[test]
    fn suppression_is_deterministic(table in any_table()) {
        prop_assert_eq!(
            suppress(&table, Threshold::DEFAULT),
            suppress(&table, Threshold::DEFAULT)
        );
    }
}
