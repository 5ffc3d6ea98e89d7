//! `nexus_mc._native`: the library's commands for Python. Each function
//! takes a scenario and the command's options, runs the command with the
//! GIL released, and returns the output set in memory: every CSV file's
//! name and bytes (as the command line writes them) and `manifest.json`.
//! The package `nexus_mc` turns those into pandas DataFrames; all logic is
//! in the library, none here.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::RecvTimeoutError;
use std::time::Duration;

use nexus_mc::bridge::BridgeOptions;
use nexus_mc::commands::{
    self, BaselineOptions, BridgeCommand, Method, OutputSet, RunOptions, SensitivityOptions,
};
use nexus_mc::engine::QuantileMethod;
use nexus_mc::error::Error;
use nexus_mc::precision::PrecisionSpec;
use nexus_mc::sampler::SamplerKind;
use nexus_mc::{Control, Progress, Scenario};
use pyo3::exceptions::{PyKeyboardInterrupt, PyOSError, PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyBytes, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple};

pyo3::create_exception!(
    nexus_mc,
    ScenarioError,
    PyValueError,
    "A scenario that cannot be read or is not valid: the message names the file (or \
     `<dict>`, `<string>`), the key and why."
);
pyo3::create_exception!(
    nexus_mc,
    SizeError,
    PyValueError,
    "An option out of its range: runs, seed, threads, sizes that would not fit in memory, \
     unknown names. The message says which, and what is allowed."
);

/// A command's error as the Python exception of its kind, with the
/// command line's message.
fn to_py(e: Error) -> PyErr {
    let text = e.to_string();
    match e {
        Error::Config(_) => ScenarioError::new_err(text),
        Error::Usage(_) => SizeError::new_err(text),
        Error::Interrupted => PyKeyboardInterrupt::new_err(text),
        Error::Write { .. } => PyOSError::new_err(text),
        Error::Failed(_) => PyRuntimeError::new_err(text),
    }
}

/// Work announced and done, for the polling thread to show.
#[derive(Default)]
struct Count {
    total: AtomicU64,
    done: AtomicU64,
}

impl Progress for Count {
    fn start(&self, total: u64) {
        self.total.store(total, Ordering::Relaxed);
        self.done.store(0, Ordering::Relaxed);
    }
    fn advance(&self, done: u64) {
        self.done.fetch_add(done, Ordering::Relaxed);
    }
}

/// How often the calling thread looks for Ctrl-C and shows progress.
const POLL: Duration = Duration::from_millis(50);

