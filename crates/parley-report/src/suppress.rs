//! Small-number suppression for tables that leave the partnership (issue 17, item 3): the PDF
//! and CSV marked "for publication" never show a count from 1 to the threshold less one.
//!
//! - **Primary:** a count from 1 to `threshold - 1` (totals included) is shown as "fewer than
//!   5" ([`Cell::FewerThan`]).
//! - **Zeros are published.** A zero names nobody, and hiding zeros would hide where nothing
//!   happened, which is itself the finding a partnership most often reports. So `Exact(0)` is
//!   allowed, and a zero is never used to hide another cell either: every cell that is not
//!   published is a real, nonzero count.
//! - **Secondary:** no hidden cell may be worked out from the totals the table shows. Each
//!   row with a total shown is the equation "its cells add up to its total", each column with a
//!   total likewise, and the totals row and column too (the column totals add up to the grand
//!   total). A hidden cell can be worked out exactly when it is a *bridge* of the graph whose
//!   nodes are these equations and whose edges are the hidden cells (each cell is in one row
//!   and one column): summing the equations on one side of a bridge leaves that cell alone.
//!   So while a hidden cell is a bridge, the cheapest chain of further cells (least total
//!   count, then fewest cells) that closes a loop through it is hidden too
//!   ([`Cell::Suppressed`]), until no hidden cell is a bridge. This covers the familiar rule
//!   "a row or column with exactly one hidden cell gets a second" (such a cell is a bridge)
//!   and also the case it misses: two blocks of hidden cells joined by a single cell.
//!
//! A line without a total shown is no equation: the ends of cells in such lines are one
//! "ground" node, which is why a plain list with a total needs two hidden cells, not one.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use crate::ReportError;

/// The smallest count a published table shows exactly (zero apart).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Threshold(u32);

impl Threshold {
    /// Issue 17: "counts between 1 and the partnership's threshold (default 5)".
    pub const DEFAULT: Threshold = Threshold(5);
    /// A threshold of 1 would hide nothing, so it is not a publication threshold.
    pub const MIN: u32 = 2;
    /// A partnership sets its own from `MIN` to this: beyond 20 a partnership's yearly
    /// tables would be mostly hidden.
    pub const MAX: u32 = 20;

    pub fn new(n: u32) -> Result<Threshold, ReportError> {
        if (Self::MIN..=Self::MAX).contains(&n) {
            Ok(Threshold(n))
        } else {
            Err(ReportError::Threshold {
                given: n,
                min: Self::MIN,
                max: Self::MAX,
            })
        }
    }

    pub fn get(self) -> u32 {
        self.0
    }
}

impl Default for Threshold {
    fn default() -> Self {
        Threshold::DEFAULT
    }
}

/// A published cell.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Cell {
    /// Shown as it is: zero, or at least the threshold.
    Exact(u64),
    /// A count from 1 to the threshold less one: "fewer than 5".
    FewerThan(u32),
    /// Hidden so that a "fewer than" cell cannot be worked out from the totals.
    Suppressed,
}

impl Cell {
    /// As the table shows it.
    pub fn text(self) -> String {
        match self {
            Cell::Exact(n) => n.to_string(),
            Cell::FewerThan(t) => format!("fewer than {t}"),
            Cell::Suppressed => "suppressed".to_owned(),
        }
    }

    pub fn is_hidden(self) -> bool {
        !matches!(self, Cell::Exact(_))
    }
}

/// A table of counts with the totals it shows. The totals are worked out here, so they always
/// agree with the cells.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CountTable {
    rows: usize,
    cols: usize,
    /// Row by row.
    counts: Vec<u64>,
    /// A total at the end of each row (and so a grand total if `col_totals` too).
    pub row_totals: bool,
    /// A total at the foot of each column.
    pub col_totals: bool,
}

