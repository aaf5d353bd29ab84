//! Logging for every runsc process: `tracing` events to stderr, to the
//! `--log` file, or to one file per process under `--debug-log DIR`.
//!
//! Levels: `warn` by default, `debug` with `--debug`; `--strace` adds the
//! `strace` target at `info`. The environment variable `RVISOR_LOG`, when
//! set, replaces all of that with its own `tracing-subscriber` directives
//! (for example `RVISOR_LOG=sentry=trace`).

use crate::cli::{GlobalFlags, LogFormat};
use anyhow::{Context, Result};
use std::fmt;
use std::fs::{File, OpenOptions};
use std::sync::Mutex;
use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::registry::LookupSpan;

/// The `tracing` filter directives the flags ask for.
pub fn directives(debug: bool, strace: bool) -> String {
    let mut d = String::from(if debug { "debug" } else { "warn" });
    if strace {
        d.push_str(",strace=info");
    }
    d
}

/// Where this process's log goes: a file when `--debug-log` or `--log` is given.
fn open_log_file(global: &GlobalFlags, command: &str) -> Result<Option<File>> {
    if let Some(dir) = &global.debug_log {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("creating the --debug-log directory {}", dir.display()))?;
        let path = dir.join(format!("runsc.{}.{command}.log", std::process::id()));
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .with_context(|| {
                format!(
                    "opening debug log {}; check --debug-log is writable",
                    path.display()
                )
            })?;
        return Ok(Some(file));
    }
    if let Some(path) = &global.log {
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .with_context(|| format!("opening --log file {}", path.display()))?;
        return Ok(Some(file));
    }
    Ok(None)
}

/// Installs the global `tracing` subscriber for a process running `command`.
pub fn init(global: &GlobalFlags, command: &str) -> Result<()> {
    let directives = std::env::var("RVISOR_LOG")
        .unwrap_or_else(|_| self::directives(global.debug, global.strace));
    let filter = EnvFilter::try_new(&directives)
        .with_context(|| format!("bad log directives {directives:?} (check RVISOR_LOG)"))?;
    let file = open_log_file(global, command)?;
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    let result = match (file, global.log_format) {
        (Some(f), LogFormat::Text) => builder
            .with_ansi(false)
            .with_writer(Mutex::new(f))
            .try_init(),
        (Some(f), LogFormat::Json) => builder
            .event_format(JsonFormat)
            .with_writer(Mutex::new(f))
            .try_init(),
        (None, LogFormat::Text) => builder.with_writer(std::io::stderr).try_init(),
        (None, LogFormat::Json) => builder
            .event_format(JsonFormat)
            .with_writer(std::io::stderr)
            .try_init(),
    };
    result.map_err(|e| anyhow::anyhow!("installing the logger: {e}"))
}

/// One JSON object per event: `time` (seconds since the epoch), `level`,
/// `target`, `msg` and the event's other fields.
struct JsonFormat;

impl<S, N> FormatEvent<S, N> for JsonFormat
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        _ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let meta = event.metadata();
        let mut fields = serde_json::Map::new();
        let time = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs_f64())
            .unwrap_or(0.0);
        fields.insert("time".into(), time.into());
        fields.insert("level".into(), meta.level().as_str().to_lowercase().into());
        fields.insert("target".into(), meta.target().into());
        event.record(&mut JsonVisitor(&mut fields));
        writeln!(writer, "{}", serde_json::Value::Object(fields))
    }
}

/// Collects an event's fields into a JSON object (`message` becomes `msg`).
struct JsonVisitor<'a>(&'a mut serde_json::Map<String, serde_json::Value>);

impl JsonVisitor<'_> {
    fn put(&mut self, field: &Field, value: serde_json::Value) {
        let name = match field.name() {
            "message" => "msg",
            n => n,
        };
        self.0.insert(name.to_owned(), value);
    }
}

impl Visit for JsonVisitor<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.put(field, format!("{value:?}").into());
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        self.put(field, value.into());
    }
    fn record_i64(&mut self, field: &Field, value: i64) {
        self.put(field, value.into());
    }
    fn record_u64(&mut self, field: &Field, value: u64) {
        self.put(field, value.into());
    }
    fn record_bool(&mut self, field: &Field, value: bool) {
        self.put(field, value.into());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strace_adds_its_target() {
        assert_eq!(directives(false, false), "warn");
        assert_eq!(directives(true, true), "debug,strace=info");
        assert!(EnvFilter::try_new(directives(false, true)).is_ok());
    }
}
