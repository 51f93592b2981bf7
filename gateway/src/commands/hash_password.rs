//! `asr-gateway hash-password`: reads a password on standard input (its
//! first line) and prints its Argon2id hash, for `[http]
//! admin_password_hash` in a provisioning file. The password is never an
//! argument, so it stays out of the shell history and the process list.

use std::io::BufRead;
use std::process::ExitCode;

use super::CommandError;

/// Hashes the first line of standard input.
pub fn run() -> Result<ExitCode, CommandError> {
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    let password = line.trim_end_matches(['\r', '\n']);
    let hash = crate::web::auth::hash_password(password)
        .map_err(|e| CommandError::Usage(format!("hash-password: {e}")))?;
    println!("{hash}");
    Ok(ExitCode::SUCCESS)
}
