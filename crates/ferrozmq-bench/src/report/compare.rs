//! The tables of a compare run.

use super::figure::{Better, Figure};
use super::{Gap, Section, NO_INPROC_NOTE};
use crate::baseline::BandwidthSample;
use crate::compare::{CompareResults, Row, ASYNC_ROW, RAW_PING_SIZE};
use crate::implementations::Implementation;
use crate::latency::LatencySample;
use crate::resources::ProcessResources;
use crate::stats;
use crate::table::{Cell, Table};
use crate::throughput::ThroughputSample;
use crate::transport::Transport;
use crate::units;

fn row_labels(row: &Row) -> [Cell; 2] {
    [
        Cell::plain(row.transport.name()),
        Cell::plain(units::size(row.size)),
    ]
}

fn describe(row: &Row) -> String {
    format!("{} {}", row.transport, units::size(row.size))
}

fn supports(row: &Row, library: Implementation) -> bool {
    library.supports(row.transport)
}

fn messages_per_second(results: &CompareResults) -> Figure<'_, Row, ThroughputSample> {
    Figure {
        series: &results.throughput,
        value: ThroughputSample::messages_per_second,
        format: units::rate,
        better: Better::Higher,
        applies: supports,
    }
}

fn one_way_micros(results: &CompareResults) -> Figure<'_, Row, LatencySample> {
    Figure {
        series: &results.latency,
        value: LatencySample::one_way_micros,
        format: units::significant,
        better: Better::Lower,
        applies: supports,
    }
}

/// The plain-socket stream's median MB/s over `transport`.
fn raw_bandwidth(results: &CompareResults, transport: Transport) -> Option<f64> {
    results
        .raw_bandwidth
        .get(&transport)?
        .median(BandwidthSample::megabytes_per_second)
}

/// The plain-socket ping-pong's median one-way µs over `transport`.
fn raw_latency(results: &CompareResults, transport: Transport) -> Option<f64> {
    results
        .raw_latency
        .get(&transport)?
        .median(LatencySample::one_way_micros)
}

fn number_or_dash(value: Option<f64>, format: fn(f64) -> String) -> Cell {
    value.map_or_else(|| Cell::plain("–"), |v| Cell::plain(format(v)))
}

fn inproc_note(results: &CompareResults, section: &mut Section) {
    if results.plan.transports.contains(&Transport::Inproc) {
        section.notes.push(NO_INPROC_NOTE.to_string());
    }
}

/// The tables of a compare run.
pub fn sections(results: &CompareResults) -> Vec<Section> {
    vec![
        throughput(results),
        bandwidth(results),
        latency(results),
        asynchronous(results),
        bound(results),
        resources(results),
    ]
}

/// The async rows: ferrozmq's async API on tokio beside its blocking API and the zeromq
/// crate (async on tokio too), over tcp with 64-byte messages.
fn asynchronous(results: &CompareResults) -> Section {
    let rate = messages_per_second(results);
    let latency = one_way_micros(results);
    let mut table = Table::new(
        &[
            "scenario",
            "ferrozmq blocking",
            "ferrozmq async",
            "zeromq",
            "async / blocking",
            "async / zeromq",
        ],
        1,
    );
    let row = ASYNC_ROW;
    let mut push = |scenario: &str,
                    median: &dyn Fn(Implementation) -> Option<f64>,
                    format: fn(f64) -> String| {
        let value = |library| number_or_dash(median(library), format);
        let ratio = |a, b| number_or_dash(stats::ratio(median(a), median(b)), units::ratio);
        table.push(vec![
            Cell::plain(scenario),
            value(Implementation::Ferrozmq),
            value(Implementation::FerrozmqAsync),
            value(Implementation::Zeromq),
            ratio(Implementation::FerrozmqAsync, Implementation::Ferrozmq),
            ratio(Implementation::FerrozmqAsync, Implementation::Zeromq),
        ]);
    };
    if results
        .throughput
        .get(&row)
        .is_some_and(|row| row.contains_key(&Implementation::FerrozmqAsync))
    {
        push(
            "throughput, msgs/s",
            &|library| rate.median(&row, library),
            units::rate,
        );
    }
    if results
        .latency
        .get(&row)
        .is_some_and(|row| row.contains_key(&Implementation::FerrozmqAsync))
    {
        push(
            "latency, µs one way",
            &|library| latency.median(&row, library),
            units::significant,
        );
    }
    Section::new(
        "Async API (tcp, 64 B)",
        "The same PUSH→PULL and REQ/REP runs with ferrozmq's AsyncSocket awaited on a \
         multi-threaded tokio runtime, beside the blocking API and the zeromq crate (also \
         awaited on tokio; each scenario's loop is one future). Throughput: a ratio above 1 \
         is faster; latency: a ratio below 1 is faster.",
        table,
    )
}

