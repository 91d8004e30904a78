//! Exact money: [`Credits`] and [`Usd`], decimal numbers that never round.
//!
//! Both are built on [`rust_decimal::Decimal`]: a 96-bit integer with a decimal scale of 0 to
//! 28 digits, so `0.1 + 0.2 == 0.3` exactly and every sum of amounts is exact. The range is
//! about ±7.9 × 10^28 with up to 28 significant digits, far beyond any balance; an
//! arithmetic result outside it panics like an integer overflow (use the `checked_*`
//! methods where values come from outside).
//!
//! **On the wire** amounts are JSON numbers, as the API documents:
//! - decoding keeps the exact decimal text the server wrote (`1.6119999999999999` stays
//!   `1.6119999999999999`, `9007199254740993` stays `9007199254740993`), without any
//!   `serde_json` feature that would change the rest of your program; a number in a JSON
//!   string (`"12.5"`) is accepted too. A number with a digit a decimal cannot hold
//!   (`1.00000000000000000000000000001`, `9007199254740993.00000000000001`) is refused, on
//!   every path (text, JSON number, JSON string, plain or with an exponent), never rounded;
//! - decoding from a deserializer that hands over a float rather than the number's text (a
//!   `serde_json::Value`, which stores a fractional number as an `f64`, or another format)
//!   reads the float as its shortest decimal, as `try_from(f64)` does: its digits beyond a
//!   float's 15 to 17 were lost before this type sees it, so decode from the JSON text
//!   (`serde_json::from_str`/`from_slice`, as the SDK does) to have every digit checked;
//! - encoding writes whole values as integers (`500`, never `500.0`) and others as their
//!   exact decimal text (`0.1`).
//!
//! **From floats**: `Credits::try_from(0.1_f64)` reads the float as the shortest decimal that
//! identifies it (`0.1`, the text Rust prints), so a value computed in floating point converts
//! to the decimal it was meant to be; NaN and infinities are refused. No arithmetic on credits
//! or dollars is ever done in floating point.

use std::borrow::Cow;
use std::fmt;
use std::iter::Sum;
use std::ops::{Add, AddAssign, Neg, Sub, SubAssign};
use std::str::FromStr;

use rust_decimal::Decimal;

/// Why a text or a float is not an exact decimal amount.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{input:?} is not an exact decimal amount: {reason}")]
pub struct InvalidDecimal {
    input: String,
    reason: &'static str,
}

impl InvalidDecimal {
    fn new(input: impl Into<String>, reason: &'static str) -> Self {
        Self { input: input.into(), reason }
    }
}

/// The most decimal places a [`Decimal`] holds.
const MAX_SCALE: i64 = 28;

