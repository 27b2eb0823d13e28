//! gateway: the public API; calls catalog through its Kubernetes Service.

use httpkit::{get, locate, serve, Request, Response};

const VERSION: &str = "gateway 1";

fn handler(request: &Request) -> Response {
    match request.path.as_str() {
        "/healthz" => Response::text(200, "ok"),
        "/version" => Response::text(200, VERSION),
        "/api/items" => match locate("catalog") {
            None => Response::text(503, "catalog not configured: set CATALOG_URL or run in the cluster"),
            Some((host, port)) => match get(&host, port, "/items") {
                Ok((200, body)) => Response::json(format!("{{\"via\":\"{VERSION}\",\"items\":{body}}}")),
                Ok((status, _)) => Response::text(502, &format!("catalog answered {status}")),
                Err(e) => Response::text(502, &format!("catalog unreachable at {host}:{port}: {e}")),
            },
        },
        _ => Response::text(404, "not found"),
    }
}

fn main() -> std::io::Result<()> {
    serve("gateway", httpkit::port_from_env(8080), handler)
}
