//! A publisher's view of its subscribers (PUB, XPUB): which pipes want which prefixes.

use super::byte_trie::{ByteTrie, NodeId, NodeValue};
use super::PipeId;

/// One pipe's subscription to one prefix.
#[derive(Debug)]
struct Subscriber {
    pipe: PipeId,
    /// Index of this prefix's node in the pipe's [`PipeState::nodes`], so that a cancel can
    /// unlist it without a search.
    slot: usize,
}

/// The subscribers of one prefix, sorted by pipe.
impl NodeValue for Vec<Subscriber> {
    fn is_vacant(&self) -> bool {
        self.is_empty()
    }
}

/// Position of `pipe`'s entry among a prefix's subscribers, or where it would go.
fn find_subscriber(subscribers: &[Subscriber], pipe: PipeId) -> Result<usize, usize> {
    subscribers.binary_search_by_key(&pipe, |s| s.pipe)
}

/// What the trie knows about one pipe, indexed by [`PipeId`].
#[derive(Debug, Default)]
struct PipeState {
    /// Every node where this pipe is a subscriber, so a disconnect visits only those.
    nodes: Vec<NodeId>,
    /// The [`SubscriptionTrie::matching`] call that last listed this pipe, so a pipe with
    /// several matching prefixes is listed once without hashing.
    seen: u32,
}

/// Subscriptions of all the pipes of a publishing socket. Per pipe, a prefix is subscribed
/// or not: a second SUBSCRIBE "A" from the same pipe changes nothing and one CANCEL "A"
/// ends it. That is how libzmq's publishers count, and what its XSUB relies on (it passes
/// every SUBSCRIBE upstream but only the last CANCEL); subscribers that count (SUB) send
/// one SUBSCRIBE per prefix.
///
/// Built for hostile subscribers: a message is matched in one walk along its first bytes,
/// whatever the number of subscriptions; long prefixes and deep nesting use no recursion;
/// storage follows the live subscriptions, and a disconnect costs in proportion to that
/// pipe's subscriptions only.
///
/// Pipe ids index a table here, so they are expected to be small, as slab keys are.
#[derive(Debug)]
pub(crate) struct SubscriptionTrie {
    subscribers: ByteTrie<Vec<Subscriber>>,
    pipes: Vec<PipeState>,
    /// Number of the current [`matching`](Self::matching) call, compared with
    /// [`PipeState::seen`].
    epoch: u32,
    /// Prefixes with at least one subscriber.
    distinct: usize,
}

impl Default for SubscriptionTrie {
    fn default() -> Self {
        Self::new()
    }
}

impl SubscriptionTrie {
    /// No subscriptions: messages go nowhere.
    pub(crate) fn new() -> Self {
        Self {
            subscribers: ByteTrie::new(),
            pipes: Vec::new(),
            epoch: 0,
            distinct: 0,
        }
    }

    /// Subscribes `pipe` to `prefix` (again: no change). Returns true when the prefix had no
    /// subscriber at all before (XPUB passes such subscriptions upstream).
    pub(crate) fn add(&mut self, prefix: &[u8], pipe: PipeId) -> bool {
        if self.pipes.len() <= pipe {
            self.pipes.resize_with(pipe + 1, PipeState::default);
        }
        let node = self.subscribers.insert(prefix);
        let subscribers = self.subscribers.value_mut(node);
        let was_vacant = subscribers.is_empty();
        match find_subscriber(subscribers, pipe) {
            Ok(_) => {}
            Err(at) => {
                let listed = &mut self.pipes[pipe].nodes;
                subscribers.insert(
                    at,
                    Subscriber {
                        pipe,
                        slot: listed.len(),
                    },
                );
                listed.push(node);
                if was_vacant {
                    self.distinct += 1;
                }
            }
        }
        was_vacant
    }

    /// Cancels the subscription of `pipe` to `prefix`. Returns true when the prefix has no
    /// subscriber left (XPUB passes such cancels upstream). An unknown prefix or pipe
    /// changes nothing and returns false.
    pub(crate) fn remove(&mut self, prefix: &[u8], pipe: PipeId) -> bool {
        let Some(node) = self.subscribers.find(prefix) else {
            return false;
        };
        let subscribers = self.subscribers.value_mut(node);
        let Ok(at) = find_subscriber(subscribers, pipe) else {
            return false;
        };
        let slot = subscribers.remove(at).slot;
        let vacated = subscribers.is_empty();
        self.unlist(pipe, slot);
        if vacated {
            self.subscribers.release(node);
            self.distinct -= 1;
        }
        vacated
    }