/// Parses decimal text exactly: plain (`-12.50`, `.5`) or scientific (`1.5e3`), never
/// rounding. The value is `±digits × 10^exponent`; it is kept only if a [`Decimal`] holds
/// exactly that value, otherwise the text is refused.
///
/// Hand-written rather than `Decimal::from_str_exact`/`from_scientific`: `from_scientific`
/// rounds a mantissa of more than 28 digits (`1.00000000000000000000000000001e0` became `1`),
/// and whether `from_str_exact` refuses or rounds is a detail of the `rust_decimal` version
/// a downstream lockfile picks. Here exactness is this function's own contract, tested.
///
/// Trailing zeros carry no value and are dropped however many there are (`1.000…0` with 40
/// zeros is `1`); leading zeros likewise. What is refused is a nonzero digit a [`Decimal`]
/// cannot hold: more than 28 places after the point, more significant digits than its 96-bit
/// integer has, or a value beyond its range.
fn parse_exact(text: &str) -> Result<Decimal, InvalidDecimal> {
    let text = text.trim();
    let not_a_number = || InvalidDecimal::new(text, "not a number");
    let bytes = text.as_bytes();
    let mut i = 0;
    let negative = match bytes.first() {
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
    let digits_from = |from: usize| bytes[from..].iter().take_while(|b| b.is_ascii_digit()).count();
    let int_digits = &bytes[i..i + digits_from(i)];
    i += int_digits.len();
    let mut frac_digits: &[u8] = &[];
    if bytes.get(i) == Some(&b'.') {
        i += 1;
        frac_digits = &bytes[i..i + digits_from(i)];
        i += frac_digits.len();
    }
    if int_digits.is_empty() && frac_digits.is_empty() {
        return Err(not_a_number());
    }
    // The exponent, saturated far beyond any exact value so that a huge one cannot overflow.
    let mut exponent: i64 = 0;
    if matches!(bytes.get(i), Some(b'e' | b'E')) {
        i += 1;
        let exponent_negative = match bytes.get(i) {
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
        let exponent_digits = &bytes[i..i + digits_from(i)];
        if exponent_digits.is_empty() {
            return Err(not_a_number());
        }
        i += exponent_digits.len();
        for &digit in exponent_digits {
            exponent = (exponent * 10 + i64::from(digit - b'0')).min(1_000_000_000_000);
        }
        if exponent_negative {
            exponent = -exponent;
        }
    }
    if i != bytes.len() {
        return Err(not_a_number());
    }

    // The significant digits: the mantissa's digits without leading and trailing zeros.
    let digits = || int_digits.iter().chain(frac_digits).copied();
    let Some(first) = digits().position(|d| d != b'0') else {
        return Ok(Decimal::ZERO); // 0, -0, 0.000, 0e99: exactly zero
    };
    let total = int_digits.len() + frac_digits.len();
    let trailing_zeros = digits().rev().take_while(|&d| d == b'0').count();
    let significant = total - first - trailing_zeros;
    // The value is `significant digits × 10^exponent`.
    let exponent = exponent.saturating_sub(count(frac_digits.len())).saturating_add(count(trailing_zeros));
    if exponent < -MAX_SCALE {
        return Err(InvalidDecimal::new(text, "it has more than 28 digits after the decimal point"));
    }
    // 2^96 − 1, the largest mantissa, has 29 digits.
    if significant > 29 || exponent > 28 {
        let reason = if exponent < 0 {
            "it has more significant digits than an exact decimal holds"
        } else {
            "it is beyond the range of an exact decimal (about 7.9e28)"
        };
        return Err(InvalidDecimal::new(text, reason));
    }
    // At most 29 digits: below 10^29 < 2^97, well within a u128.
    let mantissa =
        digits().skip(first).take(significant).fold(0_u128, |acc, digit| acc * 10 + u128::from(digit - b'0'));
    // The exponent is within ±28 here.
    let power = u32::try_from(exponent.unsigned_abs()).unwrap_or(u32::MAX);
    let (mantissa, scale) = if exponent >= 0 {
        (10_u128.checked_pow(power).and_then(|p| mantissa.checked_mul(p)), 0)
    } else {
        (Some(mantissa), power)
    };
    let too_big = || {
        let reason = if scale > 0 {
            "it has more significant digits than an exact decimal holds"
        } else {
            "it is beyond the range of an exact decimal (about 7.9e28)"
        };
        InvalidDecimal::new(text, reason)
    };
    let mantissa = mantissa.and_then(|m| i128::try_from(m).ok()).ok_or_else(too_big)?;
    let signed = if negative { -mantissa } else { mantissa };
    // Refuses a mantissa beyond 96 bits; the scale is at most 28 here.
    Decimal::try_from_i128_with_scale(signed, scale).map_err(|_| too_big())
}

/// A length as an i64 (a text's length always fits).
fn count(length: usize) -> i64 {
    i64::try_from(length).unwrap_or(i64::MAX)
}

/// The shortest decimal that reads back as `value`, e.g. `0.1` for `0.1_f64`.
fn from_float(value: f64) -> Result<Decimal, InvalidDecimal> {
    if !value.is_finite() {
        return Err(InvalidDecimal::new(value.to_string(), "not a finite number"));
    }
    // Rust prints a float as the shortest text that parses back to the same float.
    parse_exact(&value.to_string())
}

/// The float whose shortest text is exactly `decimal`, if there is one, so that writing it as
/// a float loses nothing. Checked against the text `serde_json` writes for it (ryu's), not
/// Rust's own: when a float lies exactly halfway between two shortest texts the two pick
/// differently (847470381998734.25 is `…734.3` to Rust and `…734.2` to ryu).
fn float_exact(decimal: Decimal) -> Option<f64> {
    let text = decimal.normalize().to_string();
    let float: f64 = text.parse().ok()?;
    let written = serde_json::to_string(&float).ok()?;
    (float.is_finite() && parse_exact(&written).ok() == Some(decimal.normalize())).then_some(float)
}

macro_rules! exact_money {
    ($(#[$doc:meta])* $name:ident, $schema:literal) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(Decimal);

        impl $name {
            /// Zero.
            pub const ZERO: Self = Self(Decimal::ZERO);

            /// The value of an exact decimal.
            pub fn from_decimal(value: Decimal) -> Self {
                Self(value.normalize())
            }

            /// The value as an exact decimal.
            pub fn to_decimal(self) -> Decimal {
                self.0
            }

            /// Whether the value is 0.
            pub fn is_zero(self) -> bool {
                self.0.is_zero()
            }

            /// Whether the value is greater than 0.
            pub fn is_positive(self) -> bool {
                self.0 > Decimal::ZERO
            }

            /// Whether the value is less than 0.
            pub fn is_negative(self) -> bool {
                self.0 < Decimal::ZERO
            }

            /// `self + other`, or `None` outside the range.
            pub fn checked_add(self, other: Self) -> Option<Self> {
                self.0.checked_add(other.0).map(Self::from_decimal)
            }

            /// `self - other`, or `None` outside the range.
            pub fn checked_sub(self, other: Self) -> Option<Self> {
                self.0.checked_sub(other.0).map(Self::from_decimal)
            }

            /// `self × factor` (e.g. a price times a quantity), or `None` outside the range.
            pub fn checked_mul(self, factor: impl Into<Decimal>) -> Option<Self> {
                self.0.checked_mul(factor.into()).map(Self::from_decimal)
            }
        }

        impl fmt::Display for $name {
            /// The exact decimal, without trailing zeros: `500`, `0.1`, `-2.5`.
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.0, f)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self.0)
            }
        }

        impl FromStr for $name {
            type Err = InvalidDecimal;
            /// Parses decimal text exactly (`"0.1"`, `"-12.50"`, `"1.5e3"`); text with a
            /// digit a decimal cannot hold (a nonzero digit beyond 28 places after the point,
            /// or more significant digits than its 96 bits) is refused, never rounded:
            /// `"1.00000000000000000000000000001"` is an error, not `1`. Trailing zeros carry
            /// no value and are dropped, however many.
            fn from_str(text: &str) -> Result<Self, InvalidDecimal> {
                parse_exact(text).map(Self)
            }
        }

        impl TryFrom<f64> for $name {
            type Error = InvalidDecimal;
            /// The shortest decimal that reads back as `value` (`0.1_f64` → `0.1`); NaN and
            /// infinities are refused.
            fn try_from(value: f64) -> Result<Self, InvalidDecimal> {
                from_float(value).map(Self)
            }
        }

        impl From<Decimal> for $name {
            fn from(value: Decimal) -> Self {
                Self::from_decimal(value)
            }
        }

        impl From<$name> for Decimal {
            fn from(value: $name) -> Decimal {
                value.0
            }
        }

        exact_money!(@integers $name: i8, i16, i32, i64, u8, u16, u32, u64, isize, usize);

        impl Add for $name {
            type Output = Self;
            fn add(self, other: Self) -> Self {
                Self::from_decimal(self.0 + other.0)
            }
        }

        impl Sub for $name {
            type Output = Self;
            fn sub(self, other: Self) -> Self {
                Self::from_decimal(self.0 - other.0)
            }
        }

        impl Neg for $name {
            type Output = Self;
            fn neg(self) -> Self {
                Self(-self.0)
            }
        }

        impl AddAssign for $name {
            fn add_assign(&mut self, other: Self) {
                *self = *self + other;
            }
        }

        impl SubAssign for $name {
            fn sub_assign(&mut self, other: Self) {
                *self = *self - other;
            }
        }

        impl Sum for $name {
            fn sum<I: Iterator<Item = Self>>(iter: I) -> Self {
                iter.fold(Self::ZERO, Add::add)
            }
        }

        impl<'a> Sum<&'a $name> for $name {
            fn sum<I: Iterator<Item = &'a Self>>(iter: I) -> Self {
                iter.copied().sum()
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serialize_exact(self.0, serializer)
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                deserialize_exact(deserializer).map(Self)
            }
        }

        impl schemars::JsonSchema for $name {
            fn schema_name() -> Cow<'static, str> {
                Cow::Borrowed(stringify!($name))
            }

            fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
                schemars::json_schema!({ "type": "number", "description": $schema })
            }
        }
    };
    (@integers $name:ident: $($int:ty),+) => {$(
        impl From<$int> for $name {
            fn from(value: $int) -> Self {
                Self(Decimal::from(value))
            }
        }

        impl PartialEq<$int> for $name {
            fn eq(&self, other: &$int) -> bool {
                self.0 == Decimal::from(*other)
            }
        }

        impl PartialOrd<$int> for $name {
            fn partial_cmp(&self, other: &$int) -> Option<std::cmp::Ordering> {
                self.0.partial_cmp(&Decimal::from(*other))
            }
        }
    )+};
}

