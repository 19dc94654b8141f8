//! The target a move sends to, whichever system it is: one client per kind behind the things a
//! move asks of any target (which of these legacy ids do you hold, import these, delete these,
//! and for a drift pass update these), and each kind's own form of a password. The move ([`super::run`]) and the undo
//! ([`super::undo`]) know only this.
//!
//! Every kind keeps the legacy id so a user can be found again exactly:
//! - Firebase: the `localId` is the legacy id;
//! - Auth0: the `user_id` of the import (Auth0 keeps it as `auth0|ID`), and
//!   `app_metadata.legacy_id`;
//! - Authgear: the `legacy_id` custom attribute (Authgear chooses its own ids; users are found
//!   by email, the import's identifier, and checked by that attribute);
//! - FusionAuth and Keycloak: the user id is the legacy id when it is a UUID, else the UUID v5
//!   of it (in [`LEGACY_NAMESPACE`]), so a lookup and a delete go by id; the legacy id itself is
//!   also kept (`data.legacyId`, the `legacyId` attribute) for people and searches.

use super::auth0::Auth0;
use super::authgear::Authgear;
use super::firebase::Firebase;
use super::fusionauth::FusionAuth;
use super::keycloak::Keycloak;
use super::prepare::Outgoing;
use super::problems::MoveError;
use std::collections::HashSet;

/// Why a value could not be put in a target's import form (the user is then unverifiable).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unfit {
    /// The value does not parse as the scheme it was recognised as.
    Malformed,
    /// Parameters beyond what the target takes (Firebase's PBKDF rounds over 120,000).
    OverLimits,
    /// A scheme this target's converter has no layout for.
    NoLayout,
}

/// A password in one target's import form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Form {
    Firebase(super::firebase_form::Form),
    FusionAuth(super::fusionauth_form::Password),
    Keycloak(super::keycloak_form::Credential),
    /// Boxed: the largest form, so the others stay small in a batch of 100,000.
    Auth0(Box<super::auth0_form::Custom>),
    /// A bcrypt string, Authgear's one password format.
    Authgear(String),
}

/// A user as a lookup or a delete names it: the legacy id, and the email for a target that
/// finds users by it (Authgear, which chooses its own ids).
#[derive(Debug, Clone, Copy)]
pub struct Who<'a> {
    pub id: &'a str,
    pub email: Option<&'a str>,
}

impl<'a> Who<'a> {
    pub fn of<P>(u: &'a Outgoing<P>) -> Who<'a> {
        Who {
            id: &u.id,
            email: u.email.as_deref(),
        }
    }
}

/// A legacy hash in a target's form: the scheme the audit recognised, the hash, the row's salt.
pub type Convert = fn(&str, &str, Option<&str>) -> Result<Form, Unfit>;

/// The namespace of the UUIDs cutover derives from legacy ids that are not UUIDs themselves
/// (a fixed random UUID: the same legacy id always gives the same user id).
pub const LEGACY_NAMESPACE: uuid::Uuid =
    uuid::Uuid::from_u128(0x5c1e_7d0a_8f3b_4e21_9a6c_2b7d_e4f1_0c93);

/// The target's user id for a legacy id (FusionAuth, Keycloak): the legacy id when it is a
/// UUID, else its UUID v5.
pub fn user_id(legacy: &str) -> String {
    match uuid::Uuid::parse_str(legacy) {
        Ok(u) => u.hyphenated().to_string(),
        Err(_) => uuid::Uuid::new_v5(&LEGACY_NAMESPACE, legacy.as_bytes())
            .hyphenated()
            .to_string(),
    }
}

/// A connected target.
pub enum Client {
    Firebase(Firebase),
    FusionAuth(FusionAuth),
    Keycloak(Keycloak),
    Auth0(Auth0),
    Authgear(Authgear),
}

impl Client {
    /// Connect to `target`, its secrets read from the environment now.
    pub fn connect(target: &crate::config::moves::Target) -> Result<Client, String> {
        use crate::config::moves::{FirebaseCredential, Target};
        let secret = |name: &str| crate::secret::resolve(name).map_err(|e| e.to_string());
        let client = match target {
            Target::Firebase {
                project,
                credential,
                url,
            } => {
                let credential = match credential {
                    FirebaseCredential::Token(token) => {
                        super::firebase::Credential::Token(secret(token)?)
                    }
                    FirebaseCredential::ServiceAccount(name) => {
                        super::firebase::Credential::ServiceAccount(Box::new(
                            super::google_auth::ServiceAccount::from_json(&secret(name)?)
                                .map_err(|e| e.to_string())?,
                        ))
                    }
                };
                Client::Firebase(
                    Firebase::new(url, project, credential).map_err(|e| e.to_string())?,
                )
            }
            Target::FusionAuth {
                url,
                api_key,
                tenant,
            } => Client::FusionAuth(
                FusionAuth::new(url, secret(api_key)?, tenant.clone())
                    .map_err(|e| e.to_string())?,
            ),
            Target::Keycloak {
                url,
                realm,
                client_id,
                client_secret,
            } => Client::Keycloak(
                Keycloak::new(url, realm, client_id, secret(client_secret)?)
                    .map_err(|e| e.to_string())?,
            ),
            Target::Auth0 {
                url,
                token,
                connection_id,
                ..
            } => Client::Auth0(
                Auth0::new(url, secret(token)?, connection_id).map_err(|e| e.to_string())?,
            ),
            Target::Authgear {
                url,
                key_id,
                private_key,
            } => Client::Authgear(
                Authgear::new(url, key_id, &secret(private_key)?).map_err(|e| e.to_string())?,
            ),
        };
        Ok(client)
    }

