//! One figure (a rate, a latency…) of a series of outcomes, as table cells: medians per
//! implementation, the best peer, ratios of ferrozmq to the others, the spread of the
//! rounds.

use super::Gap;
use crate::implementations::Implementation;
use crate::outcome::Outcome;
use crate::stats;
use crate::table::Cell;
use crate::units;
use std::collections::BTreeMap;

/// Which way is better for a figure.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Better {
    /// Rates.
    Higher,
    /// Latencies.
    Lower,
}

impl Better {
    /// Whether ferrozmq's `ratio` to another implementation means ferrozmq is behind.
    pub fn behind(self, ratio: f64) -> bool {
        match self {
            Better::Higher => ratio < 1.0,
            Better::Lower => ratio > 1.0,
        }
    }
}

/// A figure of the outcomes keyed by `K` (a row, a subscriber count…).
pub struct Figure<'a, K, T> {
    /// The outcomes per key and implementation.
    pub series: &'a BTreeMap<K, BTreeMap<Implementation, Outcome<T>>>,
    /// The figure of one sample.
    pub value: fn(&T) -> f64,
    /// How the figure is written.
    pub format: fn(f64) -> String,
    /// Which way is better.
    pub better: Better,
    /// Whether an implementation can run the key's scenario at all.
    pub applies: fn(&K, Implementation) -> bool,
}

impl<K: Ord, T> Figure<'_, K, T> {
    /// Every key, in order.
    pub fn keys(&self) -> impl Iterator<Item = &K> {
        self.series.keys()
    }

    fn outcome(&self, key: &K, library: Implementation) -> Option<&Outcome<T>> {
        self.series.get(key)?.get(&library)
    }

    /// The median over the rounds.
    pub fn median(&self, key: &K, library: Implementation) -> Option<f64> {
        self.outcome(key, library)?.median(self.value)
    }

    /// The median as a cell: `n/a` where the implementation cannot run the scenario,
    /// `failed` where every round failed.
    pub fn cell(&self, key: &K, library: Implementation) -> Cell {
        if !(self.applies)(key, library) {
            return Cell::plain("n/a");
        }
        match (self.median(key, library), self.outcome(key, library)) {
            (Some(median), _) => Cell::plain((self.format)(median)),
            (None, Some(outcome)) if !outcome.failures.is_empty() => Cell::plain("failed"),
            _ => Cell::plain("–"),
        }
    }

    /// ferrozmq's median over `other`'s.
    pub fn ratio(&self, key: &K, other: Implementation) -> Option<f64> {
        stats::ratio(
            self.median(key, Implementation::Ferrozmq),
            self.median(key, other),
        )
    }

    /// The ratio as a cell, flagged when `flag` holds and ferrozmq is behind.
    pub fn ratio_cell(&self, key: &K, other: Implementation, flag: bool) -> Cell {
        match self.ratio(key, other) {
            Some(ratio) => Cell::flagged_if(units::ratio(ratio), flag && self.better.behind(ratio)),
            None => Cell::plain("–"),
        }
    }

    /// The widest spread among the key's implementations, as a percentage.
    pub fn spread_cell(&self, key: &K) -> Cell {
        Implementation::ALL
            .into_iter()
            .filter_map(|library| self.outcome(key, library)?.spread(self.value))
            .reduce(f64::max)
            .map_or_else(|| Cell::plain("–"), |s| Cell::plain(units::percent(s)))
    }

    /// The peer (any implementation of [`Implementation::PEERS`]) with the best median,
    /// and that median.
    pub fn best_peer(&self, key: &K) -> Option<(Implementation, f64)> {
        Implementation::PEERS
            .into_iter()
            .filter_map(|peer| Some((peer, self.median(key, peer)?)))
            .reduce(|best, candidate| {
                let better = match self.better {
                    Better::Higher => candidate.1 > best.1,
                    Better::Lower => candidate.1 < best.1,
                };
                if better {
                    candidate
                } else {
                    best
                }
            })
    }

    /// The best peer's name as a cell.
    pub fn best_peer_cell(&self, key: &K) -> Cell {
        self.best_peer(key)
            .map_or_else(|| Cell::plain("–"), |(peer, _)| Cell::plain(peer.name()))
    }

    /// ferrozmq's median over the best peer's, flagged when ferrozmq is behind.
    pub fn best_ratio_cell(&self, key: &K) -> Cell {
        let ratio = self.best_peer(key).and_then(|(_, best)| {
            stats::ratio(self.median(key, Implementation::Ferrozmq), Some(best))
        });
        match ratio {
            Some(ratio) => Cell::flagged_if(units::ratio(ratio), self.better.behind(ratio)),
            None => Cell::plain("–"),
        }
    }

    /// The key's row for the gaps table, if ferrozmq's median is behind the best peer's.
    pub fn gap(&self, key: &K, scenario: &str, setting: String) -> Option<Gap> {
        let (peer, best) = self.best_peer(key)?;
        let ratio = stats::ratio(self.median(key, Implementation::Ferrozmq), Some(best))?;
        if !self.better.behind(ratio) {
            return None;
        }
        Some(Gap {
            // Taking `ratio` times as long is as bad as a rate of 1 / ratio.
            severity: match self.better {
                Better::Higher => ratio,
                Better::Lower => 1.0 / ratio,
            },
            cells: vec![
                Cell::plain(scenario),
                Cell::plain(setting),
                self.cell(key, Implementation::Ferrozmq),
                Cell::plain(peer.name()),
                self.cell(key, peer),
                Cell::flagged_if(units::ratio(ratio), true),
                self.spread_cell(key),
            ],
        })
    }

    /// One note per failed series, naming it with `describe(key)`.
    pub fn failure_notes(&self, describe: impl Fn(&K) -> String) -> Vec<String> {
        let mut notes = Vec::new();
        for (key, outcomes) in self.series {
            for (library, outcome) in outcomes {
                if let Some(first) = outcome.failures.first() {
                    notes.push(format!(
                        "{library} {}: failed {} of {} times, first with: {first}",
                        describe(key),
                        outcome.failures.len(),
                        outcome.failures.len() + outcome.samples.len(),
                    ));
                }
            }
        }
        notes
    }
}

/// Every implementation can run every scenario of the series.
pub fn always(_: &impl Sized, _: Implementation) -> bool {
    true
}
