//! Parsing, positions, scalar resolution, aliases and the limits, on small documents.

use super::*;

#[test]
fn parses_documents_with_positions() {
    let text =
        "a: 1\n---\n# comment\nkind: X\nspec:\n  list:\n  - name: one\n    port: 22\n  - two\n";
    let (docs, problems) = parse_documents(text);
    assert!(problems.is_empty(), "{problems:?}");
    assert_eq!(docs.len(), 2);
    assert_eq!(docs[1].value["spec"]["list"][0]["port"], 22);
    assert_eq!(
        docs[1].positions["spec.list[0].port"],
        Position { line: 8, column: 5 }
    );
    assert_eq!(
        docs[1].positions["spec.list[1]"],
        Position { line: 9, column: 5 }
    );
    assert_eq!(docs[1].position_of("spec.list[0].missing").line, 7);
    assert_eq!(docs[1].start.line, 4);
}

#[test]
fn resolves_scalars_like_yaml_1_2() {
    let (docs, _) = parse_documents(
        "a: yes\nb: true\nc: 010\nd: 1.5\ne: '3'\nf: ~\ng: 0x1F\nh: 1e3\ni: 2h30m\nj: !!str 5\n",
    );
    let v = &docs[0].value;
    assert_eq!(v["a"], "yes");
    assert_eq!(v["b"], true);
    assert_eq!(v["c"], 10);
    assert_eq!(v["d"], 1.5);
    assert_eq!(v["e"], "3");
    assert!(v["f"].is_null());
    assert_eq!(v["g"], 31);
    assert_eq!(v["h"], 1000.0);
    assert_eq!(v["i"], "2h30m");
    assert_eq!(v["j"], "5");
}

#[test]
fn reports_duplicate_keys_and_syntax_errors_with_lines() {
    let (_, problems) = parse_documents("a: 1\nb: 2\na: 3\n");
    assert_eq!(problems[0].position.line, 3);
    assert!(problems[0].message.contains("duplicate key `a`"));
    let (docs, problems) = parse_documents("a: 1\n---\nb: [1, 2\nc: 3\n");
    assert_eq!(docs.len(), 1);
    assert_eq!(problems.len(), 1);
    assert!(problems[0].message.starts_with("invalid YAML"));
}

#[test]
fn expands_aliases_and_merge_keys() {
    let (docs, problems) =
        parse_documents("base: &b {x: 1, y: 2}\nother:\n  <<: *b\n  y: 3\nlist: [*b]\n");
    assert!(problems.is_empty(), "{problems:?}");
    let v = &docs[0].value;
    assert_eq!(v["other"]["x"], 1);
    assert_eq!(v["other"]["y"], 3);
    assert_eq!(v["list"][0]["y"], 2);
}

#[test]
fn bounds_alias_bombs_and_deep_nesting() {
    let mut bomb = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 0..8 {
        let prev = if i == 0 {
            "a".to_string()
        } else {
            format!("l{}", i - 1)
        };
        bomb.push_str(&format!(
            "l{i}: &l{i} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]\n"
        ));
    }
    let (docs, problems) = parse_documents(&bomb);
    assert!(docs.is_empty());
    assert!(problems[0].message.contains("more than"), "{problems:?}");
    let deep = format!("{}{}", "[".repeat(150), "]".repeat(150));
    let (docs, problems) = parse_documents(&deep);
    assert!(docs.is_empty());
    assert!(
        problems[0].message.contains("nested deeper"),
        "{problems:?}"
    );
    // Deeper still, the parser's own limit answers, as an error rather than a crash.
    let deeper = format!("{}{}", "[".repeat(5000), "]".repeat(5000));
    let (docs, problems) = parse_documents(&deeper);
    assert!(docs.is_empty());
    assert_eq!(problems.len(), 1, "{problems:?}");
}
