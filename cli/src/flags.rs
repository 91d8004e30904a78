//! How the generated commands read values they cannot take as plain text: credit amounts and
//! other JSON scalars, and `--json-body` (a file, or `-` for standard input). `generate.rs`
//! points the generated code at these functions.

use std::io::Read;
use std::path::Path;

use clap::builder::{StringValueParser, TypedValueParser};

/// The largest `--json-body` read, in bytes.
pub const MAX_JSON_BODY: u64 = 10 * 1024 * 1024;

/// A flag value parsed as the JSON text of its type: `--amount 500`, `--amount 2.5`,
/// `--input-tokens 1200`, `--active-only true`. It is the value's wire form, so it works for
/// whatever Rust type the SDK uses, and the type's own checks apply (`--amount 0` is refused
/// before anything is sent).
pub fn json_scalar<T>() -> impl TypedValueParser<Value = T>
where
    T: serde::de::DeserializeOwned + Clone + Send + Sync + 'static,
{
    StringValueParser::new().try_map(|text: String| parse_json_scalar::<T>(&text))
}

fn parse_json_scalar<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, String> {
    serde_json::from_str::<T>(text.trim()).map_err(|error| {
        if error.is_data() { without_position(&error.to_string()) } else { "not a JSON number or boolean".to_owned() }
    })
}

/// serde_json's message without its ` at line 1 column 3` suffix, meaningless for a flag.
fn without_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(at) => message[..at].to_owned(),
        None => message.to_owned(),
    }
}

/// Reads a `--json-body` argument: the file, or standard input for `-`, up to
/// [`MAX_JSON_BODY`] bytes.
pub fn read_json_body(path: &Path) -> std::io::Result<String> {
    let mut text = String::new();
    let read = if path.as_os_str() == "-" {
        std::io::stdin().lock().take(MAX_JSON_BODY + 1).read_to_string(&mut text)?
    } else {
        std::fs::File::open(path)?.take(MAX_JSON_BODY + 1).read_to_string(&mut text)?
    };
    if read as u64 > MAX_JSON_BODY {
        return Err(std::io::Error::other(format!("larger than {MAX_JSON_BODY} bytes")));
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scalars_are_read_as_json() {
        assert_eq!(parse_json_scalar::<u64>("1200"), Ok(1200));
        assert_eq!(parse_json_scalar::<bool>(" true "), Ok(true));
        assert_eq!(parse_json_scalar::<f64>("2.5"), Ok(2.5));
        assert_eq!(parse_json_scalar::<f64>("NaN"), Err("not a JSON number or boolean".to_owned()));
        assert!(parse_json_scalar::<u64>("-3").is_err());
        let amount = parse_json_scalar::<credits_sdk::Amount>("500").map(|a| serde_json::json!(a));
        assert_eq!(amount, Ok(serde_json::json!(500)));
        let zero = parse_json_scalar::<credits_sdk::Amount>("0").err().unwrap_or_default();
        assert!(zero.contains("greater than 0") && !zero.contains("line 1"), "{zero}");
    }

    #[test]
    fn a_body_file_is_read_up_to_the_limit() {
        let dir = std::env::temp_dir().join(format!("credits-cli-flags-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let small = dir.join("small.json");
        std::fs::write(&small, "{\"amount\": 5}").unwrap();
        assert_eq!(read_json_body(&small).unwrap(), "{\"amount\": 5}");
        let large = dir.join("large.json");
        std::fs::write(&large, vec![b' '; (MAX_JSON_BODY + 1) as usize]).unwrap();
        assert!(read_json_body(&large).is_err());
        assert!(read_json_body(&dir.join("missing.json")).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
