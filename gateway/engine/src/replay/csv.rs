//! A small streaming CSV reader: one reusable buffer, no allocation per record,
//! RFC 4180 quoting (doubled quotes, separators and line breaks inside quotes).

use std::io::{self, BufRead};

#[derive(Clone, Copy, Debug)]
enum Span {
    Line(usize, usize),
    Scratch(usize, usize),
}

pub(crate) struct CsvReader<R> {
    inner: R,
    line: Vec<u8>,
    scratch: Vec<u8>,
    fields: Vec<Span>,
    /// Physical line number of the next line to read (1-based).
    next_line: u64,
    /// Line number where the current record started.
    pub record_line: u64,
}

impl<R: BufRead> CsvReader<R> {
    pub fn new(inner: R) -> Self {
        CsvReader {
            inner,
            line: Vec::with_capacity(256),
            scratch: Vec::with_capacity(64),
            fields: Vec::with_capacity(16),
            next_line: 1,
            record_line: 0,
        }
    }

    /// Reads the next record; `Ok(false)` at end of input. Blank lines are skipped.
    pub fn next_record(&mut self) -> io::Result<bool> {
        loop {
            self.line.clear();
            self.record_line = self.next_line;
            let n = self.inner.read_until(b'\n', &mut self.line)?;
            if n == 0 {
                return Ok(false);
            }
            self.next_line += 1;
            // A quoted field may span lines: keep reading while quotes are unbalanced.
            while self.line.iter().filter(|&&c| c == b'"').count() % 2 == 1 {
                let n = self.inner.read_until(b'\n', &mut self.line)?;
                if n == 0 {
                    break;
                }
                self.next_line += 1;
            }
            while matches!(self.line.last(), Some(b'\n' | b'\r')) {
                self.line.pop();
            }
            if self.line.is_empty() {
                continue;
            }
            self.split();
            return Ok(true);
        }
    }

    fn split(&mut self) {
        self.fields.clear();
        self.scratch.clear();
        let b = &self.line;
        let mut i = 0;
        loop {
            if b.get(i) == Some(&b'"') {
                let start = self.scratch.len();
                i += 1;
                while i < b.len() {
                    if b[i] == b'"' {
                        if b.get(i + 1) == Some(&b'"') {
                            self.scratch.push(b'"');
                            i += 2;
                            continue;
                        }
                        i += 1;
                        break;
                    }
                    self.scratch.push(b[i]);
                    i += 1;
                }
                // Tolerate stray characters between the closing quote and the comma.
                while i < b.len() && b[i] != b',' {
                    self.scratch.push(b[i]);
                    i += 1;
                }
                self.fields.push(Span::Scratch(start, self.scratch.len()));
            } else {
                let start = i;
                while i < b.len() && b[i] != b',' {
                    i += 1;
                }
                self.fields.push(Span::Line(start, i));
            }
            if i >= b.len() {
                break;
            }
            i += 1; // the comma
            if i == b.len() {
                self.fields.push(Span::Line(i, i));
                break;
            }
        }
    }

    pub fn len(&self) -> usize {
        self.fields.len()
    }

    pub fn field(&self, i: usize) -> &[u8] {
        match self.fields.get(i) {
            Some(Span::Line(s, e)) => &self.line[*s..*e],
            Some(Span::Scratch(s, e)) => &self.scratch[*s..*e],
            None => &[],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_and_empty_fields() {
        let data = b"a,\"b,c\",,\"d\"\"e\"\r\n\n\"multi\nline\",x,\n";
        let mut r = CsvReader::new(&data[..]);
        assert!(r.next_record().expect("read"));
        assert_eq!(r.len(), 4);
        assert_eq!(r.field(1), b"b,c");
        assert_eq!(r.field(2), b"");
        assert_eq!(r.field(3), b"d\"e");
        assert!(r.next_record().expect("read"));
        assert_eq!(r.record_line, 3);
        assert_eq!(r.field(0), b"multi\nline");
        assert_eq!(r.len(), 3);
        assert_eq!(r.field(2), b"");
        assert!(!r.next_record().expect("read"));
    }
}
