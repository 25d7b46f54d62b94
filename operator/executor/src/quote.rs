//! The one place where an argv becomes a single command line: OpenSSH sends the remote command
//! as one string that the remote user's POSIX shell splits again. Every word is single-quoted
//! (`'` inside becomes `'\''`), so the shell sees exactly the words given and expands nothing.
//! NUL cannot be carried in a command line and is refused.

/// An argv word that cannot be carried to a remote shell.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("argument {index} contains a NUL byte and cannot be sent as a remote command")]
pub struct QuoteError {
    pub index: usize,
}

/// Quotes one word for a POSIX shell.
pub fn quote_word(word: &str) -> Option<String> {
    if word.contains('\0') {
        return None;
    }
    let mut quoted = String::with_capacity(word.len() + 2);
    quoted.push('\'');
    for c in word.chars() {
        if c == '\'' {
            quoted.push_str("'\\''");
        } else {
            quoted.push(c);
        }
    }
    quoted.push('\'');
    Some(quoted)
}

/// Joins an argv into one command line that a POSIX shell splits back into the same argv.
pub fn command_line(argv: &[String]) -> Result<String, QuoteError> {
    argv.iter()
        .enumerate()
        .map(|(index, word)| quote_word(word).ok_or(QuoteError { index }))
        .collect::<Result<Vec<_>, _>>()
        .map(|words| words.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Words a shell would otherwise interpret.
    const NASTY: &[&str] = &[
        "",
        " ",
        "plain",
        "it's",
        "''",
        "'\\''",
        "$(id)",
        "`id`",
        "${HOME}",
        "$HOME",
        "a;b",
        "a&&b",
        "a|b",
        "a\nb",
        "a\tb",
        "*",
        "?",
        "~",
        "#comment",
        "-n",
        "\\",
        "\"",
        "!event",
        "ünïcødé",
        "pkg=1:2.3-4~deb12u1",
    ];

    #[test]
    fn quoting_is_exact() {
        assert_eq!(quote_word("it's").unwrap(), r"'it'\''s'");
        assert_eq!(quote_word("").unwrap(), "''");
        assert_eq!(
            command_line(&["apt-get".into(), "jq=1.6".into()]).unwrap(),
            "'apt-get' 'jq=1.6'"
        );
        assert_eq!(command_line(&["a\0b".into()]), Err(QuoteError { index: 0 }));
    }

    /// The real shells split the command line back into exactly the original words.
    #[test]
    fn shells_read_back_every_word_unchanged() {
        let mut argv = vec!["printf".to_string(), "%s\\0".to_string()];
        argv.extend(NASTY.iter().map(|s| s.to_string()));
        let line = command_line(&argv).unwrap();
        for shell in ["/bin/sh", "/bin/bash"] {
            let out = std::process::Command::new(shell)
                .arg("-c")
                .arg(&line)
                .env("HOME", "/nonexistent-home")
                .output()
                .unwrap();
            assert!(out.status.success(), "{shell}");
            let words: Vec<&str> = std::str::from_utf8(&out.stdout)
                .unwrap()
                .split('\0')
                .collect();
            // printf prints a trailing separator after the last word.
            assert_eq!(&words[..words.len() - 1], NASTY, "{shell}");
        }
    }
}
