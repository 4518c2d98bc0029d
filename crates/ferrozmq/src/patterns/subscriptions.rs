//! A subscriber's own subscriptions: what SUB sends upstream and what it lets through.

use super::byte_trie::{ByteTrie, NodeValue};

/// How many times a prefix was subscribed and not yet cancelled.
impl NodeValue for u64 {
    fn is_vacant(&self) -> bool {
        *self == 0
    }
}

/// The prefixes a SUB socket subscribed to, each counted: per RFC 29 and 37, subscribing to
/// a prefix twice takes two unsubscribes to cancel it.
///
/// Only the first subscription and the last cancellation of a prefix are news for the
/// publishers; [`add`](Self::add) and [`remove`](Self::remove) say when that is the case.
/// Matching a message costs one walk along its first bytes, however many prefixes there are.
#[derive(Debug)]
pub(crate) struct SubscriptionSet {
    counts: ByteTrie<u64>,
    /// Distinct prefixes subscribed.
    distinct: usize,
}

impl Default for SubscriptionSet {
    fn default() -> Self {
        Self::new()
    }
}

impl SubscriptionSet {
    /// No subscriptions: nothing matches.
    pub(crate) fn new() -> Self {
        Self {
            counts: ByteTrie::new(),
            distinct: 0,
        }
    }

    /// Subscribes to `prefix` once more. Returns true when it was not subscribed before, so
    /// the SUBSCRIBE has to go upstream.
    pub(crate) fn add(&mut self, prefix: &[u8]) -> bool {
        let node = self.counts.insert(prefix);
        let count = self.counts.value_mut(node);
        *count += 1;
        let first = *count == 1;
        if first {
            self.distinct += 1;
        }
        first
    }

    /// Cancels one subscription to `prefix`. Returns true when that was the last one, so the
    /// CANCEL has to go upstream; a prefix that is not subscribed is left alone (false).
    pub(crate) fn remove(&mut self, prefix: &[u8]) -> bool {
        let Some(node) = self.counts.find(prefix) else {
            return false;
        };
        let count = self.counts.value_mut(node);
        if *count == 0 {
            // A branching point between other prefixes, not a subscription.
            return false;
        }
        *count -= 1;
        if *count > 0 {
            return false;
        }
        self.counts.release(node);
        self.distinct -= 1;
        true
    }

    /// How many distinct prefixes are subscribed (TOPICS_COUNT).
    pub(crate) fn len(&self) -> usize {
        self.distinct
    }

    /// Whether some subscribed prefix starts `data`; the empty prefix matches everything.
    pub(crate) fn matches(&self, data: &[u8]) -> bool {
        self.counts.along(data).any(|&count| count > 0)
    }

    /// Each subscribed prefix once, in no particular order: what to send again to a
    /// publisher after reconnecting.
    pub(crate) fn prefixes(&self) -> impl Iterator<Item = &[u8]> {
        self.counts.entries().map(|(prefix, _)| prefix)
    }

