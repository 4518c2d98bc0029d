//! A compressed byte trie (radix tree) with a value per stored prefix: the shared skeleton of
//! [`SubscriptionSet`](super::SubscriptionSet) and [`SubscriptionTrie`](super::SubscriptionTrie).
//!
//! Subscriptions come from peers, so the shape is chosen to stay cheap under hostile input:
//!
//! - An edge carries a run of bytes, not one byte, so a 100 KB prefix is one node, and every
//!   node other than the root either holds a value or branches to at least two children:
//!   there are fewer than two nodes per stored prefix, and removing a prefix frees its nodes.
//! - A node does not own its label. It holds a shared handle to one stored prefix that runs
//!   through it, plus its depth; its label is that prefix between its parent's depth and its
//!   own. Splitting an edge and merging a node into its only child re-link nodes without
//!   copying bytes, so a one-byte SUBSCRIBE/CANCEL pair next to a long prefix stays cheap.
//!   The price: a branching node may keep alive the bytes of a removed prefix that ran
//!   through it, which is bounded by one prefix per live node and does not grow with churn.
//! - Nodes live in a slab and point to each other by index, and every walk is a loop, so
//!   neither deep tries nor dropping them touch the call stack.

use slab::Slab;
use std::sync::Arc;

/// A node's key in the trie's slab.
pub(super) type NodeId = usize;

/// The root is created first and never removed, so it always has the first slab key.
const ROOT: NodeId = 0;

/// What a trie stores per prefix; [`Default`] is the vacant value a new node starts with.
pub(super) trait NodeValue: Default {
    /// Whether nothing is stored here, so that the node may be pruned.
    fn is_vacant(&self) -> bool;
}

#[derive(Debug)]
struct Node<V> {
    /// A stored prefix that runs through this node: `path[..depth]` spells the node's place.
    path: Arc<[u8]>,
    depth: usize,
    /// Meaningless for the root.
    parent: NodeId,
    /// Sorted by byte, the first byte of each child's label.
    children: Vec<(u8, NodeId)>,
    value: V,
}

impl<V> Node<V> {
    fn child(&self, byte: u8) -> Option<NodeId> {
        self.edge(byte).ok().map(|slot| self.children[slot].1)
    }

    /// Where the edge starting with `byte` is, or would be inserted, in `children`.
    fn edge(&self, byte: u8) -> Result<usize, usize> {
        self.children.binary_search_by_key(&byte, |&(b, _)| b)
    }
}

/// Prefixes of bytes, each with a value, walked along a message in one pass.
///
/// Callers keep one invariant: after [`insert`](Self::insert) they make the node's value
/// non-vacant, and once they make a value vacant they call [`release`](Self::release).
#[derive(Debug)]
pub(super) struct ByteTrie<V> {
    nodes: Slab<Node<V>>,
}

impl<V: NodeValue> ByteTrie<V> {
    /// A trie with no prefix stored.
    pub(super) fn new() -> Self {
        let mut nodes = Slab::new();
        let root = nodes.insert(Node {
            path: Arc::from(&[][..]),
            depth: 0,
            parent: ROOT,
            children: Vec::new(),
            value: V::default(),
        });
        debug_assert_eq!(root, ROOT);
        Self { nodes }
    }

    /// The node for `prefix`, created (with a vacant value) if needed.
    pub(super) fn insert(&mut self, prefix: &[u8]) -> NodeId {
        // Shared by every node this insertion creates; made only if one is created.
        let mut shared: Option<Arc<[u8]>> = None;
        let mut node = ROOT;
        loop {
            let depth = self.nodes[node].depth;
            let Some(&byte) = prefix.get(depth) else {
                return node;
            };
            let slot = match self.nodes[node].edge(byte) {
                Ok(slot) => slot,
                Err(slot) => {
                    let path = shared.get_or_insert_with(|| Arc::from(prefix)).clone();
                    let leaf = self.nodes.insert(Node {
                        path,
                        depth: prefix.len(),
                        parent: node,
                        children: Vec::new(),
                        value: V::default(),
                    });
                    self.nodes[node].children.insert(slot, (byte, leaf));
                    return leaf;
                }
            };
            let child = self.nodes[node].children[slot].1;
            let label = &self.nodes[child].path[depth..self.nodes[child].depth];
            let common = label
                .iter()
                .zip(&prefix[depth..])
                .take_while(|(a, b)| a == b)
                .count();
            if common == label.len() {
                node = child;
                continue;
            }
            // `prefix` leaves the edge part way: split it where they part.
            let split_byte = label[common];
            let path = shared.get_or_insert_with(|| Arc::from(prefix)).clone();
            let middle = self.nodes.insert(Node {
                path,
                depth: depth + common,
                parent: node,
                children: vec![(split_byte, child)],
                value: V::default(),
            });
            self.nodes[child].parent = middle;
            self.nodes[node].children[slot].1 = middle;
            node = middle;
        }
    }