impl CountTable {
    /// A table from its rows, each `cols` long.
    pub fn new(
        cols: usize,
        rows: &[Vec<u64>],
        row_totals: bool,
        col_totals: bool,
    ) -> Result<CountTable, ReportError> {
        if let Some((row, r)) = rows.iter().enumerate().find(|(_, r)| r.len() != cols) {
            return Err(ReportError::RaggedTable {
                row,
                expected: cols,
                found: r.len(),
            });
        }
        Ok(CountTable {
            rows: rows.len(),
            cols,
            counts: rows.concat(),
            row_totals,
            col_totals,
        })
    }

    /// One column of counts with its total at the foot.
    pub fn list(counts: &[u64]) -> CountTable {
        CountTable {
            rows: counts.len(),
            cols: 1,
            counts: counts.to_vec(),
            row_totals: false,
            col_totals: true,
        }
    }

    pub fn rows(&self) -> usize {
        self.rows
    }

    pub fn cols(&self) -> usize {
        self.cols
    }

    pub fn count(&self, row: usize, col: usize) -> u64 {
        self.counts[row * self.cols + col]
    }

    /// The table with its totals as one grid: the cells, then (if shown) a totals column at
    /// the right and a totals row at the foot, the grand total in the corner when both are.
    pub fn grid(&self) -> Grid<u64> {
        let rows = self.rows + usize::from(self.col_totals);
        let cols = self.cols + usize::from(self.row_totals);
        let mut cells = vec![0; rows * cols];
        for r in 0..self.rows {
            for c in 0..self.cols {
                let n = self.count(r, c);
                cells[r * cols + c] = n;
                if self.row_totals {
                    cells[r * cols + self.cols] += n;
                }
                if self.col_totals {
                    cells[self.rows * cols + c] += n;
                }
                if self.row_totals && self.col_totals {
                    cells[self.rows * cols + self.cols] += n;
                }
            }
        }
        Grid { rows, cols, cells }
    }
}

/// A rectangle of values, row by row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Grid<T> {
    pub rows: usize,
    pub cols: usize,
    pub cells: Vec<T>,
}

impl<T: Copy> Grid<T> {
    pub fn get(&self, row: usize, col: usize) -> T {
        self.cells[row * self.cols + col]
    }
}

/// A table as published: [`CountTable::grid`]'s layout, each cell exact or hidden.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Published {
    pub grid: Grid<Cell>,
    pub threshold: Threshold,
    /// Whether the grid ends with a totals column / a totals row.
    pub row_totals: bool,
    pub col_totals: bool,
}

/// Hides the small counts of `table` and the cells that would give them away.
pub fn suppress(table: &CountTable, threshold: Threshold) -> Published {
    let values = table.grid();
    let t = u64::from(threshold.get());
    let mut hidden: Vec<bool> = values.cells.iter().map(|&n| n > 0 && n < t).collect();
    let graph = Equations::new(&values, table.row_totals, table.col_totals);
    while let Some(bridge) = graph.first_bridge(&hidden) {
        let more = graph.cheapest_loop(bridge, &values.cells, &hidden);
        // Never empty (see `cheapest_loop`); the check only guarantees the loop ends.
        if more.is_empty() {
            break;
        }
        for cell in more {
            hidden[cell] = true;
        }
    }
    let cells = values
        .cells
        .iter()
        .zip(&hidden)
        .map(|(&n, &h)| match (h, n < t) {
            (false, _) => Cell::Exact(n),
            (true, true) => Cell::FewerThan(threshold.get()),
            (true, false) => Cell::Suppressed,
        })
        .collect();
    Published {
        grid: Grid {
            rows: values.rows,
            cols: values.cols,
            cells,
        },
        threshold,
        row_totals: table.row_totals,
        col_totals: table.col_totals,
    }
}

/// The equations a table's totals give, as a graph: node 0 is the ground (every line with no
/// total shown), then one node per row with a total, then one per column with a total. Cell
/// `i` of the grid is the edge `ends[i]`.
struct Equations {
    nodes: usize,
    ends: Vec<(usize, usize)>,
}

