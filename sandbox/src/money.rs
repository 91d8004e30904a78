//! Exact money. Every amount of credits or US dollars (and every quantity that is multiplied
//! into one, such as audio seconds) is a [`Decimal`]. It is read from the JSON text itself,
//! never through a floating point number, and written back as an exact JSON number.
//!
//! - Requests: before a body is decoded into its generated type, the text of each money
//!   field is checked here ([`credits`], [`quantity`]), so that a value out of range or more
//!   precise than allowed is refused with a 400 naming the field and its limits. Nothing is
//!   rounded. The decoded value is the SDK's exact [`credits_types::Amount`] (or, for audio
//!   seconds, the [`Decimal`] read here, since the spec types them as a double).
//! - Responses carry the SDK's [`credits_types::Credits`] and [`credits_types::Usd`]
//!   ([`credits_out`], [`usd_out`]); error details carry [`Exact`](crate::exact::Exact), a [`Decimal`] written as
//!   a bare JSON number.
//! - Arithmetic goes through [`add`], [`sub`], [`mul`] and [`shift`], which work on the
//!   integer mantissa and answer `None` rather than round when a result cannot be held exactly.
//!
//! None of this needs serde_json's `arbitrary_precision` feature (which would change how every
//! crate of the workspace parses numbers).

use rust_decimal::Decimal;
use serde::Serialize;

use credits_types::{Amount, Credits, MAX_SIGNIFICANT_DIGITS, Usd};

use crate::error::ApiError;
use crate::exact::Exact;

/// The largest amount a request may carry and the largest balance an account may hold:
/// 2^53 − 1 = 9 007 199 254 740 991 credits, as `openapi.yaml` states for amounts.
pub const MAX_CREDITS: Decimal = Decimal::from_parts(u32::MAX, 0x001F_FFFF, 0, false, 0);

/// The most decimal places an amount of credits may have. With [`MAX_CREDITS`] this keeps
/// every balance, and the sum of any two of them, within the 28 digits a [`Decimal`] holds
/// exactly.
pub const MAX_CREDIT_PLACES: u32 = 12;

/// The most decimal places of `audioDurationSeconds` (microseconds). With the catalogue's
/// per-second prices every audio cost, and any realistic sum of them, stays exact.
pub const MAX_SECONDS_PLACES: u32 = 6;

/// Most significant digits a [`Decimal`] mantissa can have (2^96 − 1 has 29 digits).
const MAX_DIGITS: usize = 29;

/// Why a number's text is not an exact [`Decimal`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NumberError {
    /// Not JSON number syntax.
    Syntax,
    /// Too large, or more significant digits than a [`Decimal`] holds.
    TooLarge,
    /// More than 28 decimal places.
    TooPrecise,
}

/// Reads the text of a JSON number exactly: `0.1` is one tenth, `1.6119999999999999` keeps
/// all its digits, `1e3` is a thousand and trailing zeros are dropped. Never rounds: a number
/// that a [`Decimal`] cannot hold exactly is an error.
pub fn parse_exact(text: &str) -> Result<Decimal, NumberError> {
    let bytes = text.as_bytes();
    let mut i = 0;
    let negative = bytes.first() == Some(&b'-');
    if negative {
        i += 1;
    }
    let digits_in = |from: usize| bytes[from..].iter().take_while(|b| b.is_ascii_digit()).count();
    let int_len = digits_in(i);
    if int_len == 0 {
        return Err(NumberError::Syntax);
    }
    let int_part = &text[i..i + int_len];
    i += int_len;
    let mut frac_part = "";
    if bytes.get(i) == Some(&b'.') {
        let frac_len = digits_in(i + 1);
        if frac_len == 0 {
            return Err(NumberError::Syntax);
        }
        frac_part = &text[i + 1..i + 1 + frac_len];
        i += 1 + frac_len;
    }
    // The exponent, saturated far beyond any exact value so that huge ones cannot overflow.
    let mut exponent: i64 = 0;
    if matches!(bytes.get(i), Some(b'e' | b'E')) {
        i += 1;
        let exp_negative = match bytes.get(i) {
            Some(b'-') => {
                i += 1;
                true
            }
            Some(b'+') => {
                i += 1;
                false
            }
            _ => false,
        };
        let exp_len = digits_in(i);
        if exp_len == 0 {
            return Err(NumberError::Syntax);
        }
        for digit in &bytes[i..i + exp_len] {
            exponent = (exponent * 10 + i64::from(digit - b'0')).min(1_000_000);
        }
        if exp_negative {
            exponent = -exponent;
        }
        i += exp_len;
    }
    if i != bytes.len() {
        return Err(NumberError::Syntax);
    }
    // value = digits × 10^-(scale), with leading and trailing zeros of `digits` removed.
    let all: String = [int_part, frac_part].concat();
    let significant = all.trim_start_matches('0');
    if significant.is_empty() {
        return Ok(Decimal::ZERO);
    }
    let trimmed = significant.trim_end_matches('0');
    let trailing_zeros = (significant.len() - trimmed.len()) as i64;
    let mut scale = frac_part.len() as i64 - exponent - trailing_zeros;
    let mut digits = trimmed.to_owned();
    if scale < 0 {
        if digits.len() as i64 - scale > MAX_DIGITS as i64 {
            return Err(NumberError::TooLarge);
        }
        digits.extend(std::iter::repeat_n('0', (-scale) as usize));
        scale = 0;
    }
    if scale > i64::from(Decimal::MAX_SCALE) {
        return Err(NumberError::TooPrecise);
    }
    if digits.len() > MAX_DIGITS {
        return Err(NumberError::TooLarge);
    }
    let mantissa: i128 = digits.parse().map_err(|_| NumberError::Syntax)?;
    let mantissa = if negative { -mantissa } else { mantissa };
    Decimal::try_from_i128_with_scale(mantissa, scale as u32).map_err(|_| NumberError::TooLarge)
}

