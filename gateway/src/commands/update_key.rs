//! `asr-gateway update-key`: the supplier's side of update signatures —
//! make a key pair, sign a package.

use std::io::Write as _;
use std::os::unix::fs::OpenOptionsExt as _;
use std::process::ExitCode;

use super::CommandError;
use crate::cli::UpdateKeyCommand;
use crate::update::signing::{self, SigningKey};

pub fn run(command: UpdateKeyCommand) -> Result<ExitCode, CommandError> {
    let fail = |e: crate::update::UpdateError| CommandError::Runtime(e.to_string());
    match command {
        UpdateKeyCommand::Generate { private, public } => {
            let key = SigningKey::generate().map_err(fail)?;
            // Never overwrite a key: packages signed with it would be orphans.
            let mut file = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(&private)
                .map_err(|e| {
                    CommandError::Runtime(format!("cannot create {}: {e}", private.display()))
                })?;
            file.write_all(key.to_file_text().as_bytes())?;
            std::fs::write(&public, signing::public_key_file_text(&key.public_key()))?;
            eprintln!(
                "private key: {} (keep it secret); public key: {} (bake it into the image as /etc/asr-gateway/update-key.pub)",
                private.display(),
                public.display()
            );
            Ok(ExitCode::SUCCESS)
        }
        UpdateKeyCommand::Sign { key, package } => {
            let key = SigningKey::read(&key).map_err(fail)?;
            let bytes = std::fs::read(&package).map_err(|e| {
                CommandError::Runtime(format!("cannot read {}: {e}", package.display()))
            })?;
            println!("{}", key.sign(&bytes));
            Ok(ExitCode::SUCCESS)
        }
        UpdateKeyCommand::Verify {
            public,
            package,
            signature,
        } => {
            let keys = signing::read_public_keys(&public).map_err(fail)?;
            let bytes = std::fs::read(&package).map_err(|e| {
                CommandError::Runtime(format!("cannot read {}: {e}", package.display()))
            })?;
            if signing::verify(&keys, &bytes, &signature) {
                println!("good signature");
                Ok(ExitCode::SUCCESS)
            } else {
                eprintln!("bad signature: not made by a key of {}", public.display());
                Ok(ExitCode::FAILURE)
            }
        }
    }
}
