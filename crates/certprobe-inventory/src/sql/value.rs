//! Values crossing the seam: parameters bound to statements, and columns read from rows.
//! Integers are 64-bit on both sides (booleans are stored as 0 and 1), so the logic's
//! statements bind and read the same types whatever the database.

use super::{DbError, Failure};

/// A parameter bound to a statement.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Param<'a> {
    /// SQL NULL.
    Null,
    /// An integer (booleans as 0 and 1).
    Int(i64),
    /// Text.
    Text(&'a str),
    /// Bytes.
    Blob(&'a [u8]),
}

/// A column's value as a database returned it, borrowed from the row.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Value<'a> {
    /// SQL NULL.
    Null,
    /// An integer or a boolean (0 and 1).
    Int(i64),
    /// Text.
    Text(&'a str),
    /// Bytes.
    Blob(&'a [u8]),
}

/// A row as a connection hands it over.
pub trait RowRead {
    /// The value of column `index` (from 0).
    fn value(&self, index: usize) -> Result<Value<'_>, DbError>;
}

/// A row of a query's result.
pub struct Row<'a>(&'a dyn RowRead);

impl<'a> Row<'a> {
    /// The row a connection read.
    pub fn new(read: &'a dyn RowRead) -> Row<'a> {
        Row(read)
    }

    /// Column `index` (from 0) as a `T`.
    pub fn get<T: FromColumn>(&self, index: usize) -> Result<T, DbError> {
        let value = self.0.value(index)?;
        T::from_value(value).ok_or_else(|| {
            DbError::new(
                Failure::Other,
                format!(
                    "column {} holds {}, not {}",
                    index + 1,
                    described(value),
                    T::WANTED
                ),
            )
        })
    }

    /// Column `index` as it is, owned.
    pub fn owned(&self, index: usize) -> Result<Owned, DbError> {
        Ok(match self.0.value(index)? {
            Value::Null => Owned::Null,
            Value::Int(i) => Owned::Int(i),
            Value::Text(text) => Owned::Text(text.to_string()),
            Value::Blob(bytes) => Owned::Blob(bytes.to_vec()),
        })
    }

    /// Column `index` as borrowed text (`None` when NULL), for a reader that copies only
    /// what it keeps.
    pub fn text_ref(&self, index: usize) -> Result<Option<&str>, DbError> {
        match self.0.value(index)? {
            Value::Null => Ok(None),
            Value::Text(text) => Ok(Some(text)),
            other => Err(DbError::new(
                Failure::Other,
                format!("column {} holds {}, not text", index + 1, described(other)),
            )),
        }
    }
}

fn described(value: Value<'_>) -> &'static str {
    match value {
        Value::Null => "NULL",
        Value::Int(_) => "an integer",
        Value::Text(_) => "text",
        Value::Blob(_) => "bytes",
    }
}

/// A Rust value a column can be read as.
pub trait FromColumn: Sized {
    /// What the column must hold, in words.
    const WANTED: &'static str;
    /// The value, if the column holds one of this type.
    fn from_value(value: Value<'_>) -> Option<Self>;
}

macro_rules! integers {
    ($($t:ty),*) => {$(
        impl FromColumn for $t {
            const WANTED: &'static str = concat!("an integer in the range of ", stringify!($t));
            fn from_value(value: Value<'_>) -> Option<Self> {
                match value {
                    Value::Int(i) => <$t>::try_from(i).ok(),
                    _ => None,
                }
            }
        }
    )*};
}

integers!(i64, i32, u8, u16, u32, u64);

impl FromColumn for bool {
    const WANTED: &'static str = "a boolean";
    fn from_value(value: Value<'_>) -> Option<Self> {
        match value {
            Value::Int(i) => Some(i != 0),
            _ => None,
        }
    }
}

impl FromColumn for String {
    const WANTED: &'static str = "text";
    fn from_value(value: Value<'_>) -> Option<Self> {
        match value {
            Value::Text(text) => Some(text.to_string()),
            _ => None,
        }
    }
}

impl FromColumn for Vec<u8> {
    const WANTED: &'static str = "bytes";
    fn from_value(value: Value<'_>) -> Option<Self> {
        match value {
            Value::Blob(bytes) => Some(bytes.to_vec()),
            _ => None,
        }
    }
}

impl<T: FromColumn> FromColumn for Option<T> {
    const WANTED: &'static str = T::WANTED;
    fn from_value(value: Value<'_>) -> Option<Self> {
        match value {
            Value::Null => Some(None),
            other => T::from_value(other).map(Some),
        }
    }
}

/// A Rust value that can be bound as a parameter.
pub trait ToParam {
    /// The parameter.
    fn to_param(&self) -> Param<'_>;
}

macro_rules! integer_params {
    ($($t:ty),*) => {$(
        impl ToParam for $t {
            fn to_param(&self) -> Param<'_> {
                // Every count and id the store binds fits (they come from i64 columns or
                // from lengths); a larger one is clamped rather than wrapped.
                Param::Int(i64::try_from(*self).unwrap_or(i64::MAX))
            }
        }
    )*};
}

integer_params!(i64, i32, u8, u16, u32, u64, usize);

impl ToParam for bool {
    fn to_param(&self) -> Param<'_> {
        Param::Int(i64::from(*self))
    }
}

impl ToParam for str {
    fn to_param(&self) -> Param<'_> {
        Param::Text(self)
    }
}

impl ToParam for String {
    fn to_param(&self) -> Param<'_> {
        Param::Text(self)
    }
}

