//! Reading a pickle stream: fixed-size values, lengths and lines, each checked against the
//! bytes that remain.

use super::PickleError;

/// The bytes of a pickle and the read position.
pub(super) struct Input<'a> {
    pub data: &'a [u8],
    pub pos: usize,
}

impl<'a> Input<'a> {
    #[inline]
    pub fn take(&mut self, n: usize, what: &'static str) -> Result<&'a [u8], PickleError> {
        let end = self.pos.checked_add(n);
        match end.and_then(|end| self.data.get(self.pos..end)) {
            Some(bytes) => {
                self.pos += n;
                Ok(bytes)
            }
            None => Err(PickleError::Truncated {
                what,
                offset: self.pos,
            }),
        }
    }

    #[inline]
    pub fn array<const N: usize>(&mut self, what: &'static str) -> Result<[u8; N], PickleError> {
        let bytes = self.take(N, what)?;
        let mut out = [0u8; N];
        out.copy_from_slice(bytes);
        Ok(out)
    }

    #[inline]
    pub fn u8(&mut self, what: &'static str) -> Result<u8, PickleError> {
        Ok(self.array::<1>(what)?[0])
    }

    #[inline]
    pub fn u32(&mut self, what: &'static str) -> Result<u32, PickleError> {
        Ok(u32::from_le_bytes(self.array(what)?))
    }

    /// A length that must fit in what remains of the input.
    #[inline]
    pub fn len_u64(&mut self, what: &'static str) -> Result<usize, PickleError> {
        let n = u64::from_le_bytes(self.array(what)?);
        usize::try_from(n).map_err(|_| PickleError::Truncated {
            what,
            offset: self.pos,
        })
    }

    /// A `\n`-terminated line (text arguments of `GLOBAL`/`PERSID`), without the newline.
    pub fn line(&mut self, what: &'static str) -> Result<&'a [u8], PickleError> {
        let rest = self.data.get(self.pos..).unwrap_or_default();
        let Some(len) = rest.iter().position(|&b| b == b'\n') else {
            return Err(PickleError::Truncated {
                what,
                offset: self.pos,
            });
        };
        let line = self.take(len, what)?;
        self.pos += 1;
        Ok(line)
    }
}
