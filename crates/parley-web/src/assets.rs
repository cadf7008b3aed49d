//! The static files (GOV.UK Frontend's compiled CSS and JS, swagger-ui), baked into the
//! binary: running Parley never needs Node or files beside the binary.

use axum::extract::Path;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::error::AppError;

macro_rules! assets {
    ($($path:literal => $mime:literal),* $(,)?) => {
        /// (path under /static/, content type, bytes).
        pub const ASSETS: &[(&str, &str, &[u8])] = &[
            $(($path, $mime, include_bytes!(concat!("../static/", $path)))),*
        ];
    };
}

assets! {
    "parley.css" => "text/css; charset=utf-8",
    "init.js" => "text/javascript; charset=utf-8",
    "govuk/govuk-frontend.min.js" => "text/javascript; charset=utf-8",
    "govuk/assets/images/icon-document.svg" => "image/svg+xml",
    "swagger/swagger-ui-bundle.js" => "text/javascript; charset=utf-8",
    "swagger/swagger-ui.css" => "text/css; charset=utf-8",
    "swagger/parley-swagger.css" => "text/css; charset=utf-8",
    "swagger/init.js" => "text/javascript; charset=utf-8",
}

pub async fn serve(Path(path): Path<String>) -> Result<Response, AppError> {
    let (_, mime, bytes) = ASSETS
        .iter()
        .find(|(p, _, _)| *p == path)
        .ok_or(AppError::NotFound)?;
    let mut response = (StatusCode::OK, *bytes).into_response();
    let h = response.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(mime));
    // Not fingerprinted, so cache for a while but revalidate after a release.
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=3600"),
    );
    Ok(response)
}