exact_money!(
    /// An exact amount of credits: a balance, a grant, a charge, a price in credits.
    ///
    /// ```
    /// use credits_types::Credits;
    ///
    /// let balance: Credits = "0.3".parse()?;
    /// let tenth = Credits::try_from(0.1)?;
    /// assert_eq!(balance - tenth - tenth - tenth, Credits::ZERO); // exact, unlike f64
    /// assert_eq!(Credits::from(500) + Credits::from(20), 520);
    /// assert_eq!(serde_json::to_string(&Credits::from(500))?, "500");
    /// assert_eq!(serde_json::to_string(&tenth)?, "0.1");
    /// let exact: Credits = serde_json::from_str("1.6119999999999999")?;
    /// assert_eq!(exact.to_string(), "1.6119999999999999");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    Credits,
    "An exact amount of credits."
);

exact_money!(
    /// An exact amount of US dollars, e.g. a model's price per million tokens or a usage cost.
    ///
    /// ```
    /// use credits_types::Usd;
    ///
    /// let per_million: Usd = "2.50".parse()?;
    /// assert_eq!(per_million.checked_mul(3).unwrap().to_string(), "7.5");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    Usd,
    "An exact amount of US dollars."
);

/// Writes whole values as integers and others as the number that prints as their exact
/// decimal text. The rare value too precise for a 64-bit float (more than 15 to 17
/// significant digits) is written through `serde_json`'s raw values, digit for digit.
fn serialize_exact<S: serde::Serializer>(value: Decimal, serializer: S) -> Result<S::Ok, S::Error> {
    let value = value.normalize();
    if value.scale() == 0 {
        if let Ok(whole) = i64::try_from(value) {
            return serializer.serialize_i64(whole);
        }
        if let Ok(whole) = u64::try_from(value) {
            return serializer.serialize_u64(whole);
        }
    }
    if let Some(float) = float_exact(value) {
        // A float that prints as exactly this decimal: serde_json writes that shortest text.
        return serializer.serialize_f64(float);
    }
    let raw = serde_json::value::RawValue::from_string(value.to_string()).map_err(serde::ser::Error::custom)?;
    serde::Serialize::serialize(&raw, serializer)
}