/// Builds a decimal from a mantissa and scale, dropping trailing zeros first; `None` when it
/// still does not fit.
fn from_mantissa(mut mantissa: i128, mut scale: u32) -> Option<Decimal> {
    while scale > 0 && mantissa % 10 == 0 {
        mantissa /= 10;
        scale -= 1;
    }
    Decimal::try_from_i128_with_scale(mantissa, scale).ok()
}

/// The mantissas of `a` and `b` brought to the same scale; `None` if that overflows.
fn aligned(a: Decimal, b: Decimal) -> Option<(i128, i128, u32)> {
    let scale = a.scale().max(b.scale());
    let up = |d: Decimal| d.mantissa().checked_mul(10_i128.checked_pow(scale - d.scale())?);
    Some((up(a)?, up(b)?, scale))
}

/// `a + b`, exactly, or `None`.
pub fn add(a: Decimal, b: Decimal) -> Option<Decimal> {
    let (a, b, scale) = aligned(a, b)?;
    from_mantissa(a.checked_add(b)?, scale)
}

/// `a − b`, exactly, or `None`.
pub fn sub(a: Decimal, b: Decimal) -> Option<Decimal> {
    let (a, b, scale) = aligned(a, b)?;
    from_mantissa(a.checked_sub(b)?, scale)
}

/// `a × b`, exactly, or `None`.
pub fn mul(a: Decimal, b: Decimal) -> Option<Decimal> {
    // Up to 56 places before trailing zeros are dropped; `from_mantissa` checks the rest.
    from_mantissa(a.mantissa().checked_mul(b.mantissa())?, a.scale() + b.scale())
}

/// `a × 10^-places` (e.g. a price per million: `places` = 6), exactly, or `None`.
pub fn shift(a: Decimal, places: u32) -> Option<Decimal> {
    from_mantissa(a.mantissa(), a.scale().checked_add(places)?)
}

/// Decimal places of `value` once trailing zeros are dropped.
fn places(value: Decimal) -> u32 {
    value.normalize().scale()
}

/// A refusal of field `name`, naming the limits.
fn refuse(name: &str, message: String) -> ApiError {
    ApiError::invalid(message).with_details(&Limits {
        field: name,
        minimum_exclusive: Exact(Decimal::ZERO),
        maximum: Exact(MAX_CREDITS),
        max_decimal_places: MAX_CREDIT_PLACES,
        max_significant_digits: MAX_SIGNIFICANT_DIGITS,
    })
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Limits<'a> {
    field: &'a str,
    minimum_exclusive: Exact,
    maximum: Exact,
    max_decimal_places: u32,
    max_significant_digits: u32,
}

/// Whether `raw`, the JSON text of a value, is a number (not a string, `null`, …).
fn is_number(raw: &str) -> bool {
    raw.starts_with(|c: char| c == '-' || c.is_ascii_digit())
}

