//! Hostile Git trees: kinds that may not come from Git, invalid YAML, non-UTF-8 and oversized
//! blobs, symbolic links, `..` names and sub-paths, and URLs carrying a token.

use super::git_trees::{GitInput, Node, SECRET};
use super::{Case, Expect, WINDOW, case, err, ok};

const FILE: i32 = 0o100644;
const LINK: i32 = 0o120000;
const LIMIT: usize = 1 << 20;

const GROUP: &str = "apiVersion: patchwarden.io/v1alpha1
kind: AssetGroup
metadata:
  name: web
  namespace: ops
spec:
  selector:
    matchLabels:
      tier: web
";

const SECRET_DOC: &str = "apiVersion: v1
kind: Secret
metadata:
  name: ssh
  namespace: ops
stringData:
  key: x
";

const PATCH_RUN: &str = "apiVersion: patchwarden.io/v1alpha1
kind: PatchRun
metadata:
  name: now
  namespace: ops
spec:
  assets:
  - name: web-1
";

fn file(name: &str, content: impl Into<Vec<u8>>) -> (String, Node) {
    (name.to_string(), Node::File(FILE, content.into()))
}

fn link(name: &str, target: &str) -> (String, Node) {
    (name.to_string(), Node::File(LINK, target.into()))
}

fn dir(name: &str, entries: Vec<(String, Node)>) -> (String, Node) {
    (name.to_string(), Node::Dir(entries))
}

fn tree(entries: Vec<(String, Node)>) -> GitInput {
    GitInput {
        tree: Some(entries),
        url: None,
        sub_path: None,
    }
}

fn under(sub_path: &'static str, entries: Vec<(String, Node)>) -> GitInput {
    GitInput {
        sub_path: Some(sub_path),
        ..tree(entries)
    }
}

fn url(url: &str) -> GitInput {
    GitInput {
        tree: None,
        url: Some(url.to_string()),
        sub_path: None,
    }
}

const BOTH: &str = "AssetGroup ops/web, MaintenanceWindow ops/weekly";

fn refused(file: &str, message: &str) -> Expect {
    err("Refused", None, file, message)
}

fn invalid(file: &str, message: &str) -> Expect {
    err("Invalid", None, file, message)
}

/// The refusal of the symbolic link at `path`.
fn link_refused(path: &str) -> Expect {
    err(
        "Source SymbolicLink",
        None,
        path,
        "is a symbolic link, which is refused: commit the file itself",
    )
}

/// A YAML file padded with a comment to `size` bytes.
fn padded(size: usize) -> Vec<u8> {
    let head = format!("{GROUP}# ");
    let mut text = head.into_bytes();
    text.resize(size - 1, b'x');
    text.push(b'\n');
    text
}

fn accepted_and_refused_kinds() -> Vec<Case<GitInput>> {
    vec![
        case(
            "a group and a window",
            tree(vec![file("g.yaml", GROUP), file("w.yml", WINDOW)]),
            ok(BOTH),
        ),
        case(
            "files that are not YAML are not read",
            tree(vec![
                file("g.yaml", GROUP),
                file("w.yml", WINDOW),
                file("notes.YAML", "a: ["),
                file("big.md", vec![b'x'; 2 * LIMIT]),
            ]),
            ok(BOTH),
        ),
        case(
            "only the sub-path is read",
            under(
                "policies/",
                vec![
                    dir(
                        "policies",
                        vec![file("g.yaml", GROUP), file("w.yaml", WINDOW)],
                    ),
                    file("secret.yaml", SECRET_DOC),
                ],
            ),
            ok(BOTH),
        ),
        case(
            "a Secret",
            tree(vec![file("g.yaml", GROUP), file("s.yaml", SECRET_DOC)]),
            refused(
                "s.yaml",
                "s.yaml: v1 Secret ops/ssh: kind Secret (core group) may not be applied from Git; allow it on the source (--git-allow-kind Secret) if it belongs there",
            ),
        ),
        case(
            "a Secret as the second document of a file",
            tree(vec![file("all.yaml", format!("{GROUP}---\n{SECRET_DOC}"))]),
            refused(
                "all.yaml",
                "all.yaml: v1 Secret ops/ssh: kind Secret (core group)",
            ),
        ),
        case(
            "a PatchRun",
            tree(vec![file("run.yaml", PATCH_RUN)]),
            refused(
                "run.yaml",
                "kind PatchRun (patchwarden.io) may not be applied from Git; allow it on the source (--git-allow-kind patchwarden.io/PatchRun)",
            ),
        ),
        case(
            "a Namespace and a ConfigMap",
            tree(vec![file(
                "ns.yaml",
                "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ops\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  namespace: ops\n",
            )]),
            refused(
                "ns.yaml,ns.yaml",
                "ns.yaml: v1 ConfigMap ops/c: kind ConfigMap (core group) may not be applied from Git; allow it on the source (--git-allow-kind ConfigMap) if it belongs there\nns.yaml: v1 Namespace ops: kind Namespace (core group)",
            ),
        ),
    ]
}

