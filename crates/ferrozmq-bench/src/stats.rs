//! Summaries of repeated measurements: the median that the tables show, how far the rounds
//! spread around it, and ratios between implementations.

/// The median of `values`: the middle one, or the mean of the two middle ones.
/// `None` when there is nothing to summarise.
pub fn median(values: &[f64]) -> Option<f64> {
    let mut sorted: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
    if sorted.is_empty() {
        return None;
    }
    sorted.sort_by(f64::total_cmp);
    let middle = sorted.len() / 2;
    if sorted.len() % 2 == 1 {
        Some(sorted[middle])
    } else {
        Some((sorted[middle - 1] + sorted[middle]) / 2.0)
    }
}

/// How widely the rounds disagree: (largest − smallest) / median. A row whose spread is
/// large was disturbed by something else on the machine and its ratio deserves doubt.
/// `None` for fewer than two values, which cannot disagree.
pub fn spread(values: &[f64]) -> Option<f64> {
    let finite = values.iter().copied().filter(|v| v.is_finite());
    if finite.clone().count() < 2 {
        return None;
    }
    let middle = median(values)?;
    let largest = finite.clone().fold(f64::NEG_INFINITY, f64::max);
    let smallest = finite.fold(f64::INFINITY, f64::min);
    (middle > 0.0).then(|| (largest - smallest) / middle)
}

/// `ours / theirs`, when both exist and `theirs` is not zero.
pub fn ratio(ours: Option<f64>, theirs: Option<f64>) -> Option<f64> {
    match (ours, theirs) {
        (Some(ours), Some(theirs)) if theirs != 0.0 => Some(ours / theirs),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_of_odd_count_is_the_middle_value() {
        assert_eq!(median(&[5.0, 1.0, 3.0]), Some(3.0));
    }

    #[test]
    fn median_of_even_count_averages_the_middle_pair() {
        assert_eq!(median(&[4.0, 1.0, 3.0, 2.0]), Some(2.5));
    }

    #[test]
    fn median_of_nothing_is_none() {
        assert_eq!(median(&[]), None);
        assert_eq!(median(&[f64::NAN]), None);
    }

    #[test]
    fn median_ignores_values_that_are_not_numbers() {
        assert_eq!(median(&[1.0, f64::NAN, 3.0]), Some(2.0));
    }

    #[test]
    fn spread_is_range_over_median() {
        assert_eq!(spread(&[90.0, 100.0, 110.0]), Some(0.2));
        assert_eq!(spread(&[7.0, 7.0]), Some(0.0));
        assert_eq!(spread(&[0.0, 0.0]), None);
    }

    #[test]
    fn one_value_has_no_spread() {
        assert_eq!(spread(&[7.0]), None);
        assert_eq!(spread(&[7.0, f64::NAN]), None);
    }

    #[test]
    fn ratio_needs_both_sides_and_a_nonzero_divisor() {
        assert_eq!(ratio(Some(3.0), Some(2.0)), Some(1.5));
        assert_eq!(ratio(Some(3.0), None), None);
        assert_eq!(ratio(None, Some(2.0)), None);
        assert_eq!(ratio(Some(3.0), Some(0.0)), None);
    }
}
