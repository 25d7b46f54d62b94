//! The only shell text the SSH executor sends: fixed scripts that take their data as positional
//! parameters and mark the sections of their output, so that one login does a whole operation.
//!
//! The section marker is new for every call (128 random bits) and reaches the script as `$1`:
//! output of apt or a maintainer script cannot forge a section or an exit code, because it
//! cannot know the marker.

use std::io::Read;

/// Prefix of every section marker.
const MARK_PREFIX: &str = "@@patchwarden-";

/// The marker separating the sections of one remote script's output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Marker(String);

impl Marker {
    /// A marker with 128 bits from the kernel's random source.
    pub(super) fn random() -> std::io::Result<Marker> {
        let mut bytes = [0u8; 16];
        std::fs::File::open("/dev/urandom")?.read_exact(&mut bytes)?;
        Ok(Marker(format!("{MARK_PREFIX}{}@@", hex::encode(bytes))))
    }

    /// A fixed marker, for tests of the parsing.
    #[cfg(test)]
    pub(super) fn fixed(text: &str) -> Marker {
        Marker(text.to_string())
    }

    pub(super) fn as_str(&self) -> &str {
        &self.0
    }
}

/// Inventory in one login: os-release, the dpkg database, reboot-required state, the running
/// kernel and the dpkg architecture. `$1` is the section marker. A marker that cannot be
/// looked at (a broken link, `/run` not searchable) fails the script: it is not "no reboot".
pub(super) const INVENTORY_SCRIPT: &str = r#"m="$1"
root="${DPKG_ROOT:-}"
cat "$root/etc/os-release" || exit 3
echo "$m dpkg-status"
dpkg-query --admindir="$root/var/lib/dpkg" --status || exit 4
echo "$m reboot-required"
f="$root/run/reboot-required"
if [ -e "$f" ]; then echo yes
elif [ -L "$f" ] || { [ -e "$root/run" ] && ! [ -x "$root/run" ]; }; then
  echo "cannot tell whether $f exists" >&2; exit 5
else echo no; fi
echo "$m reboot-required-pkgs"
p="$root/run/reboot-required.pkgs"
if [ -e "$p" ] || [ -L "$p" ]; then cat "$p" || exit 6; fi
echo "$m kernel"
uname -r
echo "$m architecture"
dpkg --print-architecture
exit 0
"#;

/// The section headers of the inventory script, in order, after the os-release text.
pub(super) const INVENTORY_SECTIONS: [&str; 5] = [
    "dpkg-status",
    "reboot-required",
    "reboot-required-pkgs",
    "kernel",
    "architecture",
];

/// What the asset's package sources offer, in one login, read-only (no sudo). `$1` is the
/// section marker; the remaining parameters are validated package names. Prints `apt-cache
/// policy` for the packages, `apt-cache policy` without packages (its package files), then for
/// each release file in apt's lists directory only its `Date:`, `Suite:` and `Codename:` lines.
pub(super) const SOURCES_SCRIPT: &str = r#"m="$1"; shift
echo "$m policy"
if [ "$#" -gt 0 ]; then apt-cache policy -- "$@" || exit 3; fi
echo "$m package-files"
apt-cache policy || exit 4
lists=
eval "$(apt-config shell lists Dir::State::lists/d)"
[ -n "$lists" ] || exit 5
for f in "$lists"*_InRelease "$lists"*_Release; do
  [ -f "$f" ] || continue
  echo "$m release ${f##*/}"
  grep -m 3 -E '^(Date|Suite|Codename):' "$f"
done
exit 0
"#;

/// One package per line: name, version, `db:Status-Abbrev`, tab-separated.
pub(super) const STATE_SCRIPT: &str = r#"dpkg-query --admindir="${DPKG_ROOT:-}/var/lib/dpkg" -W -f='${Package}\t${Version}\t${db:Status-Abbrev}\n'
"#;

/// An upgrade or roll back in one login. `$1` is the section marker, `$2` is `refresh` or
/// `no-refresh`; the remaining parameters are apt-get's arguments. Prints the state before,
/// apt's output and exit code, the state after. apt runs in its own session with its output in
/// a file, so a dropped connection does not cut it short (a half-finished dpkg run is worse
/// than a late report).
pub(super) const CHANGE_SCRIPT: &str = r#"state() { dpkg-query --admindir="${DPKG_ROOT:-}/var/lib/dpkg" -W -f='${Package}\t${Version}\t${db:Status-Abbrev}\n'; }
m="$1"; refresh="$2"; shift 2
state
echo "$m apt"
if [ "$refresh" = refresh ]; then apt-get update -q >&2; fi
out=$(mktemp) || exit 5
setsid apt-get "$@" >"$out" 2>&1 </dev/null &
wait $!
rc=$?
# A failed dpkg run undoes its unpack but can leave triggers pending; finishing them leaves the
# package database clean for the roll back and for `dpkg --audit`.
if [ "$rc" -ne 0 ]; then dpkg --configure --pending >>"$out" 2>&1 </dev/null; fi
cat "$out"
rm -f "$out"
echo "$m apt-exit $rc"
state
exit 0
"#;

/// Output split at `<marker> <header>` lines: the text before the first marker (header ""),
/// then each header with the text after it.
pub(super) fn split_sections<'a>(text: &'a str, marker: &Marker) -> Vec<(&'a str, &'a str)> {
    let mut sections = Vec::new();
    let mut header = "";
    let mut start = 0;
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let marked = line
            .strip_prefix(marker.as_str())
            .filter(|rest| rest.starts_with(' ') || rest.trim().is_empty());
        if let Some(rest) = marked {
            sections.push((header, &text[start..offset]));
            header = rest.trim();
            start = offset + line.len();
        }
        offset += line.len();
    }
    sections.push((header, &text[start..]));
    sections
}
