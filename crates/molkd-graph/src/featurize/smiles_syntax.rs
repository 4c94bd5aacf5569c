//! RDKit's SMILES grammar, checked before `chematic_smiles::parse` sees the text.
//!
//! chematic-smiles 1.2 is more lenient than RDKit's `Chem.MolFromSmiles` in places, so strings
//! RDKit rejects were featurised and trained on: empty branches `C()C`, a bond symbol before
//! `(` or `)` (`C=(C)C`, `C(=)C`), chirality on an atom outside brackets (`N@C`), a ring bond
//! that closes on the atom it opens (`C11`, `C1(C)1`), `%0n` ring labels, leading zeros in
//! bracket-atom numbers (`[C:01]`), a chiral hydrogen, and two-letter aromatic symbols RDKit
//! does not have (`[sc]`, unbracketed `se`). It also refuses ring bonds whose two ends carry
//! different bond symbols (`C/1CCCC/1`, `C=1CC-1`) and `%(n)` labels below 100, which RDKit
//! reads. All of that is the parser's business and belongs in chematic-smiles; until chematic
//! follows RDKit there, molkd walks the tokens with RDKit's grammar (`smiles.yy`, `smiles.ll`)
//! first, and either rejects the text with the byte position of the offending token or
//! rewrites ring-bond tokens into a form chematic reads as RDKit does. Valence, aromaticity and
//! stereo stay with chematic's port of RDKit's sanitisation.
//!
//! Known gaps (RDKit accepts, molkd rejects): `.` inside a branch (`C(C.C)C`), which chematic
//! cannot represent and no rewrite keeps in RDKit's atom and bond order; a ring bond with a
//! bond type at one end and a direction at the other (`C=1CC/1`), for the same reason; H
//! counts and charges of three or more digits (`[Na+819]`), which chematic cannot hold; and
//! text after whitespace, which RDKit reads as a name.

use std::borrow::Cow;

use chematic_core::Element;

use crate::error::{GraphError, Result};

/// Checks `smiles` (surrounding whitespace ignored, as chematic ignores it) against RDKit's
/// SMILES grammar and returns the text to give chematic: the trimmed input, or a copy with
/// conflicting ring-bond symbols dropped and `%(n)` labels below 100 respelled (see
/// `Walker::resolve_ring_bond` and `Walker::ring_bond`). Errors are
/// [`GraphError::InvalidSmiles`] with the byte position in `smiles`. A doubled backslash counts
/// as one `\` bond, as RDKit's lexer reads it; the caller collapses it.
pub(crate) fn check(smiles: &str) -> Result<Cow<'_, str>> {
    let text = smiles.trim();
    let mut walker = Walker {
        input: smiles,
        offset: smiles.len() - smiles.trim_start().len(),
        text: text.as_bytes(),
        pos: 0,
        active: None,
        next_atom: 0,
        branches: Vec::new(),
        rings: Vec::new(),
        pending: None,
        edits: Vec::new(),
    };
    walker.walk()?;
    if walker.edits.is_empty() {
        return Ok(Cow::Borrowed(text));
    }
    let mut edits = walker.edits;
    edits.sort_by_key(|e| e.start);
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for e in edits {
        out.push_str(&text[at..e.start]);
        out.push_str(&e.replacement);
        at = e.end;
    }
    out.push_str(&text[at..]);
    Ok(Cow::Owned(out))
}

/// Replaces `start..end` of the trimmed text by `replacement`.
struct Edit {
    start: usize,
    end: usize,
    replacement: String,
}

/// What the previous token allows next (RDKit's `mol` productions).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Prev {
    /// Start of the text, or after `.`: an atom must follow.
    Start,
    /// After `(`: an atom, or a bond symbol and then an atom.
    Open,
    /// After `(` and a bond symbol: an atom must follow (not a ring-bond label).
    OpenBond,
    /// After a bond symbol in a chain: an atom or a ring-bond label.
    Bond,
    /// After an atom, a ring-bond label or `)`: anything may follow, or the end.
    Atom,
}

