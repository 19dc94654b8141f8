//! TLS to the state database, when its URL asks for it (`sslmode=require`, or the default
//! `prefer` against a server that offers it). The server's certificate is checked against
//! the machine's trusted roots, the same verifier the HTTP sources use (rustls, no OpenSSL).

use super::pg::PgError;
use rustls_platform_verifier::ConfigVerifierExt;

pub(super) fn connector() -> Result<tokio_postgres_rustls::MakeRustlsConnect, PgError> {
    let config = rustls::ClientConfig::with_platform_verifier()
        .map_err(|e| PgError::Unreachable(format!("cannot set up TLS: {e}")))?;
    Ok(tokio_postgres_rustls::MakeRustlsConnect::new(config))
}