/// Runs `job` on its own thread with the GIL released, while this (the
/// calling) thread checks for signals every [`POLL`] and hands progress to
/// `progress(total, done)` once the job has announced its total (never with
/// a total of 0). Ctrl-C (or an exception from `progress`) sets
/// the job's cancel flag; the job stops within about a second, writing
/// nothing, and the signal's exception is raised.
fn drive<T: Send>(
    py: Python<'_>,
    threads: Option<usize>,
    progress: Option<Py<PyAny>>,
    job: impl FnOnce(&Control<'_>) -> nexus_mc::Result<T> + Send,
) -> PyResult<T> {
    let cancel = AtomicBool::new(false);
    let count = Count::default();
    let control = Control {
        cancel: Some(&cancel),
        progress: Some(&count),
        threads,
    };
    let mut raised: Option<PyErr> = None;
    let joined = py.detach(|| {
        std::thread::scope(|s| {
            let (finished, done) = std::sync::mpsc::channel::<()>();
            let worker = s.spawn(|| {
                let result = job(&control);
                drop(finished);
                result
            });
            // Wakes at once when the job ends (the sender is dropped).
            while done.recv_timeout(POLL) == Err(RecvTimeoutError::Timeout) {
                Python::attach(|py| {
                    if raised.is_some() {
                        return;
                    }
                    // Nothing to show until the job has announced its work
                    // (its setup may take longer than a poll).
                    let total = count.total.load(Ordering::Relaxed);
                    let shown = match &progress {
                        Some(show) if total > 0 => show
                            .call1(py, (total, count.done.load(Ordering::Relaxed)))
                            .map(drop),
                        _ => Ok(()),
                    };
                    if let Err(e) = py.check_signals().and(shown) {
                        cancel.store(true, Ordering::Relaxed);
                        raised = Some(e);
                    }
                });
            }
            let joined = worker.join();
            // The last of the progress, so that a bar ends at its total.
            let total = count.total.load(Ordering::Relaxed);
            if let Some(show) = progress.as_ref().filter(|_| total > 0) {
                Python::attach(|py| {
                    let last = (total, count.done.load(Ordering::Relaxed));
                    if let Err(e) = show.call1(py, last) {
                        raised.get_or_insert(e);
                    }
                });
            }
            joined
        })
    });
    if let Some(e) = raised {
        return Err(e);
    }
    match joined {
        Ok(result) => result.map_err(to_py),
        Err(_) => Err(PyRuntimeError::new_err("the engine's thread panicked")),
    }
}

/// The output set as a list of (file name, bytes) and the manifest's text.
type Tables = (Vec<(String, Py<PyBytes>)>, String);

fn tables(py: Python<'_>, set: OutputSet) -> Tables {
    let files = set
        .tables
        .into_iter()
        .map(|(name, bytes)| (name, PyBytes::new(py, &bytes).unbind()))
        .collect();
    (files, set.manifest)
}

/// A scenario from a shipped name or path (`str`), TOML text (`str`
/// holding `=` or a line break) or a `dict` of the TOML's tables.
fn scenario(spec: &Bound<'_, PyAny>) -> PyResult<Scenario> {
    let loaded = if let Ok(dict) = spec.cast::<PyDict>() {
        let text = toml::to_string(&toml_table(dict, "")?).map_err(|e| {
            ScenarioError::new_err(format!("<dict>: cannot be written as TOML: {e}"))
        })?;
        return Scenario::from_toml(&text, "<dict>").map_err(without_lines);
    } else if let Ok(text) = spec.extract::<String>() {
        if text.contains('=') || text.contains('\n') {
            Scenario::from_toml(&text, "<string>")
        } else {
            Scenario::load(&text)
        }
    } else {
        let path = spec
            .py()
            .import("os")?
            .call_method1("fspath", (spec,))
            .map_err(|_| {
                ScenarioError::new_err(format!(
                    "a scenario is a shipped name, a path, TOML text or a dict, not {}",
                    spec.get_type()
                        .name()
                        .map_or("this".into(), |n| n.to_string())
                ))
            })?;
        Scenario::load(&path.extract::<String>()?)
    };
    loaded.map_err(|e| to_py(Error::Config(e)))
}

/// A dict's scenario error without line numbers, which would point into
/// TOML text the caller never saw.
fn without_lines(e: nexus_mc::config::ConfigError) -> PyErr {
    use nexus_mc::config::ConfigError;
    let e = match e {
        ConfigError::Invalid { file, problems } => ConfigError::Invalid {
            file,
            problems: problems
                .into_iter()
                .map(|mut p| {
                    p.line = None;
                    p
                })
                .collect(),
        },
        ConfigError::Syntax { file, message, .. } => ConfigError::Syntax {
            file,
            line: None,
            message,
        },
        other => other,
    };
    to_py(Error::Config(e))
}

/// A dict as a TOML table; `at` is its dotted key, for messages.
fn toml_table(dict: &Bound<'_, PyDict>, at: &str) -> PyResult<toml::Table> {
    let mut table = toml::Table::new();
    for (key, value) in dict.iter() {
        let Ok(key) = key.extract::<String>() else {
            return Err(ScenarioError::new_err(format!(
                "<dict>: {}: a key is {}, not a string",
                if at.is_empty() { "(top level)" } else { at },
                key.repr()?
            )));
        };
        let path = if at.is_empty() {
            key.clone()
        } else {
            format!("{at}.{key}")
        };
        table.insert(key, toml_value(&value, &path)?);
    }
    Ok(table)
}

/// A Python value as a TOML value; `at` is its dotted key, for messages.
fn toml_value(value: &Bound<'_, PyAny>, at: &str) -> PyResult<toml::Value> {
    // `bool` before `int`: in Python a bool is an int.
    if let Ok(b) = value.cast::<PyBool>() {
        return Ok(toml::Value::Boolean(b.is_true()));
    }
    if value.is_instance_of::<PyInt>() {
        return value
            .extract::<i64>()
            .map(toml::Value::Integer)
            .map_err(|_| {
                ScenarioError::new_err(format!("<dict>: {at}: {value} is outside TOML's integers"))
            });
    }
    if value.is_instance_of::<PyFloat>() {
        return Ok(toml::Value::Float(value.extract()?));
    }
    if value.is_instance_of::<PyString>() {
        return Ok(toml::Value::String(value.extract()?));
    }
    if let Ok(dict) = value.cast::<PyDict>() {
        return toml_table(dict, at).map(toml::Value::Table);
    }
    if value.is_instance_of::<PyList>() || value.is_instance_of::<PyTuple>() {
        return value
            .try_iter()?
            .enumerate()
            .map(|(i, item)| toml_value(&item?, &format!("{at}[{i}]")))
            .collect::<PyResult<Vec<_>>>()
            .map(toml::Value::Array);
    }
    Err(ScenarioError::new_err(format!(
        "<dict>: {at}: {} has no TOML form: give a number, string, bool, list or dict, \
         or leave the key out",
        value.repr()?
    )))
}

/// The sampler of `name`, with the command line's message.
fn sampler(name: &str) -> PyResult<SamplerKind> {
    name.parse()
        .map_err(|e: nexus_mc::model::ValueError| SizeError::new_err(e.0))
}

/// A Python value checked by the command line's parser of the same flag,
/// given its text (`str(value)`): the same ranges and messages.
fn flag<T>(value: &Bound<'_, PyAny>, parse: impl Fn(&str) -> Result<T, String>) -> PyResult<T> {
    parse(&value.str()?.to_string()).map_err(SizeError::new_err)
}

/// A count (replicates, permutations, trajectories, orders): a whole
/// number, at least 0; the command's own checks then apply its range.
fn count(value: &Bound<'_, PyAny>, name: &str) -> PyResult<usize> {
    flag(value, |text| {
        text.parse::<usize>()
            .map_err(|_| format!("{name}: `{text}` is not a whole number of at least 0"))
    })
}

/// An optional flag, as [`flag`].
fn optional<T>(
    value: Option<&Bound<'_, PyAny>>,
    parse: fn(&str) -> Result<T, String>,
) -> PyResult<Option<T>> {
    value.map(|v| flag(v, parse)).transpose()
}

/// `run`: see `nexus_mc.run`.
#[pyfunction]
#[pyo3(signature = (scenario, runs, seed, sampler, threads, quantiles, replicates, precision, progress))]
#[allow(clippy::too_many_arguments)]
fn run(
    py: Python<'_>,
    scenario: &Bound<'_, PyAny>,
    runs: &Bound<'_, PyAny>,
    seed: &Bound<'_, PyAny>,
    sampler: &str,
    threads: Option<&Bound<'_, PyAny>>,
    quantiles: &str,
    replicates: Option<&Bound<'_, PyAny>>,
    precision: Option<String>,
    progress: Option<Py<PyAny>>,
) -> PyResult<Tables> {
    let precision = precision
        .map(|spec| spec.parse::<PrecisionSpec>())
        .transpose()
        .map_err(|e| SizeError::new_err(e.0))?;
    let quantiles = match quantiles {
        "auto" => None,
        "exact" => Some(QuantileMethod::Exact),
        "sketch" => Some(QuantileMethod::Sketch),
        other => {
            return Err(SizeError::new_err(format!(
                "unknown quantiles `{other}`: use auto, exact or sketch"
            )))
        }
    };
    let opts = RunOptions {
        sampler: self::sampler(sampler)?,
        seed: flag(seed, commands::parse_seed)?,
        quantiles,
        replicates: optional(replicates, commands::parse_replicates)?,
        precision,
        ..RunOptions::new(self::scenario(scenario)?, flag(runs, commands::parse_runs)?)
    };
    let threads = optional(threads, commands::parse_threads)?;
    let set = drive(py, threads, progress, |control| {
        commands::run(&opts, control)?.output_set()
    })?;
    Ok(tables(py, set))
}

/// `sensitivity`: see `nexus_mc.sensitivity`.
#[pyfunction]
#[pyo3(signature = (
    scenario, runs, seed, methods, outputs, replicates, confidence, permutations, trajectories,
    threads, progress
))]
#[allow(clippy::too_many_arguments)]
fn sensitivity(
    py: Python<'_>,
    scenario: &Bound<'_, PyAny>,
    runs: &Bound<'_, PyAny>,
    seed: &Bound<'_, PyAny>,
    methods: Option<Vec<String>>,
    outputs: Vec<String>,
    replicates: &Bound<'_, PyAny>,
    confidence: f64,
    permutations: &Bound<'_, PyAny>,
    trajectories: &Bound<'_, PyAny>,
    threads: Option<&Bound<'_, PyAny>>,
    progress: Option<Py<PyAny>>,
) -> PyResult<Tables> {
    let outputs = outputs
        .iter()
        .map(|o| commands::parse_output(o))
        .collect::<Result<Vec<_>, _>>()
        .map_err(SizeError::new_err)?;
    let confidence =
        commands::parse_confidence(&confidence.to_string()).map_err(SizeError::new_err)?;
    let methods = methods
        .map(|names| {
            names
                .iter()
                .map(|name| {
                    Method::EVERY
                        .into_iter()
                        .find(|m| m.name() == name)
                        .ok_or_else(|| {
                            SizeError::new_err(format!(
                                "unknown method `{name}`: use {}",
                                Method::EVERY.map(Method::name).join(", ")
                            ))
                        })
                })
                .collect::<PyResult<Vec<Method>>>()
        })
        .transpose()?;
    let opts = SensitivityOptions {
        methods,
        outputs,
        runs: flag(runs, commands::parse_runs)?,
        seed: flag(seed, commands::parse_seed)?,
        replicates: count(replicates, "replicates")?,
        confidence,
        permutations: count(permutations, "permutations")?,
        trajectories: count(trajectories, "trajectories")?,
        ..SensitivityOptions::new(self::scenario(scenario)?)
    };
    let threads = optional(threads, commands::parse_threads)?;
    let set = drive(py, threads, progress, |control| {
        commands::sensitivity(&opts, control)?.output_set()
    })?;
    Ok(tables(py, set))
}