    /// Removes the node at `slot` from `pipe`'s list, keeping the slot of the node moved
    /// into its place up to date.
    fn unlist(&mut self, pipe: PipeId, slot: usize) {
        let listed = &mut self.pipes[pipe].nodes;
        listed.swap_remove(slot);
        if let Some(&moved) = listed.get(slot) {
            let subscribers = self.subscribers.value_mut(moved);
            if let Ok(at) = find_subscriber(subscribers, pipe) {
                subscribers[at].slot = slot;
            }
        }
    }

    /// Drops every subscription of `pipe` (it disconnected), calling `on_removed` with each
    /// of its prefixes and whether no pipe subscribes to it any more.
    pub(crate) fn remove_pipe(&mut self, pipe: PipeId, mut on_removed: impl FnMut(&[u8], bool)) {
        let Some(state) = self.pipes.get_mut(pipe) else {
            return;
        };
        // In prefix order, as libzmq's trie reports them (a prefix before the longer ones it
        // begins). Releasing a node never frees one where a pipe subscribes, so these stay
        // valid.
        let mut nodes = std::mem::take(&mut state.nodes);
        nodes.sort_unstable_by(|&a, &b| self.subscribers.prefix(a).cmp(self.subscribers.prefix(b)));
        for node in nodes {
            let subscribers = self.subscribers.value_mut(node);
            if let Ok(at) = find_subscriber(subscribers, pipe) {
                subscribers.remove(at);
            }
            let vacated = subscribers.is_empty();
            on_removed(self.subscribers.prefix(node), vacated);
            if vacated {
                self.subscribers.release(node);
                self.distinct -= 1;
            }
        }
    }

    /// Fills `out` (cleared first) with every pipe subscribed to a prefix of `data`, each
    /// pipe once however many of its prefixes match. Allocates nothing once `out` and the
    /// pipe table have grown to size.
    pub(crate) fn matching(&mut self, data: &[u8], out: &mut Vec<PipeId>) {
        out.clear();
        self.epoch = self.epoch.wrapping_add(1);
        if self.epoch == 0 {
            // Stamps from before the wrap could equal new epochs.
            for state in &mut self.pipes {
                state.seen = 0;
            }
            self.epoch = 1;
        }
        for subscribers in self.subscribers.along(data) {
            for subscriber in subscribers {
                let seen = &mut self.pipes[subscriber.pipe].seen;
                if *seen != self.epoch {
                    *seen = self.epoch;
                    out.push(subscriber.pipe);
                }
            }
        }
    }

    /// Whether `pipe` subscribes to at least one prefix.
    pub(crate) fn has_subscriptions(&self, pipe: PipeId) -> bool {
        self.pipes
            .get(pipe)
            .is_some_and(|state| !state.nodes.is_empty())
    }

    /// How many distinct prefixes some pipe subscribes to (TOPICS_COUNT).
    pub(crate) fn len(&self) -> usize {
        self.distinct
    }