    /// The node whose path is exactly `prefix`, if there is one.
    pub(super) fn find(&self, prefix: &[u8]) -> Option<NodeId> {
        let mut node = ROOT;
        loop {
            let here = &self.nodes[node];
            let Some(&byte) = prefix.get(here.depth) else {
                return Some(node);
            };
            let child = here.child(byte)?;
            if !self.continues_along(here.depth, child, prefix) {
                return None;
            }
            node = child;
        }
    }

    /// Whether `child`, entered after `depth` bytes of `data` matched, matches `data` too.
    fn continues_along(&self, depth: usize, child: NodeId, data: &[u8]) -> bool {
        let child = &self.nodes[child];
        // `get` on `data` fails when the child's path is longer than `data`.
        child.path.get(depth..child.depth) == data.get(depth..child.depth)
    }

    /// The values of the nodes whose paths are prefixes of `data`, shortest first, vacant
    /// ones included. Costs one pass over (at most) the bytes of `data`.
    pub(super) fn along<'t, 'd>(&'t self, data: &'d [u8]) -> Along<'t, 'd, V> {
        Along {
            trie: self,
            data,
            next: Some(ROOT),
        }
    }

    /// What is stored for a node's prefix.
    #[cfg(test)]
    pub(super) fn value(&self, node: NodeId) -> &V {
        &self.nodes[node].value
    }

    /// What is stored for a node's prefix, to change; see the invariant on [`ByteTrie`].
    pub(super) fn value_mut(&mut self, node: NodeId) -> &mut V {
        &mut self.nodes[node].value
    }

    /// The prefix a node stands for.
    pub(super) fn prefix(&self, node: NodeId) -> &[u8] {
        let node = &self.nodes[node];
        &node.path[..node.depth]
    }

    /// Every stored prefix with its value, in no particular order.
    pub(super) fn entries(&self) -> impl Iterator<Item = (&[u8], &V)> {
        self.nodes
            .iter()
            .filter(|(_, node)| !node.value.is_vacant())
            .map(|(_, node)| (&node.path[..node.depth], &node.value))
    }

    /// Whether no prefix is stored.
    #[cfg(test)]
    pub(super) fn is_empty(&self) -> bool {
        self.nodes.len() == 1 && self.nodes[ROOT].value.is_vacant()
    }

    /// Prunes `node` after its value became vacant: frees it, or merges it into its only
    /// child, and does the same for its parent if that one no longer branches. Nothing
    /// happens if the node is the root, or still holds a value, or still branches.
    pub(super) fn release(&mut self, node: NodeId) {
        let mut node = node;
        while node != ROOT && self.nodes[node].value.is_vacant() {
            let parent = self.nodes[node].parent;
            match *self.nodes[node].children {
                [] => {
                    self.relink(node, None);
                    // The parent lost a branch; if it held no value it may be a plain link now.
                    node = parent;
                }
                [(_, only)] => {
                    // The child's path runs through `node`, so re-parenting it lengthens its
                    // label by `node`'s without touching any bytes.
                    self.nodes[only].parent = parent;
                    self.relink(node, Some(only));
                    return;
                }
                _ => return,
            }
        }
    }

    /// Removes `node` from the slab, pointing its parent's edge to `replacement` or, without
    /// one, removing the edge.
    fn relink(&mut self, node: NodeId, replacement: Option<NodeId>) {
        let removed = self.nodes.remove(node);
        let parent = &mut self.nodes[removed.parent];
        let Some(&byte) = removed.path.get(parent.depth) else {
            return;
        };
        if let Ok(slot) = parent.edge(byte) {
            match replacement {
                Some(child) => parent.children[slot].1 = child,
                None => {
                    parent.children.remove(slot);
                }
            }
        }
    }

    /// How many nodes exist besides the root.
    #[cfg(test)]
    pub(super) fn node_count(&self) -> usize {
        self.nodes.len() - 1
    }
}

/// Iterator returned by [`ByteTrie::along`].
pub(super) struct Along<'t, 'd, V> {
    trie: &'t ByteTrie<V>,
    data: &'d [u8],
    next: Option<NodeId>,
}

