//! The string form of a label selector, as `?labelSelector=` carries it: Kubernetes'
//! `labels.Parse` grammar, token for token, with its error messages.
//!
//! ```text
//! <selector>     ::= <requirement> | <requirement> "," <selector>
//! <requirement>  ::= [!] KEY [ <set> | <exact> ]
//! <set>          ::= "" | ("in" | "notin") "(" VALUE {"," VALUE} ")"
//! <exact>        ::= ("=" | "==" | "!=" | ">" | "<") VALUE
//! ```
//! Whitespace separates tokens; `in` and `notin` are keywords only where an operator may
//! stand, so `in in (in)` is a valid selector.

use super::requirement::{InvalidRequirement, Operator, Requirement};
use crate::names::InvalidName;

/// Why a string is not a label selector. The text is the one Kubernetes answers with.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    /// Something other than a requirement where one must start.
    #[error("found '{found}', expected: !, identifier, or 'end of string'")]
    ExpectedRequirement { found: String },
    /// A comma not followed by a requirement.
    #[error("found '{found}', expected: identifier after ','")]
    ExpectedRequirementAfterComma { found: String },
    /// A requirement followed by something other than a comma or the end.
    #[error("found '{found}', expected: ',' or 'end of string'")]
    ExpectedCommaOrEnd { found: String },
    /// A requirement that could not be read.
    #[error("unable to parse requirement: {0}")]
    Requirement(RequirementSyntaxError),
}

/// Why one requirement of a string selector could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RequirementSyntaxError {
    /// A key or an exact value missing.
    #[error("found '{found}', expected: identifier")]
    ExpectedIdentifier { found: String },
    /// A key that is not a valid label key. Kubernetes checks it without a field path, hence
    /// the `<nil>`.
    #[error("<nil>: Invalid value: {:?}: {}", .0.value(), .0.reasons())]
    InvalidKey(InvalidName),
    /// No operator after the key.
    #[error("found '{found}', expected: '=', '!=', '==', 'in', notin'")]
    ExpectedOperator { found: String },
    /// `in`/`notin` not followed by `(`.
    #[error("found '{found}' expected: '('")]
    ExpectedOpenParenthesis { found: String },
    /// A value set not closed by `)`. Kubernetes names the token that opened the list.
    #[error("found '{found}', expected: ')'")]
    ExpectedCloseParenthesis { found: String },
    /// Neither a value, a comma nor `)` after `(`.
    #[error("found '{found}', expected: ',', ')' or identifier")]
    ExpectedValueSet { found: String },
    /// A value followed by neither a comma nor `)`.
    #[error("found '{found}', expected: ',' or ')'")]
    ExpectedCommaOrCloseParenthesis { found: String },
    /// Something other than a value or a comma inside a value set.
    #[error("found '{found}', expected: ',', or identifier")]
    ExpectedValueOrComma { found: String },
    /// A well-formed requirement Kubernetes refuses (bad value, non-integer for `>`/`<`).
    #[error("{0}")]
    Invalid(InvalidRequirement),
}