    /// Whether no pipe subscribes to anything.
    #[cfg(test)]
    pub(crate) fn is_empty(&self) -> bool {
        self.subscribers.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_rng::TestRng;
    use super::*;

    const A: PipeId = 0;
    const B: PipeId = 1;
    const C: PipeId = 2;

    fn matching(trie: &mut SubscriptionTrie, data: &[u8]) -> Vec<PipeId> {
        let mut out = Vec::new();
        trie.matching(data, &mut out);
        out.sort_unstable();
        out
    }

    fn vacated_by(trie: &mut SubscriptionTrie, pipe: PipeId) -> Vec<Vec<u8>> {
        let mut vacated = Vec::new();
        trie.remove_pipe(pipe, |prefix, vacated_now| {
            if vacated_now {
                vacated.push(prefix.to_vec())
            }
        });
        vacated.sort();
        vacated
    }

    #[test]
    fn len_counts_prefixes_with_a_subscriber_whoever_holds_them() {
        let mut trie = SubscriptionTrie::new();
        trie.add(b"a", A);
        trie.add(b"a", B);
        trie.add(b"ab", A);
        trie.add(b"", B);
        assert_eq!(trie.len(), 3);
        trie.remove(b"a", A);
        assert_eq!(trie.len(), 3, "B still holds a");
        trie.remove_pipe(B, |_, _| {});
        assert_eq!(trie.len(), 1);
        trie.remove(b"ab", A);
        assert_eq!(trie.len(), 0);
    }

    #[test]
    fn a_pipes_prefixes_are_reported_in_prefix_order_as_libzmqs_trie_does() {
        let mut trie = SubscriptionTrie::default();
        for prefix in [&b"\xfd\x04"[..], b"", b"b", b"ab", b"a"] {
            trie.add(prefix, A);
        }
        let mut reported = Vec::new();
        trie.remove_pipe(A, |prefix, _| reported.push(prefix.to_vec()));
        assert_eq!(
            reported,
            [&b""[..], b"a", b"ab", b"b", b"\xfd\x04"].map(|p| p.to_vec())
        );
    }

    /// Checks that every pipe's list of nodes and the slots pointing into it agree.
    fn assert_index_consistent(trie: &SubscriptionTrie) {
        for (pipe, state) in trie.pipes.iter().enumerate() {
            for (slot, &node) in state.nodes.iter().enumerate() {
                let subscribers = trie.subscribers.value(node);
                let at = find_subscriber(subscribers, pipe).expect("listed pipe subscribes");
                assert_eq!(subscribers[at].slot, slot);
            }
        }
    }

    #[test]
    fn only_the_first_subscriber_of_a_prefix_is_news() {
        let mut trie = SubscriptionTrie::new();
        assert!(trie.add(b"A", A));
        assert!(!trie.add(b"A", A));
        assert!(!trie.add(b"A", B));
        assert!(trie.add(b"AB", B));
    }

    #[test]
    fn a_prefix_is_vacated_when_its_last_subscriber_cancels() {
        let mut trie = SubscriptionTrie::new();
        trie.add(b"A", A);
        trie.add(b"A", B);
        assert!(!trie.remove(b"A", A));
        assert_eq!(matching(&mut trie, b"A"), [B]);
        assert!(trie.remove(b"A", B));
        assert!(matching(&mut trie, b"A").is_empty());
        assert!(trie.is_empty());
    }

    #[test]
    fn a_pipe_subscribed_twice_is_unsubscribed_by_one_cancel() {
        let mut trie = SubscriptionTrie::new();
        assert!(trie.add(b"A", A));
        assert!(!trie.add(b"A", A));
        assert_eq!(matching(&mut trie, b"A1"), [A]);
        assert!(trie.remove(b"A", A));
        assert!(matching(&mut trie, b"A1").is_empty());
        assert!(!trie.remove(b"A", A));
    }

    #[test]
    fn cancelling_what_was_not_subscribed_changes_nothing() {
        let mut trie = SubscriptionTrie::new();
        trie.add(b"abc", A);
        trie.add(b"abd", A);
        assert!(!trie.remove(b"abc", B));
        assert!(
            !trie.remove(b"ab", A),
            "a branching point is no subscription"
        );
        assert!(!trie.remove(b"x", A));
        assert!(!trie.remove(b"", A));
        assert!(!trie.remove(b"abc", 1_000));
        assert_eq!(matching(&mut trie, b"abc"), [A]);
        assert_eq!(matching(&mut trie, b"abd"), [A]);
        assert!(trie.remove(b"abc", A));
        assert!(trie.remove(b"abd", A));
        assert_eq!(trie.subscribers.node_count(), 0);
    }

    #[test]
    fn a_message_goes_to_the_pipes_with_a_matching_prefix() {
        let mut trie = SubscriptionTrie::new();
        trie.add(b"news", A);
        trie.add(b"news.sport", B);
        trie.add(b"weather", C);
        assert_eq!(matching(&mut trie, b"news.sport.tennis"), [A, B]);
        assert_eq!(matching(&mut trie, b"news.politics"), [A]);
        assert_eq!(matching(&mut trie, b"new"), []);
        assert_eq!(matching(&mut trie, b"weather"), [C]);
    }

    #[test]
    fn a_pipe_with_several_matching_prefixes_gets_the_message_once() {
        let mut trie = SubscriptionTrie::new();
        trie.add(b"", A);
        trie.add(b"A", A);
        trie.add(b"AB", A);
        trie.add(b"AB", B);
        trie.add(b"ABC", B);
        let mut out = Vec::new();
        trie.matching(b"ABC", &mut out);
        out.sort_unstable();
        assert_eq!(out, [A, B]);
    }

    #[test]
    fn the_empty_prefix_matches_everything() {
        let mut trie = SubscriptionTrie::new();
        assert!(trie.add(b"", B));
        assert_eq!(matching(&mut trie, b""), [B]);
        assert_eq!(matching(&mut trie, b"\xffanything"), [B]);
        assert!(trie.remove(b"", B));
        assert!(trie.is_empty());
    }

    #[test]
    fn matching_clears_the_output_and_reuses_its_buffer() {
        let mut trie = SubscriptionTrie::new();
        trie.add(b"x", A);
        let mut out = Vec::with_capacity(8);
        out.push(99);
        let buffer = out.as_ptr();
        trie.matching(b"x", &mut out);
        assert_eq!(out, [A]);
        trie.matching(b"y", &mut out);
        assert_eq!(out, []);
        assert_eq!(out.as_ptr(), buffer);
    }

    #[test]
    fn pipes_are_deduplicated_across_the_epoch_wrap() {
        let mut trie = SubscriptionTrie::new();
        trie.add(b"a", A);
        trie.add(b"ab", A);
        trie.add(b"ab", B);
        trie.epoch = u32::MAX - 2;
        for _ in 0..5 {
            assert_eq!(matching(&mut trie, b"abc"), [A, B]);
        }
    }

    #[test]
    fn removing_a_pipe_reports_the_prefixes_nobody_else_wants() {
        let mut trie = SubscriptionTrie::new();
        for prefix in [&b""[..], b"a", b"ab", b"b"] {
            trie.add(prefix, A);
        }
        trie.add(b"ab", A);
        trie.add(b"a", B);
        trie.add(b"c", B);
        assert_eq!(
            vacated_by(&mut trie, A),
            [b"".to_vec(), b"ab".to_vec(), b"b".to_vec()]
        );
        assert_eq!(matching(&mut trie, b"abc"), [B]);
        assert_eq!(matching(&mut trie, b"b"), []);
        assert_index_consistent(&trie);
        assert_eq!(vacated_by(&mut trie, B), [b"a".to_vec(), b"c".to_vec()]);
        assert!(trie.is_empty());
        assert_eq!(trie.subscribers.node_count(), 0);
    }

    #[test]
    fn removing_an_unknown_pipe_reports_nothing() {
        let mut trie = SubscriptionTrie::new();
        trie.add(b"a", A);
        assert_eq!(vacated_by(&mut trie, B), Vec::<Vec<u8>>::new());
        assert_eq!(vacated_by(&mut trie, 12_345), Vec::<Vec<u8>>::new());
        assert_eq!(matching(&mut trie, b"a"), [A]);
    }

    #[test]
    fn a_reused_pipe_id_starts_without_subscriptions() {
        let mut trie = SubscriptionTrie::new();
        trie.add(b"a", A);
        trie.remove_pipe(A, |_, _| {});
        assert!(trie.add(b"b", A));
        assert_eq!(matching(&mut trie, b"a"), []);
        assert_eq!(matching(&mut trie, b"b"), [A]);
    }

    #[test]
    fn subscribe_cancel_churn_leaves_no_nodes_behind() {
        let mut trie = SubscriptionTrie::new();
        trie.add(b"keep", C);
        for round in 0..10_000_u32 {
            let prefix = format!("k{}", round % 97);
            let pipe = (round % 3) as PipeId;
            trie.add(prefix.as_bytes(), pipe);
            trie.add(b"ke", pipe);
            trie.remove(prefix.as_bytes(), pipe);
            trie.remove(b"ke", pipe);
        }
        assert_eq!(trie.subscribers.node_count(), 1);
        assert!(trie.pipes[A].nodes.is_empty());
        assert!(trie.pipes[B].nodes.is_empty());
        assert_eq!(matching(&mut trie, b"keeper"), [C]);
    }

    #[test]
    fn a_hundred_thousand_topics_from_one_pipe_match_and_vanish_with_it() {
        let mut trie = SubscriptionTrie::new();
        let topic = |i: usize| format!("topic/{i}/");
        for i in 0..100_000 {
            assert!(trie.add(topic(i).as_bytes(), A));
        }
        trie.add(b"topic/77/", B);
        assert_eq!(matching(&mut trie, b"topic/77/x"), [A, B]);
        assert_eq!(matching(&mut trie, b"topic/99999/x"), [A]);
        assert_eq!(matching(&mut trie, b"topic/100000/x"), []);
        let mut vacated = 0;
        trie.remove_pipe(A, |_, v| vacated += usize::from(v));
        assert_eq!(vacated, 99_999);
        assert_eq!(trie.subscribers.node_count(), 1);
        assert_eq!(vacated_by(&mut trie, B), [b"topic/77/".to_vec()]);
        assert_eq!(trie.subscribers.node_count(), 0);
    }

    #[test]
    fn a_100_kb_prefix_matches_only_messages_that_carry_it() {
        let mut trie = SubscriptionTrie::new();
        let mut long = vec![b'q'; 100_000];
        trie.add(&long, A);
        trie.add(&long[..10], B);
        assert_eq!(matching(&mut trie, &long[..99_999]), [B]);
        long.push(0);
        assert_eq!(matching(&mut trie, &long), [A, B]);
        long[99_000] = b'r';
        assert_eq!(matching(&mut trie, &long), [B]);
        assert!(trie.remove(&long[..10], B));
        assert_eq!(trie.subscribers.node_count(), 1);
    }

    #[test]
    fn deeply_nested_prefixes_need_no_recursion() {
        const DEPTH: usize = 3_000;
        let long = vec![b'n'; DEPTH];
        let mut trie = SubscriptionTrie::new();
        for len in 0..=DEPTH {
            trie.add(&long[..len], len % 4);
        }
        assert_eq!(matching(&mut trie, &long), [0, 1, 2, 3]);
        let mut vacated = 0;
        for pipe in 0..4 {
            trie.remove_pipe(pipe, |_, v| vacated += usize::from(v));
        }
        assert_eq!(vacated, DEPTH + 1);
        assert!(trie.is_empty());
        assert_eq!(trie.subscribers.node_count(), 0);
    }

    /// One (prefix, pipe) subscription of the reference model.
    type ModelEntry = (Vec<u8>, PipeId);

    fn model_has_prefix(model: &[ModelEntry], prefix: &[u8]) -> bool {
        model.iter().any(|(p, _)| p == prefix)
    }

    #[test]
    fn agrees_with_a_linear_model_under_random_churn() {
        const PIPES: usize = 6;
        let mut rng = TestRng::new(0xdead_beef_cafe_f00d);
        let mut trie = SubscriptionTrie::new();
        let mut model: Vec<ModelEntry> = Vec::new();
        let mut out = Vec::new();
        for step in 0..30_000 {
            let pipe = rng.below(PIPES);
            let prefix = rng.word(4, 3);
            match rng.below(20) {
                0..=8 => {
                    let first = !model_has_prefix(&model, &prefix);
                    if !model.iter().any(|(p, q)| *p == prefix && *q == pipe) {
                        model.push((prefix.clone(), pipe));
                    }
                    assert_eq!(trie.add(&prefix, pipe), first, "step {step}");
                }
                9..=17 => {
                    let at = model.iter().position(|(p, q)| *p == prefix && *q == pipe);
                    let mut vacated = false;
                    if let Some(at) = at {
                        model.swap_remove(at);
                        vacated = !model_has_prefix(&model, &prefix);
                    }
                    assert_eq!(trie.remove(&prefix, pipe), vacated, "step {step}");
                }
                _ => {
                    let mut expected: Vec<Vec<u8>> = model
                        .iter()
                        .filter(|(_, q)| *q == pipe)
                        .map(|(p, _)| p.clone())
                        .collect();
                    model.retain(|(_, q)| *q != pipe);
                    expected.retain(|p| !model_has_prefix(&model, p));
                    expected.sort();
                    assert_eq!(vacated_by(&mut trie, pipe), expected, "step {step}");
                }
            }
            let data = rng.word(6, 3);
            let mut expected: Vec<PipeId> = model
                .iter()
                .filter(|(p, _)| data.starts_with(p))
                .map(|&(_, q)| q)
                .collect();
            expected.sort_unstable();
            expected.dedup();
            trie.matching(&data, &mut out);
            out.sort_unstable();
            assert_eq!(out, expected, "step {step}, {data:?}");
            let mut prefixes: Vec<&[u8]> = model.iter().map(|(p, _)| &p[..]).collect();
            prefixes.sort();
            prefixes.dedup();
            assert!(trie.subscribers.node_count() < 2 * prefixes.len().max(1));
            if step % 1000 == 0 {
                assert_index_consistent(&trie);
            }
        }
        for pipe in 0..PIPES {
            trie.remove_pipe(pipe, |_, _| {});
        }
        assert!(trie.is_empty());
        assert_eq!(trie.subscribers.node_count(), 0);
    }
}
