//! SVG charts of a compare run: grouped bars, one group per message size, one bar per
//! implementation, one panel per transport, on a logarithmic axis (the figures span
//! several orders of magnitude between 8-byte and 1-MiB messages).

use crate::compare::CompareResults;
use crate::error::{BenchError, Result};
use crate::implementations::Implementation;
use crate::latency::LatencySample;
use crate::throughput::ThroughputSample;
use crate::transport::Transport;
use crate::units;
use plotters::coord::ranged1d::SegmentValue;
use plotters::prelude::*;
use std::path::Path;

/// Bars per group plus one empty slot between groups.
const SLOTS_PER_GROUP: i32 = Implementation::ALL.len() as i32 + 1;

/// One panel: a transport's groups of bars.
struct Panel {
    title: String,
    /// Per message size: its label and one value per implementation, in
    /// [`Implementation::ALL`] order; none where there is no figure.
    groups: Vec<(String, Vec<Option<f64>>)>,
}

fn colour(library: Implementation) -> RGBColor {
    match library {
        Implementation::Ferrozmq => RGBColor(0xd9, 0x5f, 0x0e),
        Implementation::Libzmq => RGBColor(0x31, 0x82, 0xbd),
        Implementation::Zeromq => RGBColor(0x75, 0x6b, 0xb1),
        Implementation::Omq => RGBColor(0x31, 0xa3, 0x54),
        Implementation::Monocoque => RGBColor(0x63, 0x63, 0x63),
        Implementation::FerrozmqAsync => RGBColor(0xfd, 0xae, 0x6b),
    }
}

fn chart_error(error: impl std::fmt::Display) -> BenchError {
    BenchError::Chart(error.to_string())
}

/// Messages per second by size, tcp | ipc | inproc.
pub fn throughput(results: &CompareResults, path: &Path) -> Result<()> {
    let panels = panels(
        results,
        |transport, size, library| {
            results
                .throughput
                .get(&crate::compare::Row { transport, size })?
                .get(&library)?
                .median(ThroughputSample::messages_per_second)
        },
        &results.plan.throughput_sizes,
    );
    draw(
        path,
        "Throughput, messages per second (higher is better)",
        units::rate,
        &panels,
    )
}

/// One-way latency in µs by size, tcp | ipc | inproc.
pub fn latency(results: &CompareResults, path: &Path) -> Result<()> {
    let panels = panels(
        results,
        |transport, size, library| {
            results
                .latency
                .get(&crate::compare::Row { transport, size })?
                .get(&library)?
                .median(LatencySample::one_way_micros)
        },
        &results.plan.latency_sizes,
    );
    draw(
        path,
        "Latency, one way in µs (lower is better)",
        units::significant,
        &panels,
    )
}

fn panels(
    results: &CompareResults,
    median: impl Fn(Transport, usize, Implementation) -> Option<f64>,
    sizes: &[usize],
) -> Vec<Panel> {
    results
        .plan
        .transports
        .iter()
        .map(|&transport| Panel {
            title: transport.name().to_string(),
            groups: sizes
                .iter()
                .map(|&size| {
                    let values = Implementation::ALL
                        .iter()
                        .map(|&library| median(transport, size, library))
                        .collect();
                    (units::size(size), values)
                })
                .collect(),
        })
        .collect()
}

/// The decades that enclose every value, for a logarithmic axis, and one more on top
/// where the legend can sit without hiding a bar.
fn decade_range(panels: &[Panel]) -> (f64, f64) {
    let values = panels
        .iter()
        .flat_map(|panel| &panel.groups)
        .flat_map(|(_, values)| values.iter().flatten())
        .copied()
        .filter(|v| *v > 0.0);
    let (low, high) = values.fold((f64::INFINITY, 0.0f64), |(low, high), v| {
        (low.min(v), high.max(v))
    });
    if high == 0.0 {
        return (1.0, 100.0);
    }
    let low = 10f64.powf(low.log10().floor());
    let high = 10f64.powf(high.log10().ceil()).max(low * 10.0) * 10.0;
    (low, high)
}

fn draw(path: &Path, title: &str, format: fn(f64) -> String, panels: &[Panel]) -> Result<()> {
    let width = 420 * panels.len().max(1) as u32;
    let root = SVGBackend::new(path, (width, 460)).into_drawing_area();
    root.fill(&WHITE).map_err(chart_error)?;
    let root = root
        .titled(title, ("sans-serif", 22))
        .map_err(chart_error)?;
    let (low, high) = decade_range(panels);
    let areas = root.split_evenly((1, panels.len().max(1)));
    for (index, (area, panel)) in areas.iter().zip(panels).enumerate() {
        let slots = panel.groups.len() as i32 * SLOTS_PER_GROUP;
        let mut chart = ChartBuilder::on(area)
            .caption(&panel.title, ("sans-serif", 18))
            .margin(12)
            .x_label_area_size(30)
            .y_label_area_size(56)
            .build_cartesian_2d((0..slots).into_segmented(), (low..high).log_scale())
            .map_err(chart_error)?;
        let labels = &panel.groups;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(slots as usize + 1)
            .x_label_formatter(&|slot| match slot {
                // The label sits under the middle bar of its group.
                SegmentValue::CenterOf(slot) if slot % SLOTS_PER_GROUP == 1 => labels
                    .get((slot / SLOTS_PER_GROUP) as usize)
                    .map_or_else(String::new, |(label, _)| label.clone()),
                _ => String::new(),
            })
            .y_label_formatter(&|value| format(*value))
            .draw()
            .map_err(chart_error)?;
        for (bar, library) in Implementation::ALL.into_iter().enumerate() {
            let fill = colour(library).filled();
            let bars = labels
                .iter()
                .enumerate()
                .filter_map(|(group, (_, values))| {
                    let value = (*values.get(bar)?)?;
                    let slot = group as i32 * SLOTS_PER_GROUP + bar as i32;
                    Some(Rectangle::new(
                        [
                            (SegmentValue::Exact(slot), low),
                            (SegmentValue::Exact(slot + 1), value),
                        ],
                        fill,
                    ))
                });
            let drawn = chart.draw_series(bars).map_err(chart_error)?;
            if index == 0 {
                drawn
                    .label(library.name())
                    .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 12, y + 5)], fill));
            }
        }
        if index == 0 {
            chart
                .configure_series_labels()
                .position(SeriesLabelPosition::UpperRight)
                .background_style(WHITE.mix(0.85))
                .border_style(BLACK)
                .draw()
                .map_err(chart_error)?;
        }
    }
    root.present().map_err(chart_error)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axis_spans_whole_decades_around_the_values() {
        let panels = [Panel {
            title: "tcp".to_string(),
            groups: vec![
                (
                    "8 B".to_string(),
                    vec![Some(2_500_000.0), None, Some(310_000.0)],
                ),
                (
                    "1 MiB".to_string(),
                    vec![Some(1_900.0), Some(2_100.0), None],
                ),
            ],
        }];
        assert_eq!(decade_range(&panels), (1_000.0, 100_000_000.0));
    }

    #[test]
    fn axis_without_values_still_has_room() {
        assert_eq!(decade_range(&[]), (1.0, 100.0));
    }
}
