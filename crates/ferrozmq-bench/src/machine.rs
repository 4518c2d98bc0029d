//! The machine and software a report was measured with: figures mean little without it.

use std::time::{SystemTime, UNIX_EPOCH};

/// What the report says about where it was measured.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Machine {
    /// CPU model, from `/proc/cpuinfo`.
    pub cpu: String,
    /// Cores this process may use.
    pub cores: usize,
    /// Kernel release.
    pub kernel: String,
    /// The compiler that built the harness.
    pub rustc: String,
    /// Today, UTC, as `YYYY-MM-DD`.
    pub date: String,
    /// libzmq's version as linked.
    pub libzmq: String,
    /// The zeromq crate's version.
    pub zeromq: String,
    /// The omq-tokio crate's version.
    pub omq: String,
    /// The monocoque-rs crate's version.
    pub monocoque: String,
    /// ferrozmq's version and the revision measured.
    pub ferrozmq: String,
    /// The 1-, 5- and 15-minute load averages when the run ended: other work on the
    /// machine shows here, and in the spread of the rounds.
    pub load: String,
}

impl Machine {
    /// Describes this machine now.
    pub fn describe() -> Machine {
        let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let (major, minor, patch) = zmq::version();
        Machine {
            cpu: cpu_model(&cpuinfo).unwrap_or_else(|| "unknown CPU".to_string()),
            cores: std::thread::available_parallelism().map_or(1, usize::from),
            kernel: std::fs::read_to_string("/proc/sys/kernel/osrelease")
                .map(|release| release.trim().to_string())
                .unwrap_or_else(|_| "unknown kernel".to_string()),
            rustc: env!("FERROZMQ_BENCH_RUSTC").to_string(),
            date: SystemTime::now().duration_since(UNIX_EPOCH).map_or_else(
                |_| "unknown date".to_string(),
                |since| date_from_days(since.as_secs() / 86_400),
            ),
            libzmq: format!("{major}.{minor}.{patch}"),
            zeromq: env!("FERROZMQ_BENCH_ZEROMQ").to_string(),
            omq: env!("FERROZMQ_BENCH_OMQ").to_string(),
            monocoque: env!("FERROZMQ_BENCH_MONOCOQUE").to_string(),
            load: std::fs::read_to_string("/proc/loadavg")
                .ok()
                .and_then(|loadavg| load_averages(&loadavg))
                .unwrap_or_else(|| "unknown".to_string()),
            // The workspace gives the library and the harness one version.
            ferrozmq: format!(
                "{} ({})",
                env!("CARGO_PKG_VERSION"),
                env!("FERROZMQ_BENCH_REVISION")
            ),
        }
    }

    /// Markdown bullet points.
    pub fn to_markdown(&self) -> String {
        format!(
            "- CPU: {} ({} cores available)\n- Kernel: Linux {}\n- Compiler: {}\n- Date: {}\n\
             - Libraries: ferrozmq {}, libzmq {} (vendored by the `zmq` crate 0.10), \
             zeromq crate {}, omq-tokio {}, monocoque-rs {} (compio, io_uring)\n\
             - Load average when the run ended (1, 5, 15 min): {}\n",
            self.cpu,
            self.cores,
            self.kernel,
            self.rustc,
            self.date,
            self.ferrozmq,
            self.libzmq,
            self.zeromq,
            self.omq,
            self.monocoque,
            self.load
        )
    }
}

/// The first `model name` in a `/proc/cpuinfo` text.
pub fn cpu_model(cpuinfo: &str) -> Option<String> {
    cpuinfo.lines().find_map(|line| {
        let (key, value) = line.split_once(':')?;
        (key.trim() == "model name").then(|| value.trim().to_string())
    })
}

/// The three load averages of a `/proc/loadavg` text: `0.12 0.34 0.56`.
pub fn load_averages(loadavg: &str) -> Option<String> {
    let averages: Vec<&str> = loadavg.split_whitespace().take(3).collect();
    (averages.len() == 3).then(|| averages.join(" "))
}

/// The civil date `days` days after 1970-01-01, as `YYYY-MM-DD`.
pub fn date_from_days(days: u64) -> String {
    // Counting in 400-year eras from 0000-03-01 puts the leap day at the end of each year,
    // so every month but February has a fixed position.
    let days = days + 719_468;
    let era = days / 146_097;
    let day_of_era = days % 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1_460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_from_march = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_from_march + 2) / 5 + 1;
    let month = if month_from_march < 10 {
        month_from_march + 3
    } else {
        month_from_march - 9
    };
    let year = year_of_era + era * 400 + u64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_model_is_the_first_model_name() {
        let cpuinfo = "processor\t: 0\nvendor_id\t: AuthenticAMD\nmodel name\t: AMD EPYC 7B13\n\
                       processor\t: 1\nmodel name\t: AMD EPYC 7B13\n";
        assert_eq!(cpu_model(cpuinfo), Some("AMD EPYC 7B13".to_string()));
        assert_eq!(cpu_model("processor\t: 0\n"), None);
    }

    #[test]
    fn load_averages_are_the_first_three_fields() {
        assert_eq!(
            load_averages("0.52 1.10 2.03 1/234 5678\n"),
            Some("0.52 1.10 2.03".to_string())
        );
        assert_eq!(load_averages(""), None);
    }

    #[test]
    fn dates_from_days_since_the_epoch() {
        assert_eq!(date_from_days(0), "1970-01-01");
        assert_eq!(date_from_days(59), "1970-03-01");
        assert_eq!(date_from_days(11_016), "2000-02-29");
        assert_eq!(date_from_days(19_782), "2024-02-29");
        assert_eq!(date_from_days(20_454), "2026-01-01");
    }
}