    /// Whether nothing is subscribed.
    #[cfg(test)]
    pub(crate) fn is_empty(&self) -> bool {
        self.counts.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_rng::TestRng;
    use super::*;

    fn sorted_prefixes(set: &SubscriptionSet) -> Vec<Vec<u8>> {
        let mut prefixes: Vec<_> = set.prefixes().map(<[u8]>::to_vec).collect();
        prefixes.sort();
        prefixes
    }

    #[test]
    fn len_counts_each_prefix_once_until_its_last_cancel() {
        let mut set = SubscriptionSet::new();
        set.add(b"a");
        set.add(b"a");
        set.add(b"ab");
        assert_eq!(set.len(), 2);
        set.remove(b"a");
        assert_eq!(set.len(), 2);
        set.remove(b"a");
        set.remove(b"zz");
        assert_eq!(set.len(), 1);
    }

    #[test]
    fn nothing_matches_without_subscriptions() {
        let set = SubscriptionSet::new();
        assert!(set.is_empty());
        assert!(!set.matches(b""));
        assert!(!set.matches(b"news"));
    }

    #[test]
    fn a_prefix_matches_messages_that_start_with_it() {
        let mut set = SubscriptionSet::new();
        set.add(b"news.");
        assert!(set.matches(b"news."));
        assert!(set.matches(b"news.sport"));
        assert!(!set.matches(b"news"));
        assert!(!set.matches(b"weather"));
        assert!(!set.matches(b""));
    }

    #[test]
    fn the_empty_prefix_matches_everything() {
        let mut set = SubscriptionSet::new();
        assert!(set.add(b""));
        assert!(set.matches(b""));
        assert!(set.matches(b"\x00\xff anything"));
        assert!(set.remove(b""));
        assert!(!set.matches(b"anything"));
    }

    #[test]
    fn only_the_first_subscription_to_a_prefix_is_news() {
        let mut set = SubscriptionSet::new();
        assert!(set.add(b"A"));
        assert!(!set.add(b"A"));
        assert!(set.add(b"AB"));
    }

    #[test]
    fn a_prefix_subscribed_twice_needs_two_cancels() {
        let mut set = SubscriptionSet::new();
        set.add(b"A");
        set.add(b"A");
        assert!(!set.remove(b"A"));
        assert!(set.matches(b"A1"));
        assert!(set.remove(b"A"));
        assert!(!set.matches(b"A1"));
        assert!(set.is_empty());
    }

    #[test]
    fn cancelling_an_unknown_prefix_changes_nothing() {
        let mut set = SubscriptionSet::new();
        set.add(b"abc");
        set.add(b"abd");
        assert!(!set.remove(b"x"));
        assert!(!set.remove(b"ab"), "a branching point is no subscription");
        assert!(!set.remove(b"abcd"));
        assert!(!set.remove(b""));
        assert_eq!(sorted_prefixes(&set), [b"abc".to_vec(), b"abd".to_vec()]);
        assert!(set.add(b"ab"), "still new after the failed cancel");
    }

    #[test]
    fn prefixes_lists_each_subscription_once() {
        let mut set = SubscriptionSet::new();
        for prefix in [&b"b"[..], b"a", b"a", b"", b"abc"] {
            set.add(prefix);
        }
        assert_eq!(
            sorted_prefixes(&set),
            [b"".to_vec(), b"a".to_vec(), b"abc".to_vec(), b"b".to_vec()]
        );
    }

    #[test]
    fn a_hundred_thousand_topics_match_and_cancel() {
        let mut set = SubscriptionSet::new();
        let topic = |i: usize| format!("topic/{i}/");
        for i in 0..100_000 {
            assert!(set.add(topic(i).as_bytes()));
        }
        assert!(set.matches(b"topic/4242/data"));
        assert!(!set.matches(b"topic/100000/data"));
        assert!(!set.matches(b"topic/"));
        assert_eq!(set.prefixes().count(), 100_000);
        for i in 0..100_000 {
            assert!(set.remove(topic(i).as_bytes()));
        }
        assert!(set.is_empty());
        assert_eq!(set.counts.node_count(), 0);
    }

    #[test]
    fn a_100_kb_prefix_matches_only_longer_messages() {
        let mut set = SubscriptionSet::new();
        let mut long = vec![b'z'; 100_000];
        set.add(&long);
        assert!(!set.matches(&long[..99_999]));
        long.push(b'!');
        assert!(set.matches(&long));
        long[50_000] = b'y';
        assert!(!set.matches(&long));
    }

    #[test]
    fn matches_agrees_with_a_linear_scan_under_random_churn() {
        let mut rng = TestRng::new(0x2545_f491_4f6c_dd1d);
        let mut set = SubscriptionSet::new();
        let mut model: Vec<(Vec<u8>, u64)> = Vec::new();
        for _ in 0..20_000 {
            let prefix = rng.word(4, 3);
            let at = model.iter().position(|(p, _)| *p == prefix);
            if rng.below(2) == 0 {
                match at {
                    Some(i) => model[i].1 += 1,
                    None => model.push((prefix.clone(), 1)),
                }
                assert_eq!(set.add(&prefix), at.is_none());
            } else {
                let last = at.is_some_and(|i| model[i].1 == 1);
                match at {
                    Some(i) if last => {
                        model.swap_remove(i);
                    }
                    Some(i) => model[i].1 -= 1,
                    None => {}
                }
                assert_eq!(set.remove(&prefix), last);
            }
            let data = rng.word(6, 3);
            let expected = model.iter().any(|(p, _)| data.starts_with(p));
            assert_eq!(set.matches(&data), expected, "{data:?} against {model:?}");
            assert!(set.counts.node_count() < 2 * model.len().max(1));
        }
        let mut expected: Vec<_> = model.into_iter().map(|(p, _)| p).collect();
        expected.sort();
        assert_eq!(sorted_prefixes(&set), expected);
    }
}
