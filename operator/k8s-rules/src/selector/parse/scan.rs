//! The tokens of a string selector, read as Kubernetes' lexer reads them: whitespace separates
//! them, symbols are read greedily as long as they still make an operator, and the words `in`
//! and `notin` are keywords (the parser turns them back into values where values stand).

/// The tokens of the selector grammar, as Kubernetes names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Token {
    /// Two symbols that make no operator; unreachable with today's symbols, kept as Kubernetes
    /// keeps it.
    Error,
    End,
    ClosedParenthesis,
    Comma,
    DoesNotExist,
    DoubleEquals,
    Equals,
    GreaterThan,
    Identifier,
    In,
    LessThan,
    NotEquals,
    NotIn,
    OpenParenthesis,
}

fn token_of(literal: &[u8]) -> Option<Token> {
    Some(match literal {
        b")" => Token::ClosedParenthesis,
        b"," => Token::Comma,
        b"!" => Token::DoesNotExist,
        b"==" => Token::DoubleEquals,
        b"=" => Token::Equals,
        b">" => Token::GreaterThan,
        b"in" => Token::In,
        b"<" => Token::LessThan,
        b"!=" => Token::NotEquals,
        b"notin" => Token::NotIn,
        b"(" => Token::OpenParenthesis,
        _ => return None,
    })
}

fn is_whitespace(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

fn is_special(b: u8) -> bool {
    matches!(b, b'=' | b'!' | b'(' | b')' | b',' | b'>' | b'<')
}

/// Splits the input into tokens, ending with [`Token::End`]. Kubernetes reads bytes and stops
/// at a NUL byte; so does this.
pub(super) fn scan(input: &str) -> Vec<(Token, String)> {
    let bytes = input.as_bytes();
    let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
    let bytes = &bytes[..end];
    let text = |from: usize, to: usize| String::from_utf8_lossy(&bytes[from..to]).into_owned();
    let mut tokens = Vec::new();
    let mut at = 0;
    loop {
        while at < bytes.len() && is_whitespace(bytes[at]) {
            at += 1;
        }
        if at == bytes.len() {
            tokens.push((Token::End, String::new()));
            return tokens;
        }
        let start = at;
        if is_special(bytes[at]) {
            // The longest run of symbols that is still an operator.
            let mut last = None;
            while at < bytes.len() && is_special(bytes[at]) {
                match token_of(&bytes[start..=at]) {
                    Some(token) => last = Some((token, at + 1)),
                    None if last.is_some() => break,
                    None => {}
                }
                at += 1;
            }
            match last {
                Some((token, stop)) => {
                    at = stop;
                    tokens.push((token, text(start, stop)));
                }
                None => tokens.push((
                    Token::Error,
                    format!("error expected: keyword found '{}'", text(start, at)),
                )),
            }
        } else {
            while at < bytes.len() && !is_special(bytes[at]) && !is_whitespace(bytes[at]) {
                at += 1;
            }
            let literal = &bytes[start..at];
            let token = token_of(literal).unwrap_or(Token::Identifier);
            tokens.push((token, text(start, at)));
        }
    }
}