impl From<RequirementSyntaxError> for ParseError {
    fn from(error: RequirementSyntaxError) -> Self {
        ParseError::Requirement(error)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Token {
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
fn scan(input: &str) -> Vec<(Token, String)> {
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

/// Where the parser stands: `in`/`notin` are operators only where an operator may be.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Context {
    KeyAndOperator,
    Values,
}

struct Parser {
    tokens: Vec<(Token, String)>,
    position: usize,
}

impl Parser {
    fn token(&self, context: Context) -> (Token, String) {
        let (token, literal) = self
            .tokens
            .get(self.position)
            .cloned()
            .unwrap_or((Token::End, String::new()));
        let token = match (context, token) {
            (Context::Values, Token::In | Token::NotIn) => Token::Identifier,
            (_, token) => token,
        };
        (token, literal)
    }

    fn lookahead(&self, context: Context) -> (Token, String) {
        self.token(context)
    }

    fn consume(&mut self, context: Context) -> (Token, String) {
        let item = self.token(context);
        self.position += 1;
        item
    }

    fn selector(&mut self) -> Result<Vec<Requirement>, ParseError> {
        let mut requirements = Vec::new();
        loop {
            let (token, literal) = self.lookahead(Context::Values);
            match token {
                Token::Identifier | Token::DoesNotExist => {
                    requirements.push(self.requirement()?);
                    let (token, literal) = self.consume(Context::Values);
                    match token {
                        Token::End => return Ok(requirements),
                        Token::Comma => {
                            let (next, literal) = self.lookahead(Context::Values);
                            if next != Token::Identifier && next != Token::DoesNotExist {
                                return Err(ParseError::ExpectedRequirementAfterComma {
                                    found: literal,
                                });
                            }
                        }
                        _ => return Err(ParseError::ExpectedCommaOrEnd { found: literal }),
                    }
                }
                Token::End => return Ok(requirements),
                _ => return Err(ParseError::ExpectedRequirement { found: literal }),
            }
        }
    }

    fn requirement(&mut self) -> Result<Requirement, RequirementSyntaxError> {
        let (key, operator) = self.key_and_inferred_operator()?;
        let operator = match operator {
            Some(operator) => return build(key, operator, Vec::new()),
            None => self.operator()?,
        };
        let values = match operator {
            Operator::In | Operator::NotIn => self.value_set()?,
            _ => vec![self.exact_value()?],
        };
        build(key, operator, values)
    }

    /// The key, and `exists`/`!` when nothing follows it.
    fn key_and_inferred_operator(
        &mut self,
    ) -> Result<(String, Option<Operator>), RequirementSyntaxError> {
        let (mut token, mut literal) = self.consume(Context::Values);
        let negated = token == Token::DoesNotExist;
        if negated {
            (token, literal) = self.consume(Context::Values);
        }
        if token != Token::Identifier {
            return Err(RequirementSyntaxError::ExpectedIdentifier { found: literal });
        }
        crate::names::check_label_key(&literal).map_err(RequirementSyntaxError::InvalidKey)?;
        let (next, _) = self.lookahead(Context::Values);
        // `!key` is complete whatever follows; the caller then finds what follows unexpected.
        let operator = if negated {
            Some(Operator::DoesNotExist)
        } else if next == Token::End || next == Token::Comma {
            Some(Operator::Exists)
        } else {
            None
        };
        Ok((literal, operator))
    }

    fn operator(&mut self) -> Result<Operator, RequirementSyntaxError> {
        let (token, literal) = self.consume(Context::KeyAndOperator);
        Ok(match token {
            Token::In => Operator::In,
            Token::Equals => Operator::Equals,
            Token::DoubleEquals => Operator::DoubleEquals,
            Token::GreaterThan => Operator::GreaterThan,
            Token::LessThan => Operator::LessThan,
            Token::NotIn => Operator::NotIn,
            Token::NotEquals => Operator::NotEquals,
            _ => return Err(RequirementSyntaxError::ExpectedOperator { found: literal }),
        })
    }

    /// `( values )`; `()` is the set holding the empty value, as in Kubernetes.
    fn value_set(&mut self) -> Result<Vec<String>, RequirementSyntaxError> {
        let (token, literal) = self.consume(Context::Values);
        if token != Token::OpenParenthesis {
            return Err(RequirementSyntaxError::ExpectedOpenParenthesis { found: literal });
        }
        let (token, literal) = self.lookahead(Context::Values);
        match token {
            Token::Identifier | Token::Comma => {
                let values = self.value_list()?;
                let (closing, _) = self.consume(Context::Values);
                if closing != Token::ClosedParenthesis {
                    return Err(RequirementSyntaxError::ExpectedCloseParenthesis {
                        found: literal,
                    });
                }
                Ok(values)
            }
            Token::ClosedParenthesis => {
                self.consume(Context::Values);
                Ok(vec![String::new()])
            }
            _ => Err(RequirementSyntaxError::ExpectedValueSet { found: literal }),
        }
    }

    /// Comma-separated values, where an empty place (`(,a)`, `(a,,b)`, `(a,)`) is the empty
    /// value.
    fn value_list(&mut self) -> Result<Vec<String>, RequirementSyntaxError> {
        let mut values: Vec<String> = Vec::new();
        loop {
            let (token, literal) = self.consume(Context::Values);
            match token {
                Token::Identifier => {
                    values.push(literal);
                    let (next, literal) = self.lookahead(Context::Values);
                    match next {
                        Token::Comma => continue,
                        Token::ClosedParenthesis => return Ok(values),
                        _ => {
                            return Err(RequirementSyntaxError::ExpectedCommaOrCloseParenthesis {
                                found: literal,
                            });
                        }
                    }
                }
                Token::Comma => {
                    if values.is_empty() {
                        values.push(String::new());
                    }
                    let (next, _) = self.lookahead(Context::Values);
                    if next == Token::ClosedParenthesis {
                        values.push(String::new());
                        return Ok(values);
                    }
                    if next == Token::Comma {
                        self.consume(Context::Values);
                        values.push(String::new());
                    }
                }
                _ => return Err(RequirementSyntaxError::ExpectedValueOrComma { found: literal }),
            }
        }
    }

    /// The value after `=`, `==`, `!=`, `>` or `<`; nothing there is the empty value.
    fn exact_value(&mut self) -> Result<String, RequirementSyntaxError> {
        let (token, _) = self.lookahead(Context::Values);
        if token == Token::End || token == Token::Comma {
            return Ok(String::new());
        }
        let (token, literal) = self.consume(Context::Values);
        if token == Token::Identifier {
            Ok(literal)
        } else {
            Err(RequirementSyntaxError::ExpectedIdentifier { found: literal })
        }
    }
}

fn build(
    key: String,
    operator: Operator,
    mut values: Vec<String>,
) -> Result<Requirement, RequirementSyntaxError> {
    // Kubernetes hands the parsed values over as a sorted set, so error indices count in it.
    values.sort();
    values.dedup();
    Requirement::new(key, operator, values).map_err(RequirementSyntaxError::Invalid)
}

/// Parses the string form into requirements sorted by key (stable, so requirements on one key
/// keep their order).
pub(super) fn parse(input: &str) -> Result<Vec<Requirement>, ParseError> {
    let mut parser = Parser {
        tokens: scan(input),
        position: 0,
    };
    let mut requirements = parser.selector()?;
    requirements.sort_by(|a, b| a.key().cmp(b.key()));
    Ok(requirements)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens(input: &str) -> Vec<Token> {
        scan(input).into_iter().map(|(token, _)| token).collect()
    }

    #[test]
    fn symbols_scan_greedily_and_words_become_keywords() {
        assert_eq!(
            tokens("a!=b,c==d,!e,f in (g),h notin (i),j>1,k<2"),
            vec![
                Token::Identifier,
                Token::NotEquals,
                Token::Identifier,
                Token::Comma,
                Token::Identifier,
                Token::DoubleEquals,
                Token::Identifier,
                Token::Comma,
                Token::DoesNotExist,
                Token::Identifier,
                Token::Comma,
                Token::Identifier,
                Token::In,
                Token::OpenParenthesis,
                Token::Identifier,
                Token::ClosedParenthesis,
                Token::Comma,
                Token::Identifier,
                Token::NotIn,
                Token::OpenParenthesis,
                Token::Identifier,
                Token::ClosedParenthesis,
                Token::Comma,
                Token::Identifier,
                Token::GreaterThan,
                Token::Identifier,
                Token::Comma,
                Token::Identifier,
                Token::LessThan,
                Token::Identifier,
                Token::End,
            ]
        );
        // `!==` is `!=` then `=`.
        assert_eq!(
            tokens("a!==b"),
            vec![
                Token::Identifier,
                Token::NotEquals,
                Token::Equals,
                Token::Identifier,
                Token::End
            ]
        );
        assert_eq!(tokens(" \t\r\n"), vec![Token::End]);
        assert_eq!(tokens("a\0b"), vec![Token::Identifier, Token::End]);
    }

    #[test]
    fn keywords_are_values_where_values_stand() {
        let parsed = parse("in in (in,notin)").expect("valid");
        assert_eq!(parsed[0].key(), "in");
        assert_eq!(parsed[0].operator(), Operator::In);
        assert_eq!(parsed[0].values(), ["in", "notin"]);
    }

    #[test]
    fn empty_places_in_value_sets_are_the_empty_value() {
        for (input, values) in [
            ("a in ()", vec![""]),
            ("a in (,)", vec![""]),
            ("a in (,b)", vec!["", "b"]),
            ("a in (b,)", vec!["", "b"]),
            ("a in (b,,c)", vec!["", "b", "c"]),
            ("a=", vec![""]),
            ("a!=,b", vec![""]),
        ] {
            let parsed = parse(input).expect(input);
            assert_eq!(parsed[0].values(), values.as_slice(), "{input}");
        }
    }

    #[test]
    fn syntax_errors_read_as_in_kubernetes() {
        let cases = [
            (
                "a in b",
                "unable to parse requirement: found 'b' expected: '('",
            ),
            ("a,,b", "found ',', expected: identifier after ','"),
            ("a,", "found '', expected: identifier after ','"),
            (
                ",a",
                "found ',', expected: !, identifier, or 'end of string'",
            ),
            ("a=b=c", "found '=', expected: ',' or 'end of string'"),
            (
                "a b",
                "unable to parse requirement: found 'b', expected: '=', '!=', '==', 'in', notin'",
            ),
            (
                "a in (b",
                "unable to parse requirement: found '', expected: ',' or ')'",
            ),
            (
                "a in (b c)",
                "unable to parse requirement: found 'c', expected: ',' or ')'",
            ),
            (
                "a in =",
                "unable to parse requirement: found '=' expected: '('",
            ),
            (
                "a in (=)",
                "unable to parse requirement: found '=', expected: ',', ')' or identifier",
            ),
            (
                "a in (,=)",
                "unable to parse requirement: found '=', expected: ',', or identifier",
            ),
            (
                "a==(",
                "unable to parse requirement: found '(', expected: identifier",
            ),
            (
                "!",
                "unable to parse requirement: found '', expected: identifier",
            ),
            ("!a=b", "found '=', expected: ',' or 'end of string'"),
            (
                "x>y",
                "unable to parse requirement: values[0]: Invalid value: \"y\": for 'Gt', 'Lt' operators, the value must be an integer",
            ),
        ];
        for (input, message) in cases {
            let error = parse(input).expect_err(input);
            assert_eq!(error.to_string(), message, "{input}");
        }
        let error = parse("a_=b").expect_err("bad key");
        assert!(error.to_string().starts_with(
            "unable to parse requirement: <nil>: Invalid value: \"a_\": name part must consist of"
        ));
        let error = parse("a=-b").expect_err("bad value");
        assert!(error.to_string().starts_with(
            "unable to parse requirement: values[0][a]: Invalid value: \"-b\": a valid label must"
        ));
    }

    #[test]
    fn requirements_come_out_sorted_by_key() {
        let parsed = parse("b,a=1,c!=2,a").expect("valid");
        let keys: Vec<&str> = parsed.iter().map(Requirement::key).collect();
        assert_eq!(keys, ["a", "a", "b", "c"]);
        assert_eq!(parsed[0].operator(), Operator::Equals);
        assert_eq!(parsed[1].operator(), Operator::Exists);
    }
}