impl ToParam for [u8] {
    fn to_param(&self) -> Param<'_> {
        Param::Blob(self)
    }
}

impl ToParam for Vec<u8> {
    fn to_param(&self) -> Param<'_> {
        Param::Blob(self)
    }
}

impl<const N: usize> ToParam for [u8; N] {
    fn to_param(&self) -> Param<'_> {
        Param::Blob(self)
    }
}

impl<T: ToParam> ToParam for Option<T> {
    fn to_param(&self) -> Param<'_> {
        match self {
            Some(value) => value.to_param(),
            None => Param::Null,
        }
    }
}

impl<T: ToParam + ?Sized> ToParam for &T {
    fn to_param(&self) -> Param<'_> {
        (**self).to_param()
    }
}

impl ToParam for Param<'_> {
    fn to_param(&self) -> Param<'_> {
        *self
    }
}

/// An owned parameter, for statements whose conditions are put together at run time, and
/// for a column's value carried from one database to another.
#[derive(Clone, Debug, PartialEq)]
pub enum Owned {
    /// SQL NULL.
    Null,
    /// An integer.
    Int(i64),
    /// Text.
    Text(String),
    /// Bytes.
    Blob(Vec<u8>),
}

impl ToParam for Owned {
    fn to_param(&self) -> Param<'_> {
        match self {
            Owned::Null => Param::Null,
            Owned::Int(i) => Param::Int(*i),
            Owned::Text(text) => Param::Text(text),
            Owned::Blob(bytes) => Param::Blob(bytes),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{FromColumn, Param, ToParam, Value};

    #[test]
    fn columns_are_read_within_their_types_range_only() {
        assert_eq!(u8::from_value(Value::Int(3)), Some(3));
        assert_eq!(u8::from_value(Value::Int(256)), None);
        assert_eq!(u16::from_value(Value::Int(-1)), None);
        assert_eq!(Option::<i64>::from_value(Value::Null), Some(None));
        assert_eq!(i64::from_value(Value::Null), None);
        assert_eq!(bool::from_value(Value::Int(1)), Some(true));
        assert_eq!(String::from_value(Value::Blob(b"x")), None);
    }

    #[test]
    fn parameters_keep_their_values() {
        assert_eq!(true.to_param(), Param::Int(1));
        assert_eq!(u64::MAX.to_param(), Param::Int(i64::MAX));
        assert_eq!(Some("a").to_param(), Param::Text("a"));
        assert_eq!(None::<i64>.to_param(), Param::Null);
        assert_eq!([1u8, 2].to_param(), Param::Blob(&[1, 2]));
    }
}