/// A bond symbol as written, at `start..end`.
#[derive(Debug, Clone, Copy)]
struct BondToken {
    start: usize,
    end: usize,
    kind: BondKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BondKind {
    /// `-`, `=`, `#`, `$`, `:` or `~`: a bond type without direction.
    Typed(u8),
    /// `/` (`true`) or `\` (`false`): a single bond with a direction.
    Directed(bool),
    /// `->` or `<-`.
    Dative,
}

/// A ring bond opened and not yet closed.
#[derive(Debug, Clone, Copy)]
struct OpenRing {
    label: u32,
    /// The atom it opens at, numbered in order of appearance.
    atom: usize,
    /// The bond symbol written before the opening label.
    bond: Option<BondToken>,
}

struct Walker<'a> {
    /// The text as given, for errors, and where its trimmed part `text` starts in it.
    input: &'a str,
    offset: usize,
    text: &'a [u8],
    pos: usize,
    /// The atom a following bond attaches to (`None` after `.`).
    active: Option<usize>,
    next_atom: usize,
    /// For each open `(`: the branch point and the position of the `(`.
    branches: Vec<(Option<usize>, usize)>,
    rings: Vec<OpenRing>,
    /// A bond symbol read and not yet attached to an atom or ring-bond label.
    pending: Option<BondToken>,
    edits: Vec<Edit>,
}