/// Significant digits of `value` once trailing zeros are dropped.
fn significant_digits(value: Decimal) -> u32 {
    value.normalize().mantissa().unsigned_abs().checked_ilog10().map_or(1, |log| log + 1)
}

/// An amount of credits of field `name`, from the JSON text `raw` of its value: a number
/// greater than 0, at most [`MAX_CREDITS`], with at most [`MAX_CREDIT_PLACES`] decimal places
/// and, when not whole, at most [`MAX_SIGNIFICANT_DIGITS`] significant digits (the spec's
/// `PositiveCredits`, which the SDK's [`Amount`] enforces). Anything else is 400
/// `invalid_request` with the limits in `details`; nothing is rounded.
pub fn credits(name: &str, raw: &str) -> Result<Decimal, ApiError> {
    if !is_number(raw) {
        return Err(refuse(name, format!("`{name}` must be a number")));
    }
    let value = match parse_exact(raw) {
        Ok(value) => value,
        Err(NumberError::TooPrecise) => {
            return Err(refuse(name, format!("`{name}` has more than {MAX_CREDIT_PLACES} decimal places")));
        }
        Err(_) => {
            return Err(refuse(name, format!("`{name}` must be greater than 0 and at most {MAX_CREDITS}")));
        }
    };
    if value <= Decimal::ZERO || value > MAX_CREDITS {
        return Err(refuse(name, format!("`{name}` must be greater than 0 and at most {MAX_CREDITS}")));
    }
    if places(value) > MAX_CREDIT_PLACES {
        return Err(refuse(name, format!("`{name}` has more than {MAX_CREDIT_PLACES} decimal places")));
    }
    if Amount::new(Credits::from_decimal(value)).is_err() {
        return Err(refuse(
            name,
            format!("`{name}` is not whole and has more than {MAX_SIGNIFICANT_DIGITS} significant digits"),
        ));
    }
    Ok(value)
}

/// A non-negative quantity of field `name` (e.g. seconds), from the JSON text `raw` of its
/// value: at most [`MAX_CREDITS`], at most `max_places` decimal places and at most
/// [`MAX_SIGNIFICANT_DIGITS`] significant digits, so that the 64-bit float the spec types it
/// as holds it exactly; 400 `invalid_request` otherwise.
pub fn quantity(name: &str, raw: &str, max_places: u32) -> Result<Decimal, ApiError> {
    let invalid = || ApiError::invalid(format!("`{name}` must be a number from 0 to {MAX_CREDITS}"));
    if !is_number(raw) {
        return Err(invalid());
    }
    let value = match parse_exact(raw) {
        Ok(value) => value,
        Err(NumberError::TooPrecise) => {
            return Err(ApiError::invalid(format!("`{name}` has more than {max_places} decimal places")));
        }
        Err(_) => return Err(invalid()),
    };
    if value < Decimal::ZERO || value > MAX_CREDITS {
        return Err(invalid());
    }
    if places(value) > max_places {
        return Err(ApiError::invalid(format!("`{name}` has more than {max_places} decimal places")));
    }
    if significant_digits(value) > MAX_SIGNIFICANT_DIGITS {
        return Err(ApiError::invalid(format!("`{name}` has more than {MAX_SIGNIFICANT_DIGITS} significant digits")));
    }
    Ok(value.normalize())
}

/// A ledger value as the spec's exact credits.
pub fn credits_out(value: Decimal) -> Credits {
    Credits::from_decimal(value)
}

/// A cost or price as the spec's exact dollars.
pub fn usd_out(value: Decimal) -> Usd {
    Usd::from_decimal(value)
}

