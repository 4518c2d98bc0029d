//! The tables of a scale run.

use super::figure::{always, Better, Figure};
use super::{Gap, Section};
use crate::implementations::Implementation;
use crate::scale::{FanoutSample, IdleSample, ScaleResults, SIZE};
use crate::table::{Cell, Table};
use crate::throughput::ThroughputSample;
use crate::units;

/// The tables of a scale run.
pub fn sections(results: &ScaleResults) -> Vec<Section> {
    vec![
        fanout(results),
        idle(results),
        water_marks(results),
        senders(results),
    ]
}

fn comparison_headers(first: &str) -> Vec<&str> {
    vec![
        first,
        "ferrozmq",
        "libzmq",
        "zeromq",
        "ferrozmq / libzmq",
        "ferrozmq / zeromq",
        "spread",
    ]
}

/// One row per key: medians, the two ratios, the spread.
fn comparison_row<K: Ord, T>(figure: &Figure<'_, K, T>, key: &K, label: String) -> Vec<Cell> {
    let mut cells = vec![Cell::plain(label)];
    cells.extend(Implementation::SCALED.map(|library| figure.cell(key, library)));
    cells.push(figure.ratio_cell(key, Implementation::Libzmq, true));
    cells.push(figure.ratio_cell(key, Implementation::Zeromq, false));
    cells.push(figure.spread_cell(key));
    cells
}

fn fanout_rate(results: &ScaleResults) -> Figure<'_, usize, FanoutSample> {
    Figure {
        series: &results.fanout,
        value: FanoutSample::messages_per_second,
        format: units::rate,
        better: Better::Higher,
        applies: always,
    }
}

fn idle_memory(results: &ScaleResults) -> Figure<'_, u64, IdleSample> {
    Figure {
        series: &results.idle,
        value: IdleSample::kib_per_connection,
        format: units::significant,
        better: Better::Lower,
        applies: always,
    }
}

fn idle_accepts(results: &ScaleResults) -> Figure<'_, u64, IdleSample> {
    Figure {
        value: IdleSample::accepts_per_second,
        format: units::rate,
        better: Better::Higher,
        ..idle_memory(results)
    }
}

fn water_mark_rate(results: &ScaleResults) -> Figure<'_, i32, ThroughputSample> {
    Figure {
        series: &results.water_marks,
        value: ThroughputSample::messages_per_second,
        format: units::rate,
        better: Better::Higher,
        applies: |_, library| library.has_high_water_marks(),
    }
}

fn senders_rate(results: &ScaleResults) -> Figure<'_, usize, ThroughputSample> {
    Figure {
        series: &results.senders,
        value: ThroughputSample::messages_per_second,
        format: units::rate,
        better: Better::Higher,
        applies: always,
    }
}

/// Every row of the scale run where ferrozmq's median is behind the best peer's.
pub fn gaps(results: &ScaleResults) -> Vec<Gap> {
    let mut gaps = Vec::new();
    let fanout = fanout_rate(results);
    gaps.extend(fanout.keys().filter_map(|subscribers| {
        fanout.gap(
            subscribers,
            "PUB fan-out, msgs/s",
            format!("{subscribers} SUB"),
        )
    }));
    let memory = idle_memory(results);
    gaps.extend(memory.keys().filter_map(|connections| {
        memory.gap(
            connections,
            "idle ROUTER, KiB per connection",
            format!("{connections} peers"),
        )
    }));
    let accepts = idle_accepts(results);
    gaps.extend(accepts.keys().filter_map(|connections| {
        accepts.gap(
            connections,
            "idle ROUTER, accepts/s",
            format!("{connections} peers"),
        )
    }));
    let water_marks = water_mark_rate(results);
    gaps.extend(
        water_marks
            .keys()
            .filter_map(|hwm| water_marks.gap(hwm, "PUSH/PULL, msgs/s", format!("HWM {hwm}"))),
    );
    let senders = senders_rate(results);
    gaps.extend(
        senders.keys().filter_map(|count| {
            senders.gap(count, "many senders, msgs/s", format!("{count} PUSH"))
        }),
    );
    gaps
}