/// The headers of a table with one column per library, the best peer and the ratios.
fn comparison_headers(after: &[&'static str]) -> Vec<&'static str> {
    let mut headers = vec!["transport", "size"];
    headers.extend(Implementation::ALL.map(Implementation::name));
    headers.extend(["best peer", "ferrozmq / best peer", "ferrozmq / libzmq"]);
    headers.extend(after);
    headers
}

/// A row's medians per library, its best peer and ferrozmq's ratios to it and to libzmq.
fn comparison_cells(figure: &Figure<'_, Row, impl Sized>, row: &Row) -> Vec<Cell> {
    let mut cells = row_labels(row).to_vec();
    cells.extend(Implementation::ALL.map(|library| figure.cell(row, library)));
    cells.push(figure.best_peer_cell(row));
    cells.push(figure.best_ratio_cell(row));
    cells.push(figure.ratio_cell(row, Implementation::Libzmq, true));
    cells
}

fn throughput(results: &CompareResults) -> Section {
    let figure = messages_per_second(results);
    let mut table = Table::new(&comparison_headers(&["spread"]), 2);
    for row in figure.keys() {
        let mut cells = comparison_cells(&figure, row);
        cells.push(figure.spread_cell(row));
        table.push(cells);
    }
    let mut section = Section::new(
        "Throughput (messages per second)",
        "PUSH connects and sends; PULL binds and times first message to last. Medians over \
         the rounds; the best peer is the fastest library other than ferrozmq; a ratio above \
         1 means ferrozmq is faster, a bold one that it is slower. Spread is the widest \
         (max − min) / median among the row's implementations: how far to trust the ratio.",
        table,
    );
    inproc_note(results, &mut section);
    section
        .notes
        .extend(figure.failure_notes(|row| format!("throughput {}", describe(row))));
    section.chart = Some("throughput".to_string());
    section
}

fn bandwidth(results: &CompareResults) -> Section {
    let figure = Figure {
        value: ThroughputSample::megabytes_per_second,
        format: units::significant,
        ..messages_per_second(results)
    };
    let mut headers = vec!["transport", "size"];
    headers.extend(Implementation::ALL.map(Implementation::name));
    headers.extend(["raw stream", "ferrozmq / raw"]);
    let mut table = Table::new(&headers, 2);
    for row in figure.keys() {
        let mut cells = row_labels(row).to_vec();
        cells.extend(Implementation::ALL.map(|library| figure.cell(row, library)));
        let bound = raw_bandwidth(results, row.transport);
        cells.push(number_or_dash(bound, units::significant));
        let share = stats::ratio(figure.median(row, Implementation::Ferrozmq), bound);
        cells.push(number_or_dash(share, units::percent));
        table.push(cells);
    }
    Section::new(
        "Throughput (megabytes per second)",
        "The same runs as payload bandwidth (MB = 10⁶ bytes), beside what a plain socket \
         streams between two processes on this machine.",
        table,
    )
}

fn latency(results: &CompareResults) -> Section {
    let figure = one_way_micros(results);
    let mut table = Table::new(
        &comparison_headers(&["raw socket", "ferrozmq / raw", "spread"]),
        2,
    );
    for row in figure.keys() {
        let mut cells = comparison_cells(&figure, row);
        let bound = (row.size == RAW_PING_SIZE)
            .then(|| raw_latency(results, row.transport))
            .flatten();
        cells.push(number_or_dash(bound, units::significant));
        let share = stats::ratio(figure.median(row, Implementation::Ferrozmq), bound);
        cells.push(number_or_dash(share, units::ratio));
        cells.push(figure.spread_cell(row));
        table.push(cells);
    }
    let mut section = Section::new(
        "Latency (microseconds, one way)",
        "REQ and REP bounce one message; the table shows half the mean round trip. Medians \
         over the rounds; the best peer is the quickest library other than ferrozmq; a ratio \
         below 1 means ferrozmq is faster, a bold one that it is slower. The raw-socket \
         column is a plain TCP (TCP_NODELAY) or unix-socket ping-pong of 64 bytes between \
         two blocking processes, with no library.",
        table,
    );
    inproc_note(results, &mut section);
    section
        .notes
        .extend(figure.failure_notes(|row| format!("latency {}", describe(row))));
    section.chart = Some("latency".to_string());
    section
}

fn bound(results: &CompareResults) -> Section {
    let mut table = Table::new(
        &[
            "transport",
            "ping-pong 64 B, one way (µs)",
            "bulk stream (MB/s)",
        ],
        1,
    );
    let mut transports: Vec<Transport> = results
        .raw_latency
        .keys()
        .chain(results.raw_bandwidth.keys())
        .copied()
        .collect();
    transports.sort();
    transports.dedup();
    for transport in transports {
        table.push(vec![
            Cell::plain(transport.name()),
            number_or_dash(raw_latency(results, transport), units::significant),
            number_or_dash(raw_bandwidth(results, transport), units::significant),
        ]);
    }
    let mut section = Section::new(
        "Physical bound (plain sockets)",
        "No messaging library: two processes over a loopback TCP connection or a unix \
         socket, one bouncing 64 bytes, the other streaming 256 KiB writes.",
        table,
    );
    let failures = results
        .raw_latency
        .iter()
        .map(|(transport, outcome)| ("latency", transport, &outcome.failures))
        .chain(
            results
                .raw_bandwidth
                .iter()
                .map(|(transport, outcome)| ("bandwidth", transport, &outcome.failures)),
        );
    for (scenario, transport, failures) in failures {
        if let Some(first) = failures.first() {
            section
                .notes
                .push(format!("raw {scenario} {transport} failed: {first}"));
        }
    }
    section
}

/// A process figure of the throughput runs as `receiver / sender` (or one number, over
/// inproc, where both sides are one process).
fn per_process(
    results: &CompareResults,
    row: &Row,
    library: Implementation,
    figure: fn(&ThroughputSample, &ProcessResources) -> f64,
    format: fn(f64) -> String,
) -> Cell {
    if !library.supports(row.transport) {
        return Cell::plain("n/a");
    }
    let Some(outcome) = results
        .throughput
        .get(row)
        .and_then(|outcomes| outcomes.get(&library))
    else {
        return Cell::plain("–");
    };
    let receiver = outcome.median(|sample| figure(sample, &sample.receiver));
    let senders: Vec<f64> = outcome
        .samples
        .iter()
        .filter_map(|sample| Some(figure(sample, sample.sender.as_ref()?)))
        .collect();
    match (receiver, stats::median(&senders)) {
        (Some(receiver), Some(sender)) => {
            Cell::plain(format!("{} / {}", format(receiver), format(sender)))
        }
        (Some(both), None) => Cell::plain(format(both)),
        _ => Cell::plain("–"),
    }
}

fn resources(results: &CompareResults) -> Section {
    let mut headers = vec!["transport".to_string(), "size".to_string()];
    headers.extend(Implementation::ALL.map(|library| format!("{library} RSS MiB")));
    headers.extend(Implementation::ALL.map(|library| format!("{library} CPU s / M msgs")));
    let headers: Vec<&str> = headers.iter().map(String::as_str).collect();
    let mut table = Table::new(&headers, 2);
    for row in results.throughput.keys() {
        let mut cells = row_labels(row).to_vec();
        cells.extend(Implementation::ALL.map(|library| {
            per_process(
                results,
                row,
                library,
                |_, process| process.peak_rss_kib as f64,
                units::mebibytes,
            )
        }));
        cells.extend(Implementation::ALL.map(|library| {
            per_process(
                results,
                row,
                library,
                ThroughputSample::cpu_seconds_per_million,
                units::significant,
            )
        }));
        table.push(cells);
    }
    let mut section = Section::new(
        "Resources during the throughput runs",
        "Peak resident memory (VmHWM) of each worker process, and its user + system CPU time \
         per million messages sent, as `receiver / sender`. Over inproc both sides are one \
         process and the figure is that process's. Medians over the rounds.",
        table,
    );
    inproc_note(results, &mut section);
    section
}

/// Every row of the compare run where ferrozmq's median is behind the best peer's.
pub fn gaps(results: &CompareResults) -> Vec<Gap> {
    let throughput = messages_per_second(results);
    let latency = one_way_micros(results);
    let throughput_gaps = throughput
        .keys()
        .filter_map(|row| throughput.gap(row, "throughput, msgs/s", describe(row)));
    let latency_gaps = latency
        .keys()
        .filter_map(|row| latency.gap(row, "latency, µs", describe(row)));
    throughput_gaps.chain(latency_gaps).collect()
}

/// How the compare figures were made, for the report's Method section.
pub fn method(results: &CompareResults) -> String {
    format!(
        "- Every measurement runs in fresh processes: the harness re-executes itself as a \
         worker for each side, so peak memory and CPU time belong to that run alone. tcp \
         and ipc put the two sides in two processes; inproc puts them in two threads of one.\n\
         - Rounds are interleaved: each round measures every row for every library in turn, \
         then the next row; {} rounds, and the tables show medians.\n\
         - Before the rounds, a short pilot of every series sets its message count so that one \
         measurement lasts about {} ms; throughput is a rate and does not depend on the count \
         once start-up is hidden.\n\
         - Throughput: the PULL times from the first message's arrival to the last, so \
         connecting and the handshake are excluded; rate = (count − 1) / interval. Default \
         high-water marks (1000) on both sides.\n\
         - Every library builds each message by copying the payload into a fresh message \
         (none is given a zero-copy path the others lack); receivers take messages in the \
         library's usual way (libzmq reuses one `zmq::Message`, monocoque one `Vec` through \
         `recv_into`).\n\
         - Latency: REQ/REP round trips after a warm-up of a tenth as many; one way = round \
         trip / 2.\n\
         - Each library runs with its defaults: one I/O thread for ferrozmq and libzmq; omq \
         (`omq-tokio`) through its blocking API with the one I/O thread its `Context` owns; a \
         multi-threaded tokio runtime (one worker per core) for zeromq, on which each \
         scenario's send, receive or round-trip loop runs as one future; monocoque \
         (`monocoque-rs`) on its default single-threaded compio (io_uring) runtime, one per \
         socket on the socket's own thread, each loop one future, eager sends (one write per \
         message) and a bound socket serving one peer. The async rows run ferrozmq's \
         AsyncSocket on a multi-threaded tokio runtime like zeromq's.\n\
         - Both sides, and their I/O threads, share the machine's {} cores, so on a small \
         machine the figures say as much about CPU cost as about speed.\n",
        results.plan.rounds,
        results.plan.target.as_millis(),
        std::thread::available_parallelism().map_or(1, usize::from),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outcome::Outcome;
    use crate::plan::Plan;
    use std::collections::BTreeMap;
    use std::time::Duration;

    fn throughput_sample(messages_per_second: u64) -> ThroughputSample {
        ThroughputSample {
            messages: messages_per_second,
            elapsed: Duration::from_secs(1),
            size: 64,
            count: messages_per_second + 1,
            receiver: ProcessResources {
                user: Duration::from_millis(500),
                system: Duration::from_millis(250),
                peak_rss_kib: 10_240,
            },
            sender: Some(ProcessResources {
                user: Duration::from_millis(250),
                system: Duration::ZERO,
                peak_rss_kib: 5_120,
            }),
        }
    }

    fn outcome<T>(samples: Vec<T>) -> Outcome<T> {
        Outcome {
            samples,
            failures: Vec::new(),
        }
    }

    fn results() -> CompareResults {
        let tcp = Row {
            transport: Transport::Tcp,
            size: 64,
        };
        let inproc = Row {
            transport: Transport::Inproc,
            size: 64,
        };
        let mut results = CompareResults {
            plan: Plan::new(true, Some(3)),
            throughput: BTreeMap::new(),
            latency: BTreeMap::new(),
            raw_latency: BTreeMap::new(),
            raw_bandwidth: BTreeMap::new(),
        };
        let ferrozmq = vec![
            throughput_sample(900_000),
            throughput_sample(800_000),
            throughput_sample(1_000_000),
        ];
        results.throughput.insert(
            tcp,
            BTreeMap::from([
                (Implementation::Ferrozmq, outcome(ferrozmq)),
                (
                    Implementation::Libzmq,
                    outcome(vec![throughput_sample(1_000_000)]),
                ),
                (
                    Implementation::Zeromq,
                    Outcome {
                        samples: Vec::new(),
                        failures: vec!["zeromq: recv failed: gone".to_string()],
                    },
                ),
                (
                    Implementation::Omq,
                    outcome(vec![throughput_sample(1_200_000)]),
                ),
            ]),
        );
        results.throughput.insert(
            inproc,
            BTreeMap::from([(
                Implementation::Ferrozmq,
                outcome(vec![ThroughputSample {
                    sender: None,
                    ..throughput_sample(5_000_000)
                }]),
            )]),
        );
        let round_trips = |micros: u64| LatencySample {
            round_trips: 1_000,
            elapsed: Duration::from_micros(micros * 2_000),
        };
        results.latency.insert(
            tcp,
            BTreeMap::from([
                (Implementation::Ferrozmq, outcome(vec![round_trips(30)])),
                (Implementation::Libzmq, outcome(vec![round_trips(20)])),
                (Implementation::Monocoque, outcome(vec![round_trips(10)])),
            ]),
        );
        results
    }

    fn texts(cells: &[Cell]) -> Vec<&str> {
        cells.iter().map(|c| c.text.as_str()).collect()
    }

    fn section<'a>(sections: &'a [Section], title: &str) -> &'a Section {
        sections
            .iter()
            .find(|s| s.title.starts_with(title))
            .expect("the section exists")
    }

    #[test]
    fn throughput_rows_show_medians_the_best_peer_ratios_and_spread() {
        let sections = sections(&results());
        let table = &section(&sections, "Throughput (messages").table;
        assert_eq!(
            texts(&table.rows[0]),
            [
                "tcp", "64 B", "900 k", "1.00 M", "failed", "1.20 M", "–", "omq", "0.75×", "0.90×",
                "22%"
            ]
        );
        assert!(table.rows[0][8].flagged && table.rows[0][9].flagged);
        // Over inproc, neither zeromq nor monocoque has the transport.
        assert_eq!(texts(&table.rows[1])[4], "n/a");
        assert_eq!(texts(&table.rows[1])[6], "n/a");
        assert_eq!(texts(&table.rows[1])[7], "–");
    }

    #[test]
    fn latency_rows_name_the_quickest_peer_and_the_raw_bound() {
        let mut results = results();
        results.raw_latency.insert(
            Transport::Tcp,
            outcome(vec![LatencySample {
                round_trips: 1_000,
                elapsed: Duration::from_micros(24_000),
            }]),
        );
        let sections = sections(&results);
        let table = &section(&sections, "Latency").table;
        assert_eq!(
            texts(&table.rows[0]),
            [
                "tcp",
                "64 B",
                "30.0",
                "20.0",
                "–",
                "–",
                "10.0",
                "monocoque",
                "3.00×",
                "1.50×",
                "12.0",
                "2.50×",
                "–"
            ]
        );
        assert!(table.rows[0][8].flagged);
    }

    #[test]
    fn failures_and_unsupported_rows_are_explained() {
        let sections = sections(&results());
        let notes = &section(&sections, "Throughput (messages").notes;
        assert!(notes.iter().any(|n| n.contains("no inproc transport")));
        assert!(notes
            .iter()
            .any(|n| n.starts_with("zeromq throughput tcp 64 B: failed 1 of 1 times")));
    }

    #[test]
    fn gaps_to_the_best_peer_cover_throughput_and_latency() {
        let gaps = gaps(&results());
        let rows: Vec<Vec<&str>> = gaps.iter().map(|gap| texts(&gap.cells)).collect();
        assert_eq!(
            rows,
            [
                vec![
                    "throughput, msgs/s",
                    "tcp 64 B",
                    "900 k",
                    "omq",
                    "1.20 M",
                    "0.75×",
                    "22%"
                ],
                vec![
                    "latency, µs",
                    "tcp 64 B",
                    "30.0",
                    "monocoque",
                    "10.0",
                    "3.00×",
                    "–"
                ],
            ]
        );
        assert!((gaps[1].severity - 1.0 / 3.0).abs() < 1e-9);
    }

    #[test]
    fn resources_pair_receiver_and_sender() {
        let sections = sections(&results());
        let table = &section(&sections, "Resources").table;
        assert_eq!(table.rows[0][2].text, "10.0 / 5.0");
        // 0.75 s of receiver CPU for 900,001 messages: 0.833 s per million.
        assert_eq!(table.rows[0][7].text, "0.833 / 0.278");
        // Over inproc one process holds both sides.
        assert_eq!(table.rows[1][2].text, "10.0");
    }
}
