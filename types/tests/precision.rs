//! Money text is read exactly or refused: no digit is ever lost to rounding, whichever path
//! the text takes (`FromStr`, a JSON number, a JSON number in a string, inside a structure)
//! and whichever money type reads it.

use credits_types::{Amount, Credits, Usd};
use proptest::prelude::*;

/// Once rounded silently: to `1`, to `1` and to `9007199254740993`.
const TOO_PRECISE: [&str; 3] =
    ["1.00000000000000000000000000001", "0.99999999999999999999999999999", "9007199254740993.00000000000001"];

#[derive(Debug, serde::Deserialize)]
#[allow(dead_code)] // Only decoded.
struct Body<T> {
    v: T,
}

#[test]
fn a_value_too_precise_for_a_decimal_is_refused_by_from_str() {
    for text in TOO_PRECISE {
        assert!(text.parse::<Credits>().is_err(), "{text}");
        assert!(text.parse::<Usd>().is_err(), "{text}");
        assert!(text.parse::<Amount>().is_err(), "{text}");
        assert!(format!("{text}e0").parse::<Credits>().is_err(), "{text}e0");
    }
    let error = TOO_PRECISE[0].parse::<Credits>().unwrap_err().to_string();
    assert!(error.contains("1.00000000000000000000000000001"), "{error}");
}

#[test]
fn a_value_too_precise_for_a_decimal_is_refused_as_a_json_number_or_string() {
    for text in TOO_PRECISE {
        for json in [format!(r#"{{"v": {text}}}"#), format!(r#"{{"v": "{text}"}}"#), format!(r#"{{"v": {text}e0}}"#)] {
            assert!(serde_json::from_str::<Body<Credits>>(&json).is_err(), "{json}");
            assert!(serde_json::from_str::<Body<Usd>>(&json).is_err(), "{json}");
            assert!(serde_json::from_str::<Body<Amount>>(&json).is_err(), "{json}");
            assert!(serde_json::from_str::<Body<Option<Credits>>>(&json).is_err(), "{json}");
            assert!(serde_json::from_slice::<Body<Credits>>(json.as_bytes()).is_err(), "{json}");
        }
    }
}

#[test]
fn a_generated_response_type_refuses_a_balance_too_precise() {
    let body = r#"{"accountId":"a","balance":1.00000000000000000000000000001,"reserved":0,"available":1}"#;
    assert!(serde_json::from_str::<credits_types::types::Balance>(body).is_err());
    let exact = r#"{"accountId":"a","balance":1.0000000000000000000000000001,"reserved":0,"available":1}"#;
    let balance: credits_types::types::Balance = serde_json::from_str(exact).unwrap();
    assert_eq!(balance.balance.to_string(), "1.0000000000000000000000000001");
}

/// A JSON number: `-`?, an integer part without leading zeros, optional fraction and exponent,
/// with enough digits to cross every limit of a decimal (28 places, 96 bits).
fn json_number() -> impl Strategy<Value = String> {
    let integer = prop_oneof![Just("0".to_owned()), "[1-9][0-9]{0,34}"];
    let fraction = prop::option::of("[0-9]{1,36}");
    let exponent = prop::option::of((prop::sample::select(vec!["e", "E"]), "[+-]?", 0_u32..40));
    (any::<bool>(), integer, fraction, exponent).prop_map(|(negative, integer, fraction, exponent)| {
        let mut text = if negative { format!("-{integer}") } else { integer };
        if let Some(fraction) = fraction {
            text = format!("{text}.{fraction}");
        }
        if let Some((e, sign, power)) = exponent {
            text = format!("{text}{e}{sign}{power}");
        }
        text
    })
}

/// The exact value of a number's text, worked out on its digits as text: its canonical
/// decimal form (no exponent, no leading or trailing zeros), and whether a `Decimal` holds
/// it (at most 28 places, a mantissa below 2^96).
fn oracle(text: &str) -> (String, bool) {
    let (negative, unsigned) = text.strip_prefix('-').map_or((false, text), |rest| (true, rest));
    let (mantissa, exponent) = match unsigned.find(['e', 'E']) {
        Some(at) => (&unsigned[..at], unsigned[at + 1..].parse::<i64>().unwrap()),
        None => (unsigned, 0),
    };
    let (integer, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let digits = format!("{integer}{fraction}");
    let exponent = exponent - fraction.len() as i64;
    let trimmed = digits.trim_start_matches('0');
    let significant = trimmed.trim_end_matches('0');
    if significant.is_empty() {
        return ("0".to_owned(), true);
    }
    let exponent = exponent + (trimmed.len() - significant.len()) as i64;
    let (whole, places) = if exponent >= 0 {
        (format!("{significant}{}", "0".repeat(exponent as usize)), 0)
    } else {
        (significant.to_owned(), exponent.unsigned_abs() as usize)
    };
    let fits = places <= 28 && whole.len() <= 29 && whole.parse::<u128>().unwrap() < 1_u128 << 96;
    let canonical = if places == 0 {
        whole
    } else if whole.len() > places {
        format!("{}.{}", &whole[..whole.len() - places], &whole[whole.len() - places..])
    } else {
        format!("0.{}{whole}", "0".repeat(places - whole.len()))
    };
    (if negative { format!("-{canonical}") } else { canonical }, fits)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// Every path either refuses the text or keeps every one of its digits; and it refuses
    /// exactly the texts a decimal cannot hold.
    #[test]
    fn parsing_refuses_or_keeps_every_digit(text in json_number()) {
        let (canonical, fits) = oracle(&text);
        let paths: [(&str, Result<String, String>); 5] = [
            ("FromStr", text.parse::<Credits>().map(|v| v.to_string()).map_err(|e| e.to_string())),
            ("Usd", text.parse::<Usd>().map(|v| v.to_string()).map_err(|e| e.to_string())),
            ("number", serde_json::from_str::<Credits>(&text).map(|v| v.to_string()).map_err(|e| e.to_string())),
            (
                "string",
                serde_json::from_str::<Credits>(&format!("\"{text}\"")).map(|v| v.to_string()).map_err(|e| e.to_string()),
            ),
            (
                "field",
                serde_json::from_str::<Body<Credits>>(&format!(r#"{{"v":{text}}}"#))
                    .map(|b| b.v.to_string())
                    .map_err(|e| e.to_string()),
            ),
        ];
        for (path, result) in paths {
            match result {
                Ok(value) => {
                    prop_assert!(fits, "{path}: {text} was accepted as {value} but a decimal cannot hold it");
                    prop_assert_eq!(&value, &canonical, "{}: {} lost a digit", path, text);
                }
                Err(error) => prop_assert!(!fits, "{path}: {text} ({canonical}) fits but was refused: {error}"),
            }
        }
    }

    /// Arbitrary digit strings, not only JSON numbers: refused, or read without losing a digit.
    #[test]
    fn any_digit_string_is_refused_or_read_exactly(digits in "[0-9]{1,60}", point in 0_usize..61) {
        let point = point.min(digits.len());
        let text = format!("{}.{}", &digits[..point], &digits[point..]);
        let (canonical, fits) = oracle(&text);
        match text.parse::<Credits>() {
            Ok(value) => prop_assert_eq!(value.to_string(), canonical),
            Err(_) => prop_assert!(!fits, "{} fits but was refused", text),
        }
    }
}