/// The name under which `serde_json` hands a value's raw text to a visitor (its `RawValue`
/// support, enabled by the `raw_value` feature). Other deserializers ignore it.
const RAW_VALUE_TOKEN: &str = "$serde_json::private::RawValue";

/// Reads a JSON number exactly: from its raw text with `serde_json`, otherwise from whatever
/// number or string the deserializer holds.
fn deserialize_exact<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Decimal, D::Error> {
    deserializer.deserialize_newtype_struct(RAW_VALUE_TOKEN, ExactVisitor)
}

struct ExactVisitor;

impl<'de> serde::de::Visitor<'de> for ExactVisitor {
    type Value = Decimal;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a decimal number")
    }

    fn visit_newtype_struct<D: serde::Deserializer<'de>>(self, deserializer: D) -> Result<Decimal, D::Error> {
        deserializer.deserialize_any(self)
    }

    /// `serde_json`'s raw value: one entry whose value is the number's text as written. Read
    /// without allocating: the text is parsed where it lies.
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Decimal, A::Error> {
        use serde::de::Error;
        let Some(serde::de::IgnoredAny) = map.next_key()? else { return Err(A::Error::custom("an empty object")) };
        map.next_value_seed(RawText)
    }

    fn visit_i64<E: serde::de::Error>(self, value: i64) -> Result<Decimal, E> {
        Ok(Decimal::from(value))
    }

    fn visit_u64<E: serde::de::Error>(self, value: u64) -> Result<Decimal, E> {
        Ok(Decimal::from(value))
    }

    fn visit_i128<E: serde::de::Error>(self, value: i128) -> Result<Decimal, E> {
        Decimal::try_from_i128_with_scale(value, 0).map_err(E::custom)
    }

    /// A float from a deserializer without the number's text (a `serde_json::Value`): its
    /// shortest decimal, the best left once the text is gone (see the module docs).
    fn visit_f64<E: serde::de::Error>(self, value: f64) -> Result<Decimal, E> {
        from_float(value).map_err(E::custom)
    }

    fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<Decimal, E> {
        parse_exact(text).map_err(E::custom)
    }
}