impl Equations {
    fn new(grid: &Grid<u64>, row_totals: bool, col_totals: bool) -> Equations {
        let row_node = |r: usize| if row_totals { 1 + r } else { 0 };
        let col_base = 1 + if row_totals { grid.rows } else { 0 };
        let col_node = |c: usize| if col_totals { col_base + c } else { 0 };
        let nodes = col_base + if col_totals { grid.cols } else { 0 };
        let ends = (0..grid.rows * grid.cols)
            .map(|i| (row_node(i / grid.cols), col_node(i % grid.cols)))
            .collect();
        Equations { nodes, ends }
    }

    /// The first hidden cell that is a bridge among the hidden cells (Tarjan's low-link).
    fn first_bridge(&self, hidden: &[bool]) -> Option<usize> {
        let mut adjacent = vec![Vec::new(); self.nodes];
        for (edge, &(a, b)) in self.ends.iter().enumerate() {
            if hidden[edge] && a != b {
                adjacent[a].push((b, edge));
                adjacent[b].push((a, edge));
            }
        }
        let mut order = vec![usize::MAX; self.nodes];
        let mut low = vec![0; self.nodes];
        let mut bridges = Vec::new();
        let mut counter = 0;
        for start in 0..self.nodes {
            if order[start] != usize::MAX {
                continue;
            }
            // (node, the edge it was reached by, the next neighbour to look at)
            let mut stack = vec![(start, usize::MAX, 0)];
            order[start] = counter;
            low[start] = counter;
            counter += 1;
            while let Some(&mut (node, via, ref mut next)) = stack.last_mut() {
                if let Some(&(to, edge)) = adjacent[node].get(*next) {
                    *next += 1;
                    if edge == via {
                        continue;
                    }
                    if order[to] == usize::MAX {
                        order[to] = counter;
                        low[to] = counter;
                        counter += 1;
                        stack.push((to, edge, 0));
                    } else {
                        low[node] = low[node].min(order[to]);
                    }
                } else {
                    stack.pop();
                    if let Some(&(parent, _, _)) = stack.last() {
                        low[parent] = low[parent].min(low[node]);
                        if low[node] > order[parent] {
                            bridges.push(via);
                        }
                    }
                }
            }
        }
        bridges.into_iter().min()
    }

    /// The cells not yet hidden on the cheapest path between the ends of `bridge` through
    /// nonzero cells other than it (hidden cells cost nothing; a visible one its count, then
    /// one for each cell). Such a path always exists: summing the equations on one side of
    /// the bridge shows its count equals a sum of other nonzero cells across the cut.
    fn cheapest_loop(&self, bridge: usize, counts: &[u64], hidden: &[bool]) -> Vec<usize> {
        let mut adjacent = vec![Vec::new(); self.nodes];
        for (edge, &(a, b)) in self.ends.iter().enumerate() {
            if edge != bridge && counts[edge] > 0 && a != b {
                adjacent[a].push((b, edge));
                adjacent[b].push((a, edge));
            }
        }
        let (from, to) = self.ends[bridge];
        let mut best: Vec<Option<(u64, usize)>> = vec![None; self.nodes];
        let mut came_by = vec![usize::MAX; self.nodes];
        let mut heap = BinaryHeap::new();
        best[from] = Some((0, 0));
        heap.push(Reverse(((0u64, 0usize), from)));
        while let Some(Reverse((cost, node))) = heap.pop() {
            if best[node] != Some(cost) {
                continue;
            }
            if node == to {
                break;
            }
            for &(next, edge) in &adjacent[node] {
                let step = if hidden[edge] {
                    (0, 0)
                } else {
                    (counts[edge], 1)
                };
                let reach = (cost.0 + step.0, cost.1 + step.1);
                if best[next].is_none_or(|b| reach < b) {
                    best[next] = Some(reach);
                    came_by[next] = edge;
                    heap.push(Reverse((reach, next)));
                }
            }
        }
        let mut path = Vec::new();
        let mut node = to;
        while node != from && came_by[node] != usize::MAX {
            let edge = came_by[node];
            if !hidden[edge] {
                path.push(edge);
            }
            let (a, b) = self.ends[edge];
            node = if a == node { b } else { a };
        }
        path
    }
}

#[cfg(test)]
#[path = "suppress_tests.rs"]
mod tests;
