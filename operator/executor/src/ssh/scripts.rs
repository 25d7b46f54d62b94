//! The only shell text the SSH executor sends: fixed scripts that take their data as positional
//! parameters and mark the sections of their output, so that one login does a whole operation.

/// Separates the sections of a remote script's output.
const MARK: &str = "@@patchwarden@@";

/// Inventory in one login: os-release, the dpkg database, reboot-required state.
pub(super) const INVENTORY_SCRIPT: &str = r#"root="${DPKG_ROOT:-}"
cat "$root/etc/os-release" || exit 3
echo "@@patchwarden@@ dpkg-status"
dpkg-query --admindir="$root/var/lib/dpkg" --status || exit 4
echo "@@patchwarden@@ reboot-required"
if [ -e "$root/run/reboot-required" ]; then echo yes; else echo no; fi
echo "@@patchwarden@@ reboot-required-pkgs"
cat "$root/run/reboot-required.pkgs" 2>/dev/null
exit 0
"#;

/// One package per line: name, version, `db:Status-Abbrev`, tab-separated.
pub(super) const STATE_SCRIPT: &str = r#"dpkg-query --admindir="${DPKG_ROOT:-}/var/lib/dpkg" -W -f='${Package}\t${Version}\t${db:Status-Abbrev}\n'
"#;

/// An upgrade or roll back in one login. `$1` is `refresh` or `no-refresh`; the remaining
/// parameters are apt-get's arguments. Prints the state before, apt's output and exit code, the
/// state after. apt runs in its own session with its output in a file, so a dropped connection
/// does not cut it short (a half-finished dpkg run is worse than a late report).
pub(super) const CHANGE_SCRIPT: &str = r#"state() { dpkg-query --admindir="${DPKG_ROOT:-}/var/lib/dpkg" -W -f='${Package}\t${Version}\t${db:Status-Abbrev}\n'; }
refresh="$1"; shift
state
echo "@@patchwarden@@ apt"
if [ "$refresh" = refresh ]; then apt-get update -q >&2; fi
out=$(mktemp) || exit 5
setsid apt-get "$@" >"$out" 2>&1 </dev/null &
wait $!
rc=$?
cat "$out"
rm -f "$out"
echo "@@patchwarden@@ apt-exit $rc"
state
exit 0
"#;

/// Output split at `@@patchwarden@@ <header>` lines: the text before the first mark (header
/// ""), then each header with the text after it.
pub(super) fn split_sections(text: &str) -> Vec<(&str, &str)> {
    let mut sections = Vec::new();
    let mut header = "";
    let mut start = 0;
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        if let Some(rest) = line.strip_prefix(MARK) {
            sections.push((header, &text[start..offset]));
            header = rest.trim();
            start = offset + line.len();
        }
        offset += line.len();
    }
    sections.push((header, &text[start..]));
    sections
}