/// A quantity checked by [`quantity`] as the double the spec types it as. It has at most
/// [`MAX_SIGNIFICANT_DIGITS`] significant digits, so the float's shortest text is the same
/// decimal: nothing is lost, and no arithmetic is done on the float.
pub fn seconds_out(value: Decimal) -> f64 {
    value.normalize().to_string().parse().unwrap_or(f64::NAN)
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use super::*;

    fn d(text: &str) -> Decimal {
        Decimal::from_str_exact(text).unwrap()
    }

    #[test]
    fn max_credits_is_2_pow_53_minus_1() {
        assert_eq!(MAX_CREDITS, Decimal::from((1_i64 << 53) - 1));
    }

    #[test]
    fn parsing_is_exact_and_never_rounds() {
        assert_eq!(parse_exact("0.1"), Ok(d("0.1")));
        assert_eq!(parse_exact("1.6119999999999999"), Ok(d("1.6119999999999999")));
        assert_eq!(parse_exact("-2.50"), Ok(d("-2.5")));
        assert_eq!(parse_exact("1e3"), Ok(d("1000")));
        assert_eq!(parse_exact("1.5E-3"), Ok(d("0.0015")));
        assert_eq!(parse_exact("12.5e+1"), Ok(d("125")));
        assert_eq!(parse_exact("0e999999999999999999999"), Ok(Decimal::ZERO));
        assert_eq!(parse_exact("-0"), Ok(Decimal::ZERO));
        assert_eq!(parse_exact("1.000000000000000000000000000000000000000"), Ok(Decimal::ONE));
        assert_eq!(parse_exact("0.0000000000000000000000000001"), Ok(d("0.0000000000000000000000000001")));
        assert_eq!(parse_exact("0.00000000000000000000000000001"), Err(NumberError::TooPrecise));
        assert_eq!(parse_exact("1e-400"), Err(NumberError::TooPrecise));
        assert_eq!(parse_exact("1e400"), Err(NumberError::TooLarge));
        assert_eq!(parse_exact("99999999999999999999999999999"), Err(NumberError::TooLarge));
        assert_eq!(parse_exact("1.00000000000000000000000000001"), Err(NumberError::TooPrecise));
        for bad in ["", "-", "1.", ".5", "1e", "1e+", "01x", "\"1\"", "null", "1 "] {
            assert_eq!(parse_exact(bad), Err(NumberError::Syntax), "{bad}");
        }
    }

    #[test]
    fn arithmetic_is_exact_or_refused() {
        assert_eq!(sub(sub(sub(d("0.3"), d("0.1")).unwrap(), d("0.1")).unwrap(), d("0.1")), Some(Decimal::ZERO));
        let big = add(MAX_CREDITS, d("0.000000000001")).unwrap();
        assert_eq!(big.to_string(), "9007199254740991.000000000001");
        assert_eq!(add(big, big).unwrap().to_string(), "18014398509481982.000000000002");
        assert_eq!(mul(d("3000"), d("2.5")).and_then(|x| shift(x, 6)), Some(d("0.0075")));
        assert_eq!(mul(Decimal::MAX, d("10")), None);
        assert_eq!(add(Decimal::MAX, Decimal::ONE), None);
        assert_eq!(add(d("79228162514264337593543950335"), d("0.1")), None, "would round");
    }

    #[test]
    fn exact_numbers_serialize_as_bare_json_numbers() {
        let text = |v: &str| serde_json::to_string(&Exact(Decimal::from_str(v).unwrap())).unwrap();
        assert_eq!(text("500"), "500");
        assert_eq!(text("500.000"), "500");
        assert_eq!(text("0.1"), "0.1");
        assert_eq!(text("-0"), "0");
        assert_eq!(text("1.6119999999999999"), "1.6119999999999999");
        assert_eq!(text("0.0000000000000000000000000001"), "0.0000000000000000000000000001");
    }

    #[test]
    fn credits_apply_range_and_precision() {
        assert_eq!(credits("amount", "0.000000000001").unwrap(), d("0.000000000001"));
        assert_eq!(credits("amount", "9007199254740991").unwrap(), MAX_CREDITS);
        assert_eq!(credits("amount", "1.5000000000000000000").unwrap(), d("1.5"));
        assert_eq!(credits("amount", "123456789.012345").unwrap(), d("123456789.012345"));
        for bad in [
            "0",
            "-1",
            "9007199254740991.000000000001",
            "0.0000000000001",
            "1.6119999999999999",
            "1e400",
            "\"5\"",
            "null",
            "9007199254740990.5",
        ] {
            assert_eq!(credits("amount", bad).unwrap_err().code, "invalid_request", "{bad}");
        }
        assert_eq!(quantity("s", "0", 6).unwrap(), Decimal::ZERO);
        assert!(quantity("s", "0.0000001", 6).is_err());
        assert!(quantity("s", "-1", 6).is_err());
        assert!(quantity("s", "\"1\"", 6).is_err());
        assert!(quantity("s", "9007199254.740991", 6).is_err(), "16 significant digits");
        assert_eq!(seconds_out(quantity("s", "999999999.999999", 6).unwrap()).to_string(), "999999999.999999");
    }
}
