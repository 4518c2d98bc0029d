//! How numbers are written in tables, charts and progress lines.

/// A message size: `64 B`, `1 KiB`, `64 KiB`, `1 MiB`.
pub fn size(bytes: usize) -> String {
    const KIB: usize = 1024;
    const MIB: usize = 1024 * 1024;
    if bytes >= MIB && bytes.is_multiple_of(MIB) {
        format!("{} MiB", bytes / MIB)
    } else if bytes >= KIB && bytes.is_multiple_of(KIB) {
        format!("{} KiB", bytes / KIB)
    } else {
        format!("{bytes} B")
    }
}

/// A rate or count with three significant digits and a k/M suffix: `2.31 M`, `845 k`, `512`.
pub fn rate(value: f64) -> String {
    let (scaled, suffix) = if value >= 1e6 {
        (value / 1e6, " M")
    } else if value >= 1e3 {
        (value / 1e3, " k")
    } else {
        (value, "")
    };
    format!("{}{suffix}", significant(scaled))
}

/// Three significant digits, without an exponent: `2.31`, `84.5`, `845`, `12345`.
pub fn significant(value: f64) -> String {
    let magnitude = value.abs();
    if magnitude >= 100.0 || magnitude == 0.0 {
        format!("{value:.0}")
    } else if magnitude >= 10.0 {
        format!("{value:.1}")
    } else if magnitude >= 1.0 {
        format!("{value:.2}")
    } else {
        format!("{value:.3}")
    }
}

/// A ratio between implementations: `1.23×`.
pub fn ratio(value: f64) -> String {
    format!("{value:.2}×")
}

/// A share as a percentage: `12%`.
pub fn percent(fraction: f64) -> String {
    format!("{:.0}%", fraction * 100.0)
}

/// KiB as MiB with one decimal: `12.5`.
pub fn mebibytes(kib: f64) -> String {
    format!("{:.1}", kib / 1024.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_use_the_largest_exact_binary_unit() {
        assert_eq!(size(8), "8 B");
        assert_eq!(size(1024), "1 KiB");
        assert_eq!(size(65536), "64 KiB");
        assert_eq!(size(1 << 20), "1 MiB");
        assert_eq!(size(1500), "1500 B");
    }

    #[test]
    fn rates_keep_three_significant_digits() {
        assert_eq!(rate(2_312_345.0), "2.31 M");
        assert_eq!(rate(845_123.0), "845 k");
        assert_eq!(rate(84_512.0), "84.5 k");
        assert_eq!(rate(512.0), "512");
        assert_eq!(rate(4.5678), "4.57");
    }

    #[test]
    fn small_values_keep_their_digits() {
        assert_eq!(significant(0.01234), "0.012");
        assert_eq!(significant(0.0), "0");
    }

    #[test]
    fn ratios_percentages_and_mebibytes() {
        assert_eq!(ratio(0.8567), "0.86×");
        assert_eq!(percent(0.123), "12%");
        assert_eq!(mebibytes(12_800.0), "12.5");
    }
}