    /// How this target takes a legacy hash.
    pub fn convert(&self) -> Convert {
        match self {
            Client::Firebase(_) => {
                |s, h, salt| super::firebase_form::convert(s, h, salt).map(Form::Firebase)
            }
            Client::FusionAuth(_) => {
                |s, h, salt| super::fusionauth_form::convert(s, h, salt).map(Form::FusionAuth)
            }
            Client::Keycloak(_) => {
                |s, h, _| super::keycloak_form::convert(s, h).map(Form::Keycloak)
            }
            Client::Auth0(_) => |s, h, salt| {
                super::auth0_form::convert(s, h, salt).map(|c| Form::Auth0(Box::new(c)))
            },
            Client::Authgear(_) => |s, h, _| super::authgear::convert(s, h).map(Form::Authgear),
        }
    }

    /// Whether the target keeps the legacy username (read from the export only then).
    pub fn takes_usernames(&self) -> bool {
        matches!(
            self,
            Client::FusionAuth(_) | Client::Keycloak(_) | Client::Authgear(_)
        )
    }

    /// Which of `who` the target holds now (by legacy id).
    pub async fn present(&self, who: &[Who<'_>]) -> Result<HashSet<String>, MoveError> {
        let ids: Vec<&str> = who.iter().map(|w| w.id).collect();
        match self {
            Client::Firebase(t) => t.present(&ids).await,
            Client::FusionAuth(t) => t.present(&ids).await,
            Client::Keycloak(t) => t.present(&ids).await,
            Client::Auth0(t) => t.present(&ids).await,
            Client::Authgear(t) => t.present(who).await,
        }
    }

    /// Import `users`, none of them on the target a moment ago: per user, `Ok` (created, by
    /// this call or by an earlier attempt whose answer was lost) or the refusal's code.
    pub async fn create(
        &self,
        users: &[&Outgoing<Form>],
    ) -> Result<Vec<Result<(), String>>, MoveError> {
        match self {
            Client::Firebase(t) => t.create(users).await,
            Client::FusionAuth(t) => t.create(users).await,
            Client::Keycloak(t) => t.create(users).await,
            Client::Auth0(t) => t.create(users).await,
            Client::Authgear(t) => t.create(users).await,
        }
    }

    /// Whether the target finds users by email (Authgear, which chooses its own ids).
    pub fn finds_by_email(&self) -> bool {
        matches!(self, Client::Authgear(_))
    }

    /// Why a drift pass (`cutover move --changed-since-move`) cannot update users already on
    /// this target, if it cannot. Authgear finds users by email, so a user whose email changed
    /// on the legacy side would not be found but created a second time.
    pub fn cannot_update(&self) -> Option<&'static str> {
        match self {
            Client::Authgear(_) => Some(
                "authgear, which finds users by their email: a user whose email changed would be created a second time",
            ),
            _ => None,
        }
    }

    /// Bring `users` up to date, each on the target a moment ago (`ours[i]`: created by a
    /// move of this segment, so its password may be replaced where the target allows): per
    /// user, `Ok` or the refusal's code.
    pub async fn update(
        &self,
        users: &[&Outgoing<Form>],
        ours: &[bool],
    ) -> Result<Vec<Result<(), String>>, MoveError> {
        match self {
            Client::Firebase(t) => t.update(users, ours).await,
            Client::FusionAuth(t) => t.update(users).await,
            Client::Keycloak(t) => t.update(users).await,
            Client::Auth0(t) => t.update(users).await,
            Client::Authgear(_) => Err(MoveError::Setup(format!(
                "--changed-since-move cannot update users on {}",
                self.cannot_update().unwrap_or("this target")
            ))),
        }
    }

    /// Delete the users of `who`; one already gone is not an error.
    pub async fn delete(&self, who: &[Who<'_>]) -> Result<(), MoveError> {
        let ids: Vec<&str> = who.iter().map(|w| w.id).collect();
        match self {
            Client::Firebase(t) => t.delete(&ids).await,
            Client::FusionAuth(t) => t.delete(&ids).await,
            Client::Keycloak(t) => t.delete(&ids).await,
            Client::Auth0(t) => t.delete(&ids).await,
            Client::Authgear(t) => t.delete(who).await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::user_id;

    #[test]
    fn a_legacy_id_gives_one_stable_user_id() {
        let uuid = "0b8e1f4e-6c1a-4d55-9f0e-3c2a1b9d8e7f";
        assert_eq!(user_id(uuid), uuid);
        assert_eq!(user_id("u42"), user_id("u42"));
        assert_ne!(user_id("u42"), user_id("u43"));
        assert_eq!(user_id("u42").len(), 36);
    }
}
