//! catalog: the shop's items. Change VERSION or ITEMS and rebuild: the Binary strategy has the new
//! build answering in the cluster within a second or two of `cargo build` finishing. Its static
//! files (static/, in the image at /usr/local/share/catalog) are read once at start, so the Sync
//! strategy restarts it after a change there.

use httpkit::{Request, Response};
use std::sync::OnceLock;

const VERSION: &str = "catalog 1";
const ITEMS: &[(&str, u32)] = &[("keyboard", 49), ("mouse", 19), ("monitor", 199)];

static BANNER: OnceLock<String> = OnceLock::new();

/// static/banner.txt from CATALOG_STATIC (default /usr/local/share/catalog), or a fallback when absent.
fn load_banner() -> String {
    let dir = std::env::var("CATALOG_STATIC").unwrap_or_else(|_| "/usr/local/share/catalog".into());
    std::fs::read_to_string(format!("{dir}/banner.txt")).unwrap_or_else(|_| "no banner\n".into())
}

fn handler(request: &Request) -> Response {
    match request.path.as_str() {
        "/healthz" => Response::text(200, "ok"),
        "/version" => Response::text(200, VERSION),
        "/banner" => Response::text(200, BANNER.get().map(String::as_str).unwrap_or("")),
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
    BANNER.get_or_init(load_banner);
    httpkit::run("catalog", 8080, handler)
}