fn bad_documents() -> Vec<Case<GitInput>> {
    let laughs: String = (1..10).fold("a0: &a0 [lol]\n".to_string(), |text, level| {
        let list = vec![format!("*a{}", level - 1); 9].join(", ");
        format!("{text}a{level}: &a{level} [{list}]\n")
    });
    vec![
        case(
            "an unclosed flow list",
            tree(vec![file("bad.yaml", "a: [")]),
            invalid(
                "bad.yaml",
                "bad.yaml:1:4: error[yaml]: invalid YAML: unclosed bracket '['",
            ),
        ),
        case(
            "a tab indent",
            tree(vec![file(
                "bad.yaml",
                GROUP.replace("  name: web", "\tname: web"),
            )]),
            invalid(
                "bad.yaml",
                "bad.yaml:4:2: error[yaml]: invalid YAML: tabs disallowed within this context (block indentation)",
            ),
        ),
        case(
            "a NUL byte",
            tree(vec![file("bad.yaml", format!("{GROUP}x: \"a\u{0}b\"\n"))]),
            invalid(
                "bad.yaml",
                "bad.yaml:10:6: error[yaml]: invalid YAML: unexpected character: `\\u{0}'",
            ),
        ),
        case(
            "a document that is a list",
            tree(vec![file("list.yaml", "- a\n- b\n")]),
            invalid(
                "list.yaml",
                "list.yaml:1:1: error[yaml]: expected a Kubernetes object (a mapping with apiVersion, kind and metadata)",
            ),
        ),
        case(
            "a resource without a kind",
            tree(vec![file(
                "nokind.yaml",
                GROUP.replace("kind: AssetGroup\n", ""),
            )]),
            invalid(
                "nokind.yaml",
                "nokind.yaml:1:1: error[identity]: kind: missing kind, or it is not a string",
            ),
        ),
        case(
            "a name that is a number",
            tree(vec![file("n.yaml", GROUP.replace("name: web", "name: 7"))]),
            invalid(
                "n.yaml",
                "n.yaml:4:3: error[identity]: AssetGroup: metadata.name: missing metadata.name, or it is not a string",
            ),
        ),
        case(
            "one resource in two files",
            tree(vec![file("a.yaml", GROUP), file("b.yaml", GROUP)]),
            invalid(
                "b.yaml",
                "b.yaml:4:3: error[duplicate]: AssetGroup ops/web: metadata.name: AssetGroup ops/web is already declared in a.yaml (line 4)",
            ),
        ),
        case(
            "an alias bomb",
            tree(vec![file("bomb.yaml", format!("{GROUP}{laughs}"))]),
            invalid(
                "bomb.yaml",
                "bomb.yaml:16:35: error[yaml]: more than 1000000 values (after expanding aliases); the document is skipped",
            ),
        ),
        case(
            "a list nested 10,000 deep",
            tree(vec![file(
                "deep.yaml",
                format!("{GROUP}x: {}\n", "[".repeat(10_000)),
            )]),
            invalid(
                "deep.yaml",
                "deep.yaml:10:259: error[yaml]: invalid YAML: recursion limit exceeded",
            ),
        ),
    ]
}

fn bad_blobs() -> Vec<Case<GitInput>> {
    vec![
        case(
            "a blob that is not UTF-8",
            tree(vec![
                file("g.yaml", GROUP),
                file("latin1.yaml", b"name: caf\xe9\n".to_vec()),
            ]),
            err(
                "Source NotText",
                None,
                "latin1.yaml",
                "file `latin1.yaml` in commit",
            ),
        ),
        case(
            "a blob in UTF-16 without a byte order mark is UTF-8 with NULs",
            tree(vec![file(
                "u16.yaml",
                GROUP
                    .encode_utf16()
                    .flat_map(u16::to_le_bytes)
                    .collect::<Vec<u8>>(),
            )]),
            invalid(
                "u16.yaml",
                "u16.yaml:1:2: error[yaml]: invalid YAML: unexpected character: `\\u{0}'",
            ),
        ),
        case(
            "a blob in UTF-16 with a byte order mark",
            tree(vec![file(
                "bom.yaml",
                [
                    &[0xff, 0xfe][..],
                    &GROUP
                        .encode_utf16()
                        .flat_map(u16::to_le_bytes)
                        .collect::<Vec<u8>>(),
                ]
                .concat(),
            )]),
            err("Source NotText", None, "bom.yaml", "is not UTF-8 text"),
        ),
        case(
            "a blob of exactly 1 MiB",
            tree(vec![file("g.yaml", padded(LIMIT))]),
            ok("AssetGroup ops/web"),
        ),
        case(
            "a blob of 1 MiB and a byte",
            tree(vec![file("g.yaml", padded(LIMIT + 1))]),
            err(
                "Source BlobTooLarge",
                None,
                "g.yaml",
                "is 1048577 bytes, more than the 1048576 bytes a file may have",
            ),
        ),
        case(
            "an oversized blob under the sub-path names its full path",
            under(
                "p",
                vec![dir(
                    "p",
                    vec![dir("q", vec![file("big.yml", padded(3 * LIMIT))])],
                )],
            ),
            err(
                "Source BlobTooLarge",
                None,
                "p/q/big.yml",
                "file `p/q/big.yml` in commit",
            ),
        ),
    ]
}

