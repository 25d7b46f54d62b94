//! The Argo CD health script run by a real Lua interpreter (Debian's `lua5.4`, or `$LUA`).
//! Argo CD runs the script with the object bound to `obj`; here each object becomes a Lua table
//! literal and the script the body of a function of `obj`.

use std::io::Write;
use std::process::{Command, Stdio};

use serde_json::Value;
use support::paths::repo_path;

/// What the script returned for one object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Health {
    pub status: String,
    pub message: String,
}

/// A JSON value as a Lua expression. `null` becomes `nil` (an absent field, as Argo CD's
/// JSON-to-Lua conversion leaves it); arrays become sequences, which `ipairs` walks.
pub fn lua_literal(value: &Value) -> String {
    match value {
        Value::Null => "nil".to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => lua_string(s),
        Value::Array(items) => {
            let items: Vec<String> = items.iter().map(lua_literal).collect();
            format!("{{{}}}", items.join(", "))
        }
        Value::Object(map) => {
            let fields: Vec<String> = map
                .iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| format!("[{}] = {}", lua_string(k), lua_literal(v)))
                .collect();
            format!("{{{}}}", fields.join(", "))
        }
    }
}

/// A Lua string literal: every byte outside printable ASCII as a decimal escape.
fn lua_string(s: &str) -> String {
    let mut out = String::from("\"");
    for byte in s.bytes() {
        match byte {
            b'"' | b'\\' => {
                out.push('\\');
                out.push(byte as char);
            }
            0x20..=0x7e => out.push(byte as char),
            _ => out.push_str(&format!("\\{byte:03}")),
        }
    }
    out.push('"');
    out
}

/// Runs `charts/patchwarden/argocd/health.lua` on each object, in one interpreter.
pub fn argocd_health(objects: &[Value]) -> Vec<Health> {
    let script = std::fs::read_to_string(repo_path("charts/patchwarden/argocd/health.lua"))
        .expect("the chart ships argocd/health.lua");
    let mut program = format!("local function health(obj)\n{script}\nend\n");
    for object in objects {
        program.push_str(&format!(
            "do local hs = health({})\nio.write(hs.status, \"\\t\", \
             (tostring(hs.message or \"\"):gsub(\"[\\t\\n]\", \" \")), \"\\n\") end\n",
            lua_literal(object)
        ));
    }
    let lua = std::env::var("LUA").unwrap_or_else(|_| "lua5.4".to_string());
    let mut child = Command::new(&lua)
        .arg("-")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{lua} runs (.ci/run installs lua5.4): {e}"));
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(program.as_bytes())
        .expect("write the program");
    let output = child.wait_with_output().expect("lua finishes");
    assert!(
        output.status.success(),
        "lua failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8(output.stdout).expect("UTF-8 output");
    let results: Vec<Health> = stdout
        .lines()
        .map(|line| {
            let (status, message) = line.split_once('\t').unwrap_or((line, ""));
            Health {
                status: status.to_string(),
                message: message.to_string(),
            }
        })
        .collect();
    assert_eq!(
        results.len(),
        objects.len(),
        "one result per object: {stdout}"
    );
    results
}

#[test]
fn lua_literals_keep_structure_and_escape_strings() {
    let value = serde_json::json!({"a": [1, "x\"y\n"], "b": null, "c": {"d": true}});
    assert_eq!(
        lua_literal(&value),
        r#"{["a"] = {1, "x\"y\010"}, ["c"] = {["d"] = true}}"#
    );
}
