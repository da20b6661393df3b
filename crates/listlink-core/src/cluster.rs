//! Clustering: records joined by pairs at or above the match threshold form one person
//! (connected components). Cluster ids come from the members, not from input order.

use crate::table::RowId;
use petgraph::unionfind::UnionFind;

/// A cluster per row: `cluster[row]` is the row that names the cluster (its smallest member
/// key, so the id is the same whatever order the records arrived in).
pub fn connected_components(
    rows: usize,
    edges: impl Iterator<Item = (RowId, RowId)>,
    member_key: impl Fn(usize) -> (String, String),
) -> Vec<u32> {
    let mut uf = UnionFind::<u32>::new(rows);
    for (a, b) in edges {
        uf.union(a.0, b.0);
    }
    let labels = uf.into_labeling();
    // The representative of each component: the member with the smallest (source, id).
    let mut best: Vec<Option<usize>> = vec![None; rows];
    let keys: Vec<(String, String)> = (0..rows).map(&member_key).collect();
    for (row, &root) in labels.iter().enumerate() {
        let slot = &mut best[root as usize];
        match slot {
            Some(b) if keys[*b] <= keys[row] => {}
            _ => *slot = Some(row),
        }
    }
    labels
        .iter()
        .map(|&root| best[root as usize].expect("every root has a member") as u32)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn components_are_named_by_their_smallest_member() {
        let ids = ["c", "a", "b", "d"];
        let key = |r: usize| ("s".to_string(), ids[r].to_string());
        let clusters = connected_components(
            4,
            [(RowId(0), RowId(2)), (RowId(2), RowId(1))].into_iter(),
            key,
        );
        assert_eq!(clusters, vec![1, 1, 1, 3]);
        // same edges, other order: same naming
        let again = connected_components(
            4,
            [(RowId(1), RowId(2)), (RowId(0), RowId(2))].into_iter(),
            key,
        );
        assert_eq!(again, clusters);
    }
}