impl<'t, V: NodeValue> Iterator for Along<'t, '_, V> {
    type Item = &'t V;

    fn next(&mut self) -> Option<&'t V> {
        let node = &self.trie.nodes[self.next?];
        self.next = self
            .data
            .get(node.depth)
            .and_then(|&byte| node.child(byte))
            .filter(|&child| self.trie.continues_along(node.depth, child, self.data));
        Some(&node.value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    impl NodeValue for bool {
        fn is_vacant(&self) -> bool {
            !*self
        }
    }

    fn store(trie: &mut ByteTrie<bool>, prefix: &[u8]) {
        let node = trie.insert(prefix);
        *trie.value_mut(node) = true;
    }

    fn unstore(trie: &mut ByteTrie<bool>, prefix: &[u8]) {
        let node = trie.find(prefix).expect("stored");
        *trie.value_mut(node) = false;
        trie.release(node);
    }

    fn stored_along(trie: &ByteTrie<bool>, data: &[u8]) -> usize {
        trie.along(data).filter(|&&stored| stored).count()
    }

    fn sorted_entries(trie: &ByteTrie<bool>) -> Vec<Vec<u8>> {
        let mut entries: Vec<_> = trie.entries().map(|(p, _)| p.to_vec()).collect();
        entries.sort();
        entries
    }

    #[test]
    fn a_long_prefix_is_a_single_node() {
        let mut trie = ByteTrie::new();
        store(&mut trie, &[7; 100_000]);
        assert_eq!(trie.node_count(), 1);
    }

    #[test]
    fn diverging_prefixes_split_an_edge_and_merge_back() {
        let mut trie = ByteTrie::new();
        store(&mut trie, b"abcdef");
        store(&mut trie, b"abcxyz");
        // "abc" branches to "def" and "xyz".
        assert_eq!(trie.node_count(), 3);
        assert_eq!(trie.find(b"abc").map(|n| trie.prefix(n)), Some(&b"abc"[..]));
        assert_eq!(trie.find(b"ab"), None);
        unstore(&mut trie, b"abcxyz");
        assert_eq!(trie.node_count(), 1);
        assert_eq!(trie.find(b"abc"), None);
        assert_eq!(stored_along(&trie, b"abcdefg"), 1);
        assert_eq!(stored_along(&trie, b"abcxyz"), 0);
    }

    #[test]
    fn a_prefix_ending_inside_an_edge_splits_it() {
        let mut trie = ByteTrie::new();
        store(&mut trie, b"abcdef");
        store(&mut trie, b"abc");
        assert_eq!(trie.node_count(), 2);
        assert_eq!(stored_along(&trie, b"abcd"), 1);
        assert_eq!(stored_along(&trie, b"abcdefgh"), 2);
        unstore(&mut trie, b"abc");
        assert_eq!(trie.node_count(), 1);
        assert_eq!(stored_along(&trie, b"abcdef"), 1);
        assert_eq!(sorted_entries(&trie), [b"abcdef".to_vec()]);
    }

    #[test]
    fn removing_a_middle_prefix_merges_its_node_into_the_child() {
        let mut trie = ByteTrie::new();
        for prefix in [&b"a"[..], b"abc", b"abcde"] {
            store(&mut trie, prefix);
        }
        unstore(&mut trie, b"abc");
        assert_eq!(trie.node_count(), 2);
        assert_eq!(stored_along(&trie, b"abcdef"), 2);
        assert_eq!(
            trie.find(b"abcde").map(|n| trie.prefix(n)),
            Some(&b"abcde"[..])
        );
        assert_eq!(sorted_entries(&trie), [b"a".to_vec(), b"abcde".to_vec()]);
    }

    #[test]
    fn data_shorter_than_a_label_does_not_match_it() {
        let mut trie = ByteTrie::new();
        store(&mut trie, b"abcdef");
        assert_eq!(stored_along(&trie, b"abc"), 0);
        assert_eq!(stored_along(&trie, b""), 0);
        assert_eq!(stored_along(&trie, b"abcdeX"), 0);
    }

    #[test]
    fn the_empty_prefix_lives_in_the_root() {
        let mut trie = ByteTrie::new();
        assert!(trie.is_empty());
        store(&mut trie, b"");
        assert!(!trie.is_empty());
        assert_eq!(trie.node_count(), 0);
        assert_eq!(stored_along(&trie, b"anything"), 1);
        unstore(&mut trie, b"");
        assert!(trie.is_empty());
    }

    #[test]
    fn a_chain_of_nested_prefixes_is_walked_and_freed_without_recursion() {
        const DEPTH: usize = 5_000;
        let long = vec![b'x'; DEPTH];
        let mut trie = ByteTrie::new();
        for len in 1..=DEPTH {
            store(&mut trie, &long[..len]);
        }
        assert_eq!(trie.node_count(), DEPTH);
        assert_eq!(stored_along(&trie, &long), DEPTH);
        for len in (1..=DEPTH).step_by(2) {
            unstore(&mut trie, &long[..len]);
        }
        assert_eq!(trie.node_count(), DEPTH / 2);
        assert_eq!(stored_along(&trie, &long), DEPTH / 2);
        for len in (2..=DEPTH).step_by(2) {
            unstore(&mut trie, &long[..len]);
        }
        assert!(trie.is_empty());
        assert_eq!(trie.node_count(), 0);
    }
}