/// `bridge`: see `nexus_mc.bridge`.
#[pyfunction]
#[pyo3(signature = (from_, to, groups, runs, seed, orders, threads, progress))]
#[allow(clippy::too_many_arguments)]
fn bridge(
    py: Python<'_>,
    from_: &Bound<'_, PyAny>,
    to: &Bound<'_, PyAny>,
    groups: Vec<(String, Vec<String>)>,
    runs: &Bound<'_, PyAny>,
    seed: &Bound<'_, PyAny>,
    orders: &Bound<'_, PyAny>,
    threads: Option<&Bound<'_, PyAny>>,
    progress: Option<Py<PyAny>>,
) -> PyResult<Tables> {
    let cmd = BridgeCommand {
        from: scenario(from_)?,
        to: scenario(to)?,
        groups,
        options: BridgeOptions {
            runs: flag(runs, commands::parse_runs)? as usize,
            seed: flag(seed, commands::parse_seed)?,
            orders: count(orders, "orders")?,
            ..BridgeOptions::default()
        },
    };
    let threads = optional(threads, commands::parse_threads)?;
    let set = drive(py, threads, progress, |control| {
        commands::bridge(&cmd, control)?.output_set()
    })?;
    Ok(tables(py, set))
}

/// `baseline`: `baseline.csv`'s bytes and the printed table.
#[pyfunction]
fn baseline(py: Python<'_>, scenario: &Bound<'_, PyAny>) -> PyResult<(Py<PyBytes>, String)> {
    let opts = BaselineOptions {
        scenario: self::scenario(scenario)?,
        set: Vec::new(),
    };
    let baseline = commands::baseline(&opts).map_err(to_py)?;
    let mut csv = Vec::new();
    nexus_mc::output::write_baseline_csv(&mut csv, &baseline.outputs)
        .map_err(|e| PyOSError::new_err(e.to_string()))?;
    Ok((PyBytes::new(py, &csv).unbind(), baseline.to_string()))
}

/// `validate`: the text `validate` prints, and per parameter its name,
/// distribution, P5, P50, P95 and unit.
#[pyfunction]
fn validate(scenario: &Bound<'_, PyAny>) -> PyResult<(String, Vec<[String; 6]>)> {
    let scenario = self::scenario(scenario)?;
    let rows = commands::parameter_rows(&scenario);
    Ok((commands::describe(&scenario), rows))
}

/// The extension module.
#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("ScenarioError", m.py().get_type::<ScenarioError>())?;
    m.add("SizeError", m.py().get_type::<SizeError>())?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_function(wrap_pyfunction!(run, m)?)?;
    m.add_function(wrap_pyfunction!(sensitivity, m)?)?;
    m.add_function(wrap_pyfunction!(bridge, m)?)?;
    m.add_function(wrap_pyfunction!(baseline, m)?)?;
    m.add_function(wrap_pyfunction!(validate, m)?)?;
    Ok(())
}
