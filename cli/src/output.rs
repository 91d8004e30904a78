//! Where the generated commands' results go: stdout, as pretty JSON (default) or a table.

use std::cell::RefCell;
use std::io::Write;
use std::rc::Rc;

use crate::generated::CliConfig;

/// The output format, `--output`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Pretty-printed JSON, for `jq` and scripts.
    #[default]
    Json,
    /// An aligned table: one row per item for lists, `field value` rows otherwise.
    Table,
}

/// Prints results for the generated commands; remembers a failure to print.
#[derive(Clone, Debug)]
pub struct Printer {
    format: Format,
    failure: Rc<RefCell<Option<String>>>,
}

impl Printer {
    /// A printer in `format`.
    pub fn new(format: Format) -> Self {
        Self { format, failure: Rc::default() }
    }

    /// Why printing failed, if it did (a closed pipe is not a failure).
    pub fn failure(&self) -> Option<String> {
        self.failure.borrow().clone()
    }

    fn print(&self, value: &impl serde::Serialize) {
        let text = match self.format {
            Format::Json => serde_json::to_string_pretty(value).map(|mut text| {
                text.push('\n');
                text
            }),
            Format::Table => serde_json::to_string(value).and_then(|json| crate::table::render_json(&json)),
        };
        let written = match text {
            Ok(text) => write_stdout(&text),
            Err(e) => Err(std::io::Error::other(format!("cannot print the response: {e}"))),
        };
        if let Err(e) = written {
            *self.failure.borrow_mut() = Some(e.to_string());
        }
    }
}

/// Writes to stdout; a reader that went away (`credits ... | head`) is not an error.
pub fn write_stdout(text: &str) -> std::io::Result<()> {
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(text.as_bytes()).and_then(|()| stdout.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other,
    }
}

type Response<T> = credits_sdk::api::ResponseValue<T>;
type GeneratedError<T> = credits_sdk::api::Error<T>;

impl CliConfig for Printer {
    fn success_item<T>(&self, value: &Response<T>)
    where
        T: schemars::JsonSchema + serde::Serialize + std::fmt::Debug,
    {
        self.print(std::ops::Deref::deref(value));
    }

    fn success_no_item(&self, _value: &Response<()>) {}

    /// Errors are reported by `main`, which also picks the exit code.
    fn error<T>(&self, _value: &GeneratedError<T>)
    where
        T: schemars::JsonSchema + serde::Serialize + std::fmt::Debug,
    {
    }

    // The list hooks serve progenitor's paginated operations (`x-dropshot-pagination`), which the
    // Credits spec does not use; items are printed one by one should one appear.
    fn list_start<T>(&self)
    where
        T: schemars::JsonSchema + serde::Serialize + std::fmt::Debug,
    {
    }

    fn list_item<T>(&self, value: &T)
    where
        T: schemars::JsonSchema + serde::Serialize + std::fmt::Debug,
    {
        self.print(value);
    }

    fn list_end_success<T>(&self)
    where
        T: schemars::JsonSchema + serde::Serialize + std::fmt::Debug,
    {
    }

    fn list_end_error<T>(&self, _value: &GeneratedError<T>)
    where
        T: schemars::JsonSchema + serde::Serialize + std::fmt::Debug,
    {
    }
}