fn fanout(results: &ScaleResults) -> Section {
    let rate = fanout_rate(results);
    let delivered = Figure {
        value: FanoutSample::delivered,
        format: units::percent,
        ..rate
    };
    let mut headers = comparison_headers("subscribers");
    headers.extend(["delivered: ferrozmq", "libzmq", "zeromq"]);
    let mut table = Table::new(&headers, 1);
    for subscribers in rate.keys() {
        let mut cells = comparison_row(&rate, subscribers, subscribers.to_string());
        cells.extend(Implementation::SCALED.map(|library| delivered.cell(subscribers, library)));
        table.push(cells);
    }
    let mut section = Section::new(
        "PUB fan-out (tcp)",
        &format!(
            "One PUB sends {SIZE}-byte messages as fast as it can to N SUB sockets (one thread \
             each, in one process); deliveries per second, all subscribers together, from the \
             first arrival anywhere to the last. SNDHWM = RCVHWM = 0 (no limit), so that the \
             figure is the rate at which messages reach subscribers rather than how many a \
             full queue drops; the zeromq crate has no such option, and the delivered share \
             shows what its PUB dropped."
        ),
        table,
    );
    section
        .notes
        .extend(rate.failure_notes(|n| format!("fan-out to {n}")));
    section
}

fn idle(results: &ScaleResults) -> Section {
    let memory = idle_memory(results);
    let accepts = idle_accepts(results);
    let mut table = Table::new(
        &[
            "connections",
            "library",
            "KiB per connection",
            "accepts per second",
            "spread (memory)",
        ],
        2,
    );
    for connections in memory.keys() {
        for library in Implementation::SCALED {
            table.push(vec![
                Cell::plain(connections.to_string()),
                Cell::plain(library.name()),
                memory.cell(connections, library),
                accepts.cell(connections, library),
                memory.spread_cell(connections),
            ]);
        }
    }
    let mut section = Section::new(
        "Idle connections on one ROUTER (tcp)",
        "Plain TCP connections each greet one ROUTER as a ZMTP 3.0 DEALER and send one \
         message, 50 at a time, then stay open. Memory per connection is the ROUTER \
         process's VmRSS growth divided by the connections; the accept rate counts from the \
         first message's arrival to the last. The open-file limit is raised to its hard \
         limit first.",
        table,
    );
    section.notes.push(match &results.open_file_limit {
        Ok(limit) => format!("Open-file limit during the run: {limit}."),
        Err(error) => format!("The open-file limit could not be raised: {error}."),
    });
    section
        .notes
        .extend(memory.failure_notes(|n| format!("{n} idle connections")));
    section
}

fn water_marks(results: &ScaleResults) -> Section {
    let figure = water_mark_rate(results);
    let mut table = Table::new(&comparison_headers("SNDHWM = RCVHWM"), 1);
    for hwm in figure.keys() {
        table.push(comparison_row(&figure, hwm, hwm.to_string()));
    }
    let mut section = Section::new(
        "Throughput against the high-water marks (tcp)",
        &format!(
            "PUSH to PULL with {SIZE}-byte messages, both sides' SNDHWM and RCVHWM set to the \
             row's value: small queues mean more wake-ups per message."
        ),
        table,
    );
    section
        .notes
        .push("n/a: the zeromq crate has no high-water-mark options.".to_string());
    section
        .notes
        .extend(figure.failure_notes(|hwm| format!("HWM {hwm}")));
    section
}

fn senders(results: &ScaleResults) -> Section {
    let figure = senders_rate(results);
    let mut table = Table::new(&comparison_headers("PUSH sockets"), 1);
    for senders in figure.keys() {
        table.push(comparison_row(&figure, senders, senders.to_string()));
    }
    let mut section = Section::new(
        "Many senders to one PULL (tcp)",
        &format!(
            "N PUSH sockets, one thread each in one process, share the messages ({SIZE} bytes); \
             the PULL times first arrival to last."
        ),
        table,
    );
    section
        .notes
        .extend(figure.failure_notes(|n| format!("{n} senders")));
    section
}

