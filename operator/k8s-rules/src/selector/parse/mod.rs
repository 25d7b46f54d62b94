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

mod scan;
#[cfg(test)]
mod tests;

use super::requirement::{InvalidRequirement, Operator, Requirement};
use crate::names::InvalidName;
use scan::{Token, scan};

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
