//! The `/metrics` endpoint over HTTP/1.1 (hyper): `GET /metrics` answers the board in the
//! format the `Accept` header asks for; anything else is refused with its status. A scrape
//! renders the board under its lock and nothing more, so it costs the owner loop nothing.

use super::board::Board;
use super::exposition::Format;
use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::header::{ACCEPT, ALLOW, CONTENT_TYPE};
use hyper::{Method, Request, Response, StatusCode};
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::RwLock;

/// Serve scrapes on `listener` until the task is aborted. Each connection is a task of this
/// one's set, so aborting it also ends the connections kept alive (no scrape is answered
/// from a board whose owner has stopped).
pub async fn serve(listener: tokio::net::TcpListener, board: Arc<RwLock<Board>>) {
    let mut connections = tokio::task::JoinSet::new();
    loop {
        while connections.try_join_next().is_some() {}
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            Err(e) => {
                // Out of file descriptors, or a connection reset before it was taken: the
                // next one may do.
                tracing::warn!("metrics: cannot accept a connection: {e}");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let board = board.clone();
        connections.spawn(async move {
            let service = hyper::service::service_fn(move |request| {
                let board = board.clone();
                async move { Ok::<_, Infallible>(answer(board, &request).await) }
            });
            let served = hyper::server::conn::http1::Builder::new()
                .timer(hyper_util::rt::TokioTimer::new())
                .header_read_timeout(Duration::from_secs(10))
                .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                .await;
            if let Err(e) = served {
                tracing::debug!("metrics: a scrape's connection ended: {e}");
            }
        });
    }
}

fn plain(status: StatusCode, text: &'static str) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(Bytes::from_static(text.as_bytes())));
    *r.status_mut() = status;
    r.headers_mut().insert(
        CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    r
}

async fn answer(board: Arc<RwLock<Board>>, request: &Request<Incoming>) -> Response<Full<Bytes>> {
    match (request.method(), request.uri().path()) {
        (&Method::GET | &Method::HEAD, "/metrics") => {
            let accept = request.headers().get(ACCEPT).and_then(|v| v.to_str().ok());
            let format = Format::from_accept(accept);
            // Rendering 1,000 segments takes milliseconds: off the async workers, which run the
            // owner loop too.
            let rendered =
                tokio::task::spawn_blocking(move || board.blocking_read().text(format)).await;
            let Ok(text) = rendered else {
                return plain(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "the metrics could not be rendered; see the owner's log\n",
                );
            };
            let mut r = Response::new(Full::new(text));
            r.headers_mut().insert(
                CONTENT_TYPE,
                hyper::header::HeaderValue::from_static(format.content_type()),
            );
            r
        }
        (&Method::GET, "/") => plain(
            StatusCode::OK,
            "cutover: the project's metrics are at /metrics\n",
        ),
        (_, "/metrics") => {
            let mut r = plain(StatusCode::METHOD_NOT_ALLOWED, "only GET reads /metrics\n");
            r.headers_mut()
                .insert(ALLOW, hyper::header::HeaderValue::from_static("GET, HEAD"));
            r
        }
        _ => plain(
            StatusCode::NOT_FOUND,
            "not found: the project's metrics are at /metrics\n",
        ),
    }
}