/// The raw text of a JSON value, parsed as a decimal: a number as written, or a string holding
/// one.
struct RawText;

impl<'de> serde::de::DeserializeSeed<'de> for RawText {
    type Value = Decimal;

    fn deserialize<D: serde::Deserializer<'de>>(self, deserializer: D) -> Result<Decimal, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl serde::de::Visitor<'_> for RawText {
    type Value = Decimal;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the text of a JSON number")
    }

    fn visit_str<E: serde::de::Error>(self, raw: &str) -> Result<Decimal, E> {
        let raw = raw.trim();
        if raw.starts_with('"') {
            // A number sent as a JSON string (rare): unescape it first.
            let text: String = serde_json::from_str(raw).map_err(E::custom)?;
            return parse_exact(&text).map_err(E::custom);
        }
        parse_exact(raw).map_err(E::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(json: &str) -> Credits {
        serde_json::from_str(json).unwrap_or_else(|e| panic!("{json}: {e}"))
    }

    #[test]
    fn decoding_keeps_the_digits_the_server_wrote() {
        for text in
            ["0", "500", "0.1", "1.6119999999999999", "9007199254740993", "-2.5", "0.0425", "123456789.123456789"]
        {
            assert_eq!(decode(text).to_string(), text);
        }
        assert_eq!(decode("1.50").to_string(), "1.5");
        assert_eq!(decode("1e3"), 1000);
        assert_eq!(decode("\"12.5\"").to_string(), "12.5");
        let value: serde_json::Value = serde_json::from_str(r#"{"b": 0.3}"#).unwrap();
        assert_eq!(serde_json::from_value::<Credits>(value["b"].clone()).unwrap().to_string(), "0.3");
        for bad in ["true", "\"x\"", "[]", "1e400", "79228162514264337593543950336"] {
            assert!(serde_json::from_str::<Credits>(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_digit_a_decimal_cannot_hold_is_refused_never_rounded() {
        // Each was rounded once: to 1, to 1, and to 9007199254740993.
        for text in
            ["1.00000000000000000000000000001", "0.99999999999999999999999999999", "9007199254740993.00000000000001"]
        {
            for written in [text.to_owned(), format!("{text}e0"), format!("{text}E+0"), format!("-{text}")] {
                assert!(parse_exact(&written).is_err(), "{written}");
                assert!(serde_json::from_str::<Credits>(&written).is_err(), "{written} as a number");
                assert!(serde_json::from_str::<Credits>(&format!("\"{written}\"")).is_err(), "{written} as a string");
            }
        }
        // The same digits moved by an exponent into what fits are exact, and kept.
        assert_eq!(
            parse_exact("10000000000000000000000000001e-28").unwrap().to_string(),
            "1.0000000000000000000000000001"
        );
        assert!(parse_exact("100000000000000000000000000001e-28").is_err(), "30 significant digits");
        assert_eq!(
            parse_exact("0.0000000000000000000000000001").unwrap().to_string(),
            "0.0000000000000000000000000001"
        );
        assert!(parse_exact("0.00000000000000000000000000001").is_err(), "29 places");
        assert!(parse_exact("1e-29").is_err(), "29 places");
        assert_eq!(parse_exact("79228162514264337593543950335").unwrap(), Decimal::MAX);
        assert!(parse_exact("79228162514264337593543950336").is_err(), "2^96");
        assert!(parse_exact("7.9228162514264337593543950336e28").is_err(), "2^96");
        assert!(parse_exact("1e29").is_err());
        assert!(parse_exact("1e999999999999999999999999").is_err(), "a huge exponent saturates");
    }

    #[test]
    fn trailing_and_leading_zeros_carry_no_digit_and_are_dropped() {
        let zeros = "0".repeat(40);
        assert_eq!(parse_exact(&format!("1.{zeros}")).unwrap(), Decimal::ONE);
        assert_eq!(parse_exact(&format!("{zeros}2.5{zeros}")).unwrap().to_string(), "2.5");
        assert_eq!(parse_exact(&format!("0.{zeros}e999999999999")).unwrap(), Decimal::ZERO);
        assert_eq!(parse_exact("1000e-3").unwrap(), Decimal::ONE);
        assert_eq!(parse_exact("-0.000").unwrap().to_string(), "0");
    }

    #[test]
    fn the_text_forms_accepted_are_those_of_a_decimal_number() {
        for (text, value) in [
            (".5", "0.5"),
            ("5.", "5"),
            ("+1", "1"),
            ("-.5", "-0.5"),
            (" 1 ", "1"),
            ("1e+3", "1000"),
            ("-1.5E+2", "-150"),
            ("1.e2", "100"),
            ("1e-3", "0.001"),
            ("1e28", "10000000000000000000000000000"),
        ] {
            assert_eq!(parse_exact(text).unwrap().to_string(), value, "{text:?}");
        }
        for text in
            ["", ".", "-", "--1", "+-1", "1-", "1.2.3", "1e", "1.5e", "e5", ".e1", "1_000", "1 000", "0x10", "\u{661}"]
        {
            assert!(parse_exact(text).is_err(), "{text:?}");
        }
    }

    #[test]
    fn encoding_writes_whole_values_as_integers_and_the_rest_exactly() {
        let encode = |c: Credits| serde_json::to_string(&c).unwrap();
        assert_eq!(encode(Credits::from(500)), "500");
        assert_eq!(encode("500.00".parse().unwrap()), "500");
        assert_eq!(encode("0.1".parse().unwrap()), "0.1");
        assert_eq!(encode("1.6119999999999999".parse().unwrap()), "1.6119999999999999");
        assert_eq!(encode("12345678901234567890.5".parse().unwrap()), "12345678901234567890.5");
        assert_eq!(
            encode("847470381998734.3".parse().unwrap()),
            "847470381998734.3",
            "a float halfway between two texts"
        );
        assert_eq!(encode(Credits::from(u64::MAX)), u64::MAX.to_string());
        // Inside structures and values too.
        let json = serde_json::to_value(vec![Credits::try_from(0.1).unwrap()]).unwrap();
        assert_eq!(json.to_string(), "[0.1]");
    }

    #[test]
    fn arithmetic_is_exact() {
        let tenth = Credits::try_from(0.1).unwrap();
        let mut left: Credits = "0.3".parse().unwrap();
        for _ in 0..3 {
            left -= tenth;
        }
        assert!(left.is_zero());
        let big = Credits::from(9_007_199_254_740_992_u64);
        assert_eq!((1..=10).map(|_| Credits::from(1)).fold(big, Add::add), 9_007_199_254_741_002_u64);
        assert_eq!([tenth, tenth].iter().sum::<Credits>().to_string(), "0.2");
        assert!(Credits::from(-1).is_negative() && Credits::from(2) > Credits::from(1) && Credits::from(2) > 1);
        assert_eq!(Credits::from_decimal(Decimal::MAX).checked_add(Credits::from(1)), None);
    }

    #[test]
    fn floats_convert_to_the_decimal_they_print_as() {
        assert_eq!(Credits::try_from(0.1).unwrap().to_string(), "0.1");
        assert_eq!(Credits::try_from(1e-7).unwrap().to_string(), "0.0000001");
        assert!(Credits::try_from(f64::NAN).is_err());
        assert!(Credits::try_from(f64::INFINITY).is_err());
        assert!(Credits::try_from(1e300).is_err(), "beyond the range");
    }
}