impl Walker<'_> {
    /// A grammar violation at byte `position` of the trimmed text.
    fn fail<T>(&self, position: usize, message: impl Into<String>) -> Result<T> {
        let position = self.offset + position;
        Err(GraphError::InvalidSmiles {
            smiles: self.input.to_string(),
            message: format!("{} at position {position}", message.into()),
            position: Some(position),
        })
    }

    fn peek(&self) -> Option<u8> {
        self.text.get(self.pos).copied()
    }

    fn peek_at(&self, offset: usize) -> Option<u8> {
        self.text.get(self.pos + offset).copied()
    }

    fn walk(&mut self) -> Result<()> {
        let mut prev = Prev::Start;
        while let Some(c) = self.peek() {
            let start = self.pos;
            match c {
                b'(' => {
                    if prev != Prev::Atom {
                        return self
                            .fail(start, "`(` must follow an atom, a ring-bond label or `)`");
                    }
                    self.branches.push((self.active, start));
                    self.pos += 1;
                    prev = Prev::Open;
                }
                b')' => {
                    if prev != Prev::Atom {
                        return self
                            .fail(start, "`)` must follow an atom, a ring-bond label or `)`");
                    }
                    let Some((branch_point, _)) = self.branches.pop() else {
                        return self.fail(start, "`)` without a matching `(`");
                    };
                    self.active = branch_point;
                    self.pos += 1;
                }
                b'.' => {
                    if prev != Prev::Atom {
                        return self
                            .fail(start, "`.` must follow an atom, a ring-bond label or `)`");
                    }
                    if let Some(&(_, open)) = self.branches.last() {
                        // RDKit reads this, but chematic has no way to represent it (module doc).
                        return self.fail(
                            start,
                            format!(
                                "`.` inside the branch opened at position {open} is not supported"
                            ),
                        );
                    }
                    self.active = None;
                    self.pos += 1;
                    prev = Prev::Start;
                }
                b'0'..=b'9' | b'%' => {
                    if !matches!(prev, Prev::Atom | Prev::Bond) {
                        return self.fail(
                            start,
                            "a ring-bond label must follow an atom or a bond symbol",
                        );
                    }
                    self.ring_bond()?;
                    prev = Prev::Atom;
                }
                b'-' | b'=' | b'#' | b'$' | b':' | b'/' | b'\\' | b'~' | b'<' => {
                    prev = match prev {
                        Prev::Atom => Prev::Bond,
                        Prev::Open => Prev::OpenBond,
                        _ => return self.fail(start, "a bond symbol must follow an atom or `(`"),
                    };
                    self.pending = Some(self.bond()?);
                }
                b'@' => return self.fail(start, "chirality `@` outside a bracket atom"),
                _ => {
                    self.atom()?;
                    self.pending = None;
                    self.active = Some(self.next_atom);
                    self.next_atom += 1;
                    prev = Prev::Atom;
                }
            }
        }
        let end = self.text.len();
        match prev {
            Prev::Atom => {}
            Prev::Start if end == 0 => return self.fail(0, "empty SMILES"),
            Prev::Start => return self.fail(end - 1, "`.` at the end"),
            _ => return self.fail(end, "the SMILES ends after a bond symbol or `(`"),
        }
        if let Some(&(_, open)) = self.branches.last() {
            return self.fail(open, "`(` is never closed");
        }
        if let Some(ring) = self.rings.iter().min_by_key(|r| r.label) {
            return self.fail(end, format!("ring bond {} is never closed", ring.label));
        }
        Ok(())
    }

    /// One bond symbol (a doubled backslash counts as one `\`).
    fn bond(&mut self) -> Result<BondToken> {
        let start = self.pos;
        let (len, kind) = match self.peek() {
            Some(b'-') if self.peek_at(1) == Some(b'>') => (2, BondKind::Dative),
            Some(b'<') if self.peek_at(1) == Some(b'-') => (2, BondKind::Dative),
            Some(b'<') => return self.fail(start, "`<` is not a bond symbol (`<-` is)"),
            Some(b'/') => (1, BondKind::Directed(true)),
            Some(b'\\') if self.peek_at(1) == Some(b'\\') => (2, BondKind::Directed(false)),
            Some(b'\\') => (1, BondKind::Directed(false)),
            Some(other) => (1, BondKind::Typed(other)),
            None => return self.fail(start, "expected a bond symbol"),
        };
        self.pos += len;
        Ok(BondToken {
            start,
            end: self.pos,
            kind,
        })
    }

    /// A ring-bond label (`1`, `%12`, `%(123)`) on the active atom: opens or closes a ring.
    fn ring_bond(&mut self) -> Result<()> {
        let start = self.pos;
        let label = match (self.peek(), self.peek_at(1), self.peek_at(2)) {
            (Some(b'%'), Some(b'('), _) => {
                self.pos += 2;
                let digits = self.digits();
                if !(1..=5).contains(&digits) || self.peek() != Some(b')') {
                    return self.fail(start, "`%(` must hold 1 to 5 digits and then `)`");
                }
                let label = self.text[self.pos - digits..self.pos]
                    .iter()
                    .fold(0u32, |n, d| n * 10 + u32::from(d - b'0'));
                self.pos += 1;
                if label < 100 {
                    // chematic reads `%(n)` only from 100 on. RDKit's ring label n is the same
                    // label as the digit or `%nn` spelling, so the ring and its bond (and
                    // chematic's RDKit bond order, sorted by label) are unchanged.
                    let replacement = if label < 10 {
                        label.to_string()
                    } else {
                        format!("%{label}")
                    };
                    self.edits.push(Edit {
                        start,
                        end: self.pos,
                        replacement,
                    });
                }
                label
            }
            (Some(b'%'), Some(a @ b'1'..=b'9'), Some(b @ b'0'..=b'9')) => {
                self.pos += 3;
                u32::from(a - b'0') * 10 + u32::from(b - b'0')
            }
            (Some(b'%'), ..) => {
                return self.fail(start, "`%` must be followed by a label 10-99 or by `(n)`");
            }
            (Some(d), ..) => {
                self.pos += 1;
                u32::from(d - b'0')
            }
            (None, ..) => return self.fail(start, "expected a ring-bond label"),
        };
        let Some(atom) = self.active else {
            return self.fail(start, "a ring-bond label must follow an atom");
        };
        let bond = self.pending.take();
        match self.rings.iter().position(|r| r.label == label) {
            None => self.rings.push(OpenRing { label, atom, bond }),
            Some(i) => {
                let open = self.rings.swap_remove(i);
                if open.atom == atom {
                    return self.fail(
                        start,
                        format!("ring bond {label} closes on the atom it opens"),
                    );
                }
                self.resolve_ring_bond(label, open.bond, bond)?;
            }
        }
        Ok(())
    }

    /// Both ends of a ring bond may carry a bond symbol; chematic refuses them unless they say
    /// the same bond (read in one direction). RDKit keeps the opening end's partial bond, begin
    /// atom included, when its symbol is a bond type (`-` `=` `#` `$` `:`), else the closing
    /// end's, and carries a direction (`/`, `\`) written at the other end over. Where one symbol
    /// alone gives RDKit's bond, the other is dropped: checked against RDKit's features for
    /// every pair of `-` `=` `#` `$` `:` `/` `\` in ten ring contexts. The remaining mixtures,
    /// a bond type at one end and a direction at the other (but for a directed opening with a
    /// `-` closing), have no spelling chematic reads as RDKit does, so they are refused.
    fn resolve_ring_bond(
        &mut self,
        label: u32,
        open: Option<BondToken>,
        close: Option<BondToken>,
    ) -> Result<()> {
        use BondKind::{Dative, Directed, Typed};
        let (Some(open), Some(close)) = (open, close) else {
            return Ok(());
        };
        let drop = match (open.kind, close.kind) {
            // chematic already reads these as RDKit does.
            (Typed(a), Typed(b)) if a == b => return Ok(()),
            (Directed(a), Directed(b)) if a != b => return Ok(()),
            (Dative, _) | (_, Dative) => return Ok(()),
            // The opening bond type wins.
            (Typed(_), Typed(_)) => close,
            // The closing direction, and with it the closing begin atom, wins.
            (Directed(_), Directed(_)) => open,
            // A single bond begun at the closing atom with the opening direction: what the
            // opening symbol alone gives.
            (Directed(_), Typed(b'-')) => close,
            _ => {
                return self.fail(
                    close.start,
                    format!(
                        "ring bond {label} has a bond type at one end and a direction at the \
                         other, which is not supported"
                    ),
                );
            }
        };
        self.edits.push(Edit {
            start: drop.start,
            end: drop.end,
            replacement: String::new(),
        });
        Ok(())
    }

    /// Consumes ASCII digits and returns how many there were.
    fn digits(&mut self) -> usize {
        let start = self.pos;
        while self.peek().is_some_and(|c| c.is_ascii_digit()) {
            self.pos += 1;
        }
        self.pos - start
    }

    /// RDKit's `number`: `0`, or digits without a leading zero. Returns whether there was one.
    fn number(&mut self, what: &str) -> Result<bool> {
        let start = self.pos;
        let n = self.digits();
        if n > 1 && self.text[start] == b'0' {
            return self.fail(start, format!("{what} has a leading zero"));
        }
        Ok(n > 0)
    }

    /// A [`Self::number`] that chematic reads only up to two digits (H count, charge), where
    /// RDKit reads any; longer ones are refused here with a clearer message than chematic's.
    fn short_number(&mut self, what: &str) -> Result<()> {
        let start = self.pos;
        self.number(what)?;
        if self.pos - start > 2 {
            return self.fail(
                start,
                format!("{what} of more than two digits is not supported"),
            );
        }
        Ok(())
    }

    /// An atom outside brackets (organic subset, aromatic subset or `*`) or a bracket atom.
    fn atom(&mut self) -> Result<()> {
        let start = self.pos;
        let len = match (self.peek(), self.peek_at(1)) {
            (Some(b'['), _) => return self.bracket_atom(),
            (Some(b'C'), Some(b'l')) | (Some(b'B'), Some(b'r')) => 2,
            (Some(b'B' | b'C' | b'N' | b'O' | b'P' | b'S' | b'F' | b'I'), _) => 1,
            (Some(b'b' | b'c' | b'n' | b'o' | b'p' | b's' | b'*'), _) => 1,
            (Some(c), _) if c.is_ascii_graphic() => {
                return self.fail(start, format!("unexpected character `{}`", char::from(c)));
            }
            _ => return self.fail(start, "unexpected character"),
        };
        self.pos += len;
        if self.peek() == Some(b'@') {
            return self.fail(self.pos, "chirality `@` on an atom outside brackets");
        }
        Ok(())
    }

    /// `[` isotope? symbol chirality? H-count? charge? map? `]`, in RDKit's grammar.
    fn bracket_atom(&mut self) -> Result<()> {
        let open = self.pos;
        self.pos += 1;
        self.number("an isotope")?;
        let hydrogen = self.peek() == Some(b'H')
            && !matches!(self.peek_at(1), Some(b'e' | b'f' | b'g' | b'o' | b's'));
        if hydrogen {
            // RDKit's `h_element`: `H`, `HH` or `HHn`, without chirality.
            self.pos += 1;
            if self.peek() == Some(b'H') {
                self.pos += 1;
                self.short_number("an H count")?;
            }
        } else {
            self.bracket_symbol()?;
            if self.peek() == Some(b'@') {
                self.pos += 1;
                if self.peek() == Some(b'@') {
                    self.pos += 1;
                } else if let (Some(a), Some(b)) = (self.peek(), self.peek_at(1))
                    && matches!(&[a, b], b"TH" | b"AL" | b"SP" | b"TB" | b"OH")
                {
                    // chematic checks the permutation number against its class.
                    self.pos += 2;
                    self.number("a chirality permutation")?;
                }
            }
            if self.peek() == Some(b'H') {
                self.pos += 1;
                self.short_number("an H count")?;
            }
        }
        if let Some(sign @ (b'+' | b'-')) = self.peek() {
            self.pos += 1;
            if self.peek() == Some(sign) {
                self.pos += 1;
            } else {
                self.short_number("a charge")?;
            }
        }
        if self.peek() == Some(b':') {
            self.pos += 1;
            if !self.number("an atom map number")? {
                return self.fail(self.pos, "`:` in a bracket atom needs a map number");
            }
        }
        if self.peek() != Some(b']') {
            return self.fail(
                self.pos,
                format!("the bracket atom opened at position {open} is malformed or unclosed"),
            );
        }
        self.pos += 1;
        Ok(())
    }

    /// The element of a bracket atom: `*`, `#n`, an element symbol (two letters before one, as
    /// RDKit's lexer matches) or one of the aromatic symbols RDKit reads in brackets.
    fn bracket_symbol(&mut self) -> Result<()> {
        let start = self.pos;
        let rest = &self.text[start..];
        let is_element = |n: usize| {
            rest.get(..n)
                .and_then(|s| std::str::from_utf8(s).ok())
                .is_some_and(|s| Element::from_symbol(s).is_some())
        };
        let len = match rest.first() {
            Some(b'*') => 1,
            Some(b'#') => {
                self.pos += 1;
                if !self.number("an atomic number")? {
                    return self.fail(start, "`#` in a bracket atom needs an atomic number");
                }
                return Ok(());
            }
            Some(c) if c.is_ascii_uppercase() => {
                if rest.get(1).is_some_and(u8::is_ascii_lowercase) && is_element(2) {
                    2
                } else if is_element(1) {
                    1
                } else {
                    0
                }
            }
            Some(_)
                if [&b"si"[..], b"as", b"se", b"te"]
                    .iter()
                    .any(|s| rest.starts_with(s)) =>
            {
                2
            }
            Some(b'b' | b'c' | b'n' | b'o' | b'p' | b's') => 1,
            _ => 0,
        };
        if len == 0 {
            return self.fail(start, "no element symbol in the bracket atom");
        }
        self.pos += len;
        Ok(())
    }
}
