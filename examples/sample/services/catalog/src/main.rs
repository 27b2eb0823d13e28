//! catalog: the shop's items. Change VERSION or ITEMS and rebuild: the Binary strategy has the new
//! build answering in the cluster within a second or two of `cargo build` finishing.

use httpkit::{Request, Response};

const VERSION: &str = "catalog 1";
const ITEMS: &[(&str, u32)] = &[("keyboard", 49), ("mouse", 19), ("monitor", 199)];

fn handler(request: &Request) -> Response {
    match request.path.as_str() {
        "/healthz" => Response::text(200, "ok"),
        "/version" => Response::text(200, VERSION),
        "/items" => {
            // Item names are plain ASCII literals, so no JSON escaping is needed.
            let items: Vec<String> = ITEMS
                .iter()
                .map(|(name, price)| format!("{{\"name\":\"{name}\",\"price\":{price}}}"))
                .collect();
            Response::json(format!("[{}]", items.join(",")))
        }
        _ => Response::text(404, "not found"),
    }
}

fn main() {
    httpkit::run("catalog", 8080, handler)
}
