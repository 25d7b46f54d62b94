//! Scanning and parsing string selectors, with the errors Kubernetes answers with.

use super::scan::{Token, scan};
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
