//! catalog: the items of the shop. Edit VERSION or ITEMS and rebuild to see a change go live.

use httpkit::{serve, Request, Response};

const VERSION: &str = "catalog 1";
const ITEMS: &[(&str, u32)] = &[("keyboard", 49), ("mouse", 19), ("monitor", 199)];

fn handler(request: &Request) -> Response {
    match request.path.as_str() {
        "/healthz" => Response::text(200, "ok"),
        "/version" => Response::text(200, VERSION),
        "/items" => {
            let items: Vec<String> = ITEMS
                .iter()
                .map(|(name, price)| format!("{{\"name\":\"{name}\",\"price\":{price}}}"))
                .collect();
            Response::json(format!("[{}]", items.join(",")))
        }
        _ => Response::text(404, "not found"),
    }
}

fn main() -> std::io::Result<()> {
    serve("catalog", httpkit::port_from_env(8080), handler)
}
