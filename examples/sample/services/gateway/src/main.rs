//! gateway: the public API in front of catalog, which it reaches through catalog's Service.

use httpkit::{get, locate, Request, Response};

const VERSION: &str = "gateway 1";

fn handler(request: &Request) -> Response {
    match request.path.as_str() {
        "/healthz" => Response::text(200, "ok"),
        "/version" => Response::text(200, VERSION),
        "/api/items" => items(),
        _ => Response::text(404, "not found"),
    }
}

fn items() -> Response {
    // Looked up per request, not at start-up: an intercepted or restarted catalog may move.
    let Some((host, port)) = locate("catalog") else {
        return Response::text(
            503,
            "catalog not configured: set CATALOG_URL or CATALOG_SERVICE_HOST/PORT",
        );
    };
    match get(&host, port, "/items") {
        // Naming the catalog that answered makes a re-route (Intercept) visible from outside.
        Ok((200, body)) => Response::json(format!(
            "{{\"via\":\"{VERSION}\",\"catalog\":\"{host}:{port}\",\"items\":{body}}}"
        )),
        Ok((status, _)) => {
            Response::text(502, &format!("catalog at {host}:{port} answered {status}"))
        }
        Err(e) => Response::text(502, &format!("catalog unreachable at {host}:{port}: {e}")),
    }
}

fn main() {
    httpkit::run("gateway", 8080, handler)
}
