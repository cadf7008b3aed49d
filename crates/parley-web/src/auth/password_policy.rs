//! What a new password must be: long enough, not guessable by a strength estimator
//! (`zxcvbn`, which knows common passwords, words, names, keyboard walks, repeats, sequences
//! and dates), and free of the person's own name and email address. Every place a password is
//! set (the CLI's `user add` and `user password`, the administrators' pages and API) goes
//! through [`check_password`]; only the demo's seed data bypasses it.

/// Fewest characters in a password (NCSC: length over complexity rules).
pub const MIN_PASSWORD: usize = 12;
/// Most characters in a password (argon2 takes any length; this bounds the work).
pub const MAX_PASSWORD: usize = 256;

/// The estimator's score a password needs: `Three` is "safely unguessable" (about 10^10
/// guesses), the estimator's own threshold for protection against offline attacks.
const ENOUGH: zxcvbn::Score = zxcvbn::Score::Three;

/// Parts of a name or address shorter than this are not looked for (initials, "jo").
const SHORTEST_PART: usize = 3;

/// Why a password was refused. The message says what to do.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum WeakPassword {
    #[error("Password must be {MIN_PASSWORD} characters or more")]
    TooShort,
    #[error("Password must be {MAX_PASSWORD} characters or fewer")]
    TooLong,
    #[error("Password must not contain the person’s name")]
    HasName,
    #[error("Password must not contain the person’s email address")]
    HasEmail,
    /// The estimator's reason, when it gives one.
    #[error("Password is too easy to guess{}: use three or more random words, or a password manager", reason.as_deref().map(|r| format!(" ({r})")).unwrap_or_default())]
    Guessable { reason: Option<String> },
}

/// Checks a new password for the person with this name and email address.
pub fn check_password(password: &str, name: &str, email: &str) -> Result<(), WeakPassword> {
    let length = password.chars().count();
    if length < MIN_PASSWORD {
        return Err(WeakPassword::TooShort);
    }
    if length > MAX_PASSWORD {
        return Err(WeakPassword::TooLong);
    }
    let folded = fold(password);
    let has = |part: &str| {
        let part = fold(part);
        part.chars().count() >= SHORTEST_PART && folded.contains(&part)
    };
    if parts(name).any(has) {
        return Err(WeakPassword::HasName);
    }
    let local = email.trim().split('@').next().unwrap_or("");
    if has(local) || parts(local).any(has) {
        return Err(WeakPassword::HasEmail);
    }
    let mut inputs: Vec<&str> = vec![name, email, local];
    inputs.extend(parts(name));
    inputs.extend(parts(local));
    // Words of this service that an attacker would try first.
    inputs.extend([
        "parley",
        "demo",
        "safeguarding",
        "partnership",
        "escalation",
    ]);
    let estimate = std::panic::catch_unwind(|| zxcvbn::zxcvbn(password, &inputs));
    match estimate {
        Ok(e) if e.score() >= ENOUGH => Ok(()),
        Ok(e) => Err(WeakPassword::Guessable {
            reason: e
                .feedback()
                .and_then(|f| f.warning())
                .map(|w| w.to_string().trim_end_matches('.').to_owned()),
        }),
        // The estimator failing on some input is a refusal, never a pass.
        Err(_) => Err(WeakPassword::Guessable { reason: None }),
    }
}

/// Lower case, letters and digits only: "J.Smith" and "j_smith" both become "jsmith".
fn fold(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// The words of a name or an address's local part.
fn parts(s: &str) -> impl Iterator<Item = &str> {
    s.split(|c: char| !c.is_alphanumeric())
        .filter(|p| p.chars().count() >= SHORTEST_PART)
}

#[cfg(test)]
mod tests {
    use super::*;

    const NAME: &str = "Jamie-Lee O'Connor";
    const EMAIL: &str = "jl.oconnor@police.example.org";

    #[test]
    fn weak_passwords_are_refused_with_the_reason() {
        let cases: &[(&str, WeakPassword)] = &[
            ("", WeakPassword::TooShort),
            ("short", WeakPassword::TooShort),
            ("elevenchars", WeakPassword::TooShort),
            (&"x".repeat(MAX_PASSWORD + 1), WeakPassword::TooLong),
            ("Jamie-Lee-2026!", WeakPassword::HasName),
            ("jamie1234567890", WeakPassword::HasName),
            ("1990OCONNOR1990", WeakPassword::HasName),
            ("o'connor-rules-ok", WeakPassword::HasName),
            ("jl.oconnor@police.example.org", WeakPassword::HasName),
            ("JL.OConnor12345", WeakPassword::HasName),
        ];
        for (password, why) in cases {
            assert_eq!(
                check_password(password, NAME, EMAIL).as_ref(),
                Err(why),
                "{password:?}"
            );
        }
        // The email's local part, for a person whose name is elsewhere.
        for password in ["jl.oconnor2026!", "xjloconnorx99", "JLOCONNOR-2026"] {
            assert_eq!(
                check_password(password, "Sam Smith", EMAIL),
                Err(WeakPassword::HasEmail),
                "{password:?}"
            );
        }
        for password in [
            "aaaaaaaaaaaa",
            "password1234",
            "Password1234",
            "P@ssw0rd1234",
            "passwordpassword",
            "qwertyuiop12",
            "qwertyuiopasdfgh",
            "1qaz2wsx3edc",
            "zxcvbnm12345",
            "asdfghjkl;'#",
            "123456789012",
            "abcdefghijkl",
            "abcabcabcabc",
            "iloveyou1234",
            "letmein12345",
            "welcome12345",
            "football2024",
            "01/01/2000ab",
            "parleyparley",
            "safeguarding",
            "monkey123456",
        ] {
            assert!(
                matches!(
                    check_password(password, NAME, EMAIL),
                    Err(WeakPassword::Guessable { .. })
                ),
                "{password:?} was accepted: {:?}",
                check_password(password, NAME, EMAIL)
            );
        }
    }

    #[test]
    fn strong_passwords_are_accepted() {
        for password in [
            "correct horse battery staple",
            "Tangerine-Viaduct-Oboe-47",
            "vK8#qPz!2mW$rT9x",
            "wardrobe lantern pebble ostrich",
            "7Gh2-kq9P-zX4m-Lw8R",
        ] {
            assert_eq!(
                check_password(password, NAME, EMAIL),
                Ok(()),
                "{password:?}"
            );
        }
    }

    #[test]
    fn the_reason_is_in_the_message() {
        let e = check_password("password1234", NAME, EMAIL).unwrap_err();
        assert!(
            e.to_string().starts_with("Password is too easy to guess"),
            "{e}"
        );
        assert!(WeakPassword::HasName.to_string().contains("name"));
        assert!(WeakPassword::HasEmail.to_string().contains("email"));
    }
}
