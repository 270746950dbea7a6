//! A small Rust lexer: enough to find paths, item keywords and braces in
//! code, with comments and literals out of the way.

/// One token of Rust code: an identifier or keyword, `::`, or any other
/// single punctuation character. Literals and comments are dropped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lexeme {
    /// An identifier or keyword (raw identifiers without `r#`).
    Ident(String),
    /// `::`.
    PathSep,
    /// Any other punctuation character (`{`, `}`, `,`, `;`, `$`, ...).
    Punct(char),
    /// A string, character or number literal.
    Literal,
}

/// A token and the 1-based line it starts on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spanned {
    /// The token.
    pub token: Lexeme,
    /// Its line.
    pub line: usize,
}

fn is_ident_start(c: char) -> bool {
    c == '_' || c.is_alphabetic()
}

fn is_ident_continue(c: char) -> bool {
    c == '_' || c.is_alphanumeric()
}

/// Splits `text` into tokens. Total: any input yields some token list.
#[must_use]
pub fn tokenize(text: &str) -> Vec<Spanned> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    let mut line = 1;
    let at = |i: usize| chars.get(i).copied().unwrap_or('\0');
    while i < chars.len() {
        let c = chars[i];
        let start_line = line;
        if c == '\n' {
            line += 1;
            i += 1;
        } else if c.is_whitespace() {
            i += 1;
        } else if c == '/' && at(i + 1) == '/' {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && at(i + 1) == '*' {
            let mut depth = 0usize;
            while i < chars.len() {
                if chars[i] == '/' && at(i + 1) == '*' {
                    depth += 1;
                    i += 2;
                } else if chars[i] == '*' && at(i + 1) == '/' {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    if chars[i] == '\n' {
                        line += 1;
                    }
                    i += 1;
                }
            }
        } else if (c == 'r' || (c == 'b' && at(i + 1) == 'r') || (c == 'c' && at(i + 1) == 'r'))
            && raw_string_start(&chars, i).is_some()
        {
            let (hashes, body) = raw_string_start(&chars, i).unwrap_or((0, i + 1));
            i = body;
            while i < chars.len() {
                if chars[i] == '"' && (1..=hashes).all(|k| at(i + k) == '#') {
                    i += 1 + hashes;
                    break;
                }
                if chars[i] == '\n' {
                    line += 1;
                }
                i += 1;
            }
            out.push(Spanned {
                token: Lexeme::Literal,
                line: start_line,
            });
        } else if c == '"' || ((c == 'b' || c == 'c') && at(i + 1) == '"') {
            i += if c == '"' { 1 } else { 2 };
            while i < chars.len() {
                match chars[i] {
                    '\\' => {
                        if at(i + 1) == '\n' {
                            line += 1;
                        }
                        i += 2;
                    }
                    '"' => {
                        i += 1;
                        break;
                    }
                    '\n' => {
                        line += 1;
                        i += 1;
                    }
                    _ => i += 1,
                }
            }
            out.push(Spanned {
                token: Lexeme::Literal,
                line: start_line,
            });
        } else if c == '\'' || (c == 'b' && at(i + 1) == '\'') {
            let q = if c == '\'' { i } else { i + 1 };
            if at(q + 1) == '\\' {
                // An escaped character literal: up to the closing quote.
                i = q + 2;
                while i < chars.len() && chars[i] != '\'' && chars[i] != '\n' {
                    i += 1;
                }
                i += 1;
                out.push(Spanned {
                    token: Lexeme::Literal,
                    line: start_line,
                });
            } else if at(q + 2) == '\'' {
                i = q + 3;
                out.push(Spanned {
                    token: Lexeme::Literal,
                    line: start_line,
                });
            } else {
                // A lifetime or label: the quote alone, the name follows.
                out.push(Spanned {
                    token: Lexeme::Punct('\''),
                    line: start_line,
                });
                i = q + 1;
            }
        } else if c.is_ascii_digit() {
            while i < chars.len() && (is_ident_continue(chars[i]) || chars[i] == '.') {
                // `0..n` is a range, not a fraction.
                if chars[i] == '.' && at(i + 1) == '.' {
                    break;
                }
                i += 1;
            }
            out.push(Spanned {
                token: Lexeme::Literal,
                line: start_line,
            });
        } else if is_ident_start(c) {
            let mut s = String::new();
            if c == 'r' && at(i + 1) == '#' && is_ident_start(at(i + 2)) {
                i += 2;
            }
            while i < chars.len() && is_ident_continue(chars[i]) {
                s.push(chars[i]);
                i += 1;
            }
            out.push(Spanned {
                token: Lexeme::Ident(s),
                line: start_line,
            });
        } else if c == ':' && at(i + 1) == ':' {
            out.push(Spanned {
                token: Lexeme::PathSep,
                line: start_line,
            });
            i += 2;
        } else {
            out.push(Spanned {
                token: Lexeme::Punct(c),
                line: start_line,
            });
            i += 1;
        }
    }
    out
}

/// If a raw string (`r"`, `r#"`, `br#"`, `cr"`) starts at `i`: the number of
/// `#` and the index of its first body character.
fn raw_string_start(chars: &[char], i: usize) -> Option<(usize, usize)> {
    let mut j = i;
    if chars.get(j) == Some(&'b') || chars.get(j) == Some(&'c') {
        j += 1;
    }
    if chars.get(j) != Some(&'r') {
        return None;
    }
    j += 1;
    let mut hashes = 0;
    while chars.get(j) == Some(&'#') {
        hashes += 1;
        j += 1;
    }
    (chars.get(j) == Some(&'"')).then_some((hashes, j + 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn idents(text: &str) -> Vec<String> {
        tokenize(text)
            .into_iter()
            .filter_map(|t| match t.token {
                Lexeme::Ident(s) => Some(s),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn comments_and_literals_hide_their_words() {
        let text = "a // crate::x\n/* crate::y /* nested */ crate::z */ b \"crate::s\" r#\"crate::r\"# 'c' '\\n' c";
        assert_eq!(idents(text), ["a", "b", "c"]);
    }

    #[test]
    fn lifetimes_are_not_char_literals() {
        assert_eq!(
            idents("fn f<'a>(x: &'a str) -> char { 'x' }"),
            ["fn", "f", "a", "x", "a", "str", "char"]
        );
    }

    #[test]
    fn lines_are_counted_through_comments_and_strings() {
        let toks = tokenize("/*\n*/ \"\n\" x");
        assert_eq!(toks.last().map(|t| t.line), Some(3));
    }
}