/// How the scale figures were made, for the report's Method section.
pub fn method(results: &ScaleResults) -> String {
    format!(
        "- Scale scenarios run like the comparison: fresh worker processes, a pilot to size \
         each series (except the fixed number of idle connections), {} interleaved rounds, \
         medians.\n",
        results.plan.rounds
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outcome::Outcome;
    use crate::plan::Plan;
    use crate::resources::ProcessResources;
    use std::collections::BTreeMap;
    use std::time::Duration;

    fn outcome<T>(samples: Vec<T>) -> Outcome<T> {
        Outcome {
            samples,
            failures: Vec::new(),
        }
    }

    fn results() -> ScaleResults {
        let fanout = |received| FanoutSample {
            received,
            offered: 2_000_000,
            elapsed: Duration::from_secs(1),
        };
        let idle = IdleSample {
            connections: 10_000,
            elapsed: Duration::from_millis(500),
            rss_before_kib: 5_000,
            rss_after_kib: 165_000,
        };
        let throughput = |messages| ThroughputSample {
            messages,
            elapsed: Duration::from_secs(1),
            size: SIZE,
            count: messages + 1,
            receiver: ProcessResources::default(),
            sender: Some(ProcessResources::default()),
        };
        ScaleResults {
            plan: Plan::new(true, None),
            fanout: BTreeMap::from([(
                10,
                BTreeMap::from([
                    (Implementation::Ferrozmq, outcome(vec![fanout(1_500_000)])),
                    (Implementation::Libzmq, outcome(vec![fanout(1_000_000)])),
                ]),
            )]),
            idle: BTreeMap::from([(
                10_000,
                BTreeMap::from([(Implementation::Ferrozmq, outcome(vec![idle]))]),
            )]),
            water_marks: BTreeMap::from([(
                10,
                BTreeMap::from([(Implementation::Ferrozmq, outcome(vec![throughput(200_000)]))]),
            )]),
            senders: BTreeMap::new(),
            open_file_limit: Ok(20_000),
        }
    }

    fn texts(cells: &[Cell]) -> Vec<&str> {
        cells.iter().map(|c| c.text.as_str()).collect()
    }

    #[test]
    fn fanout_rows_show_rates_ratios_and_delivery() {
        let sections = sections(&results());
        assert_eq!(
            texts(&sections[0].table.rows[0]),
            ["10", "1.50 M", "1.00 M", "–", "1.50×", "–", "–", "75%", "50%", "–"]
        );
    }

    #[test]
    fn idle_rows_show_memory_per_connection_and_the_limit() {
        let sections = sections(&results());
        let idle = &sections[1];
        assert_eq!(
            texts(&idle.table.rows[0]),
            ["10000", "ferrozmq", "16.0", "20.0 k", "–"]
        );
        assert!(idle
            .notes
            .contains(&"Open-file limit during the run: 20000.".to_string()));
    }

    #[test]
    fn gaps_cover_every_scenario_where_ferrozmq_is_behind() {
        let mut results = results();
        results.idle.get_mut(&10_000).unwrap().insert(
            Implementation::Libzmq,
            outcome(vec![IdleSample {
                connections: 10_000,
                elapsed: Duration::from_millis(250),
                rss_before_kib: 5_000,
                rss_after_kib: 85_000,
            }]),
        );
        let settings: Vec<String> = gaps(&results)
            .iter()
            .map(|gap| format!("{} / {}", gap.cells[0].text, gap.cells[1].text))
            .collect();
        assert_eq!(
            settings,
            [
                "idle ROUTER, KiB per connection / 10000 peers",
                "idle ROUTER, accepts/s / 10000 peers",
            ]
        );
    }

    #[test]
    fn water_marks_mark_zeromq_as_unsupported() {
        let sections = sections(&results());
        assert_eq!(texts(&sections[2].table.rows[0])[3], "n/a");
    }
}