fn links_and_paths() -> Vec<Case<GitInput>> {
    vec![
        case(
            "a symbolic link to /etc/passwd named .yaml",
            tree(vec![
                file("g.yaml", GROUP),
                link("passwd.yaml", "/etc/passwd"),
            ]),
            link_refused("passwd.yaml"),
        ),
        case(
            "a symbolic link to another file of the tree",
            tree(vec![file("g.yaml", GROUP), link("again.yaml", "g.yaml")]),
            link_refused("again.yaml"),
        ),
        case(
            "a symbolic link whose target text is a resource",
            tree(vec![link(
                "l.yaml",
                "{apiVersion: v1, kind: ConfigMap, metadata: {name: c, namespace: ops}}",
            )]),
            link_refused("l.yaml"),
        ),
        case(
            "a symbolic link deep under the sub-path names its full path",
            under(
                "p",
                vec![dir(
                    "p",
                    vec![dir("q", vec![link("l.yml", "../../g.yaml")])],
                )],
            ),
            link_refused("p/q/l.yml"),
        ),
        case(
            "a symbolic link without a YAML name is not read",
            tree(vec![file("g.yaml", GROUP), link("README", "/etc/passwd")]),
            ok("AssetGroup ops/web"),
        ),
        case(
            "a sub-path that is a symbolic link to /",
            under("root", vec![file("g.yaml", GROUP), link("root", "/")]),
            err(
                "Source NotADirectory",
                None,
                "root",
                "path `root` in commit",
            ),
        ),
        case(
            "a sub-path that climbs out with ..",
            under("../..", vec![file("g.yaml", GROUP)]),
            err(
                "Source MissingPath",
                None,
                "../..",
                "path `../..` does not exist in commit",
            ),
        ),
        case(
            "a sub-path that is a file",
            under("g.yaml", vec![file("g.yaml", GROUP)]),
            err("Source NotADirectory", None, "g.yaml", "is not a directory"),
        ),
        case(
            "a directory named .. is only a name",
            tree(vec![dir("..", vec![file("g.yaml", GROUP)])]),
            ok("AssetGroup ops/web"),
        ),
        case(
            "a file name holding ../ is only a name",
            tree(vec![file("../../etc/g.yaml", GROUP)]),
            ok("AssetGroup ops/web"),
        ),
        case(
            "an empty repository has no main",
            GitInput {
                tree: None,
                url: None,
                sub_path: None,
            },
            err(
                "Source Resolve",
                None,
                "",
                "cannot resolve branch `main`: revspec 'refs/heads/main' not found",
            ),
        ),
    ]
}

fn urls() -> Vec<Case<GitInput>> {
    vec![
        case(
            "https with user:token@ on a closed port",
            url(&format!("https://user:{SECRET}@127.0.0.1:9/repo.git")),
            err(
                "Source Fetch",
                None,
                "",
                "cannot fetch https://127.0.0.1:9/repo.git: failed to connect to 127.0.0.1",
            ),
        ),
        case(
            "http with user:token@",
            url(&format!("http://user:{SECRET}@127.0.0.1:9/repo.git")),
            err(
                "Source Transport",
                None,
                "",
                "http://127.0.0.1:9/repo.git: the http transport is not allowed; use an https, ssh or file:// URL, or a local path",
            ),
        ),
        case(
            "git:// with a token",
            url(&format!("git://{SECRET}@127.0.0.1:9/repo.git")),
            err(
                "Source Transport",
                None,
                "",
                "git://127.0.0.1:9/repo.git: the git transport is not allowed",
            ),
        ),
        case(
            "an ext:: command",
            url("ext::sh -c touch% /tmp/pwned"),
            err(
                "Source Transport",
                None,
                "",
                "not a local path nor a URL of a known transport",
            ),
        ),
        case(
            "file:// with user:token@",
            url(&format!("file://user:{SECRET}@/nonexistent/repo")),
            err(
                "Source Fetch",
                None,
                "",
                "cannot fetch file:///nonexistent/repo: failed to resolve path 'file:///nonexistent/repo'",
            ),
        ),
    ]
}

/// Every Git case.
pub fn cases() -> Vec<Case<GitInput>> {
    [
        accepted_and_refused_kinds(),
        bad_documents(),
        bad_blobs(),
        links_and_paths(),
        urls(),
    ]
    .into_iter()
    .flatten()
    .collect()
}
