//! The login and setup pages' words, in English and French (each message
//! returns both translations, so neither can be missing).

use crate::web::Lang;

/// A message of the login and setup pages.
#[derive(Debug, Clone, Copy)]
pub enum T {
    LoginTitle,
    Password,
    LogIn,
    Wrong,
    Locked,
    Expired,
    SetupTitle,
    SetupIntro,
    NewPassword,
    Confirm,
    Save,
    Mismatch,
    SetupLanOnly,
    SetupDone,
    LogOut,
}

impl T {
    /// The text in `lang`.
    pub fn tr(self, lang: Lang) -> &'static str {
        let (en, fr) = match self {
            T::LoginTitle => ("Log in", "Connexion"),
            T::Password => ("Admin password", "Mot de passe administrateur"),
            T::LogIn => ("Log in", "Se connecter"),
            T::Wrong => ("Wrong password.", "Mot de passe incorrect."),
            T::Locked => (
                "Too many wrong passwords from this address: try again in a few minutes.",
                "Trop de mots de passe incorrects depuis cette adresse : réessayez dans quelques minutes.",
            ),
            T::Expired => (
                "This form has expired or was already used: please try again.",
                "Ce formulaire a expiré ou a déjà servi : veuillez réessayer.",
            ),
            T::SetupTitle => (
                "Set the admin password",
                "Choisir le mot de passe administrateur",
            ),
            T::SetupIntro => (
                "No admin password is set yet. Choose one (at least 10 characters): it protects this page.",
                "Aucun mot de passe administrateur n’est défini. Choisissez-en un (au moins 10 caractères) : il protège cette page.",
            ),
            T::NewPassword => ("New password", "Nouveau mot de passe"),
            T::Confirm => ("Repeat it", "Répétez-le"),
            T::Save => ("Save", "Enregistrer"),
            T::Mismatch => (
                "The two passwords differ.",
                "Les deux mots de passe diffèrent.",
            ),
            T::SetupLanOnly => (
                "The admin password can only be set from the local network.",
                "Le mot de passe administrateur ne peut être défini que depuis le réseau local.",
            ),
            T::SetupDone => (
                "An admin password is already set.",
                "Un mot de passe administrateur est déjà défini.",
            ),
            T::LogOut => ("Log out", "Se déconnecter"),
        };
        match lang {
            Lang::En => en,
            Lang::Fr => fr,
        }
    }
}
