//! The static server serves only the pages' files and the vendor packages' `dist/` folders:
//! dotfiles, symlinks out of `web/`, the packages' own test and example pages and everything
//! else under `node_modules/` are 404; files are cached by revalidation; start-up refuses a
//! `web/` without its vendor files.

use std::fs;
use std::path::Path;

use caremap::app::config::ServeConfig;
use caremap::app::startup::Application;

use crate::helpers::{TestApp, repo_path, spawn_app, spawn_app_with};

fn write(root: &Path, relative: &str, text: &str) {
    let path = root.join(relative);
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, text).unwrap();
}

/// A copy of a web folder as an unlucky deployment has it: a `.env`, symlinks out of it, and
/// the packages' test pages and lock file.
fn hostile_web(web: &Path, outside: &Path) {
    write(web, "index.html", "<!doctype html><title>map</title>");
    write(web, "css/site.css", "body{}");
    write(web, ".env", "SECRET=1");
    write(web, "css/.hidden.css", "secret");
    write(web, "node_modules/leaflet/dist/leaflet.js", "// leaflet");
    write(web, "node_modules/leaflet/dist/leaflet.css", "/* leaflet */");
    write(web, "node_modules/leaflet/package.json", "{}");
    write(web, "node_modules/leaflet.markercluster/dist/leaflet.markercluster.js", "// cluster");
    write(web, "node_modules/leaflet.markercluster/dist/MarkerCluster.css", "/* cluster */");
    write(web, "node_modules/leaflet.markercluster/spec/index.html", "<title>spec</title>");
    write(web, "node_modules/leaflet.markercluster/example/marker-clustering.html", "<title>example</title>");
    write(web, "node_modules/.package-lock.json", "{}");
    write(outside, "secret.html", "outside secret");
    write(outside, "secret.css", "outside secret");
    std::os::unix::fs::symlink(outside.join("secret.html"), web.join("leak.html")).unwrap();
    std::os::unix::fs::symlink(outside, web.join("linked")).unwrap();
    std::os::unix::fs::symlink(outside.join("secret.css"), web.join("node_modules/leaflet/dist/leak.css")).unwrap();
    // A symlink that stays inside web/ is an ordinary file of the page.
    std::os::unix::fs::symlink(web.join("css/site.css"), web.join("css/alias.css")).unwrap();
}

async fn spawn_on_hostile_web() -> (TestApp, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let (web, outside) = (dir.path().join("web"), dir.path().join("outside"));
    hostile_web(&web, &outside);
    let app = spawn_app_with(|config| config.web = web).await;
    (app, dir)
}

#[tokio::test]
async fn dotfiles_symlinks_out_of_web_and_package_test_pages_are_404() {
    let (app, _dir) = spawn_on_hostile_web().await;
    for path in [
        "/.env",
        "/css/.hidden.css",
        "/leak.html",
        "/linked/secret.html",
        "/node_modules/leaflet/dist/leak.css",
        "/node_modules/leaflet.markercluster/spec/index.html",
        "/node_modules/leaflet.markercluster/example/marker-clustering.html",
        "/node_modules/.package-lock.json",
        "/node_modules/leaflet/package.json",
        "/node_modules/",
        "/css/",
        "/%2eenv",
    ] {
        let reply = app.get(path).await;
        assert_eq!(reply.status.as_u16(), 404, "{path}: {reply}");
        assert!(!reply.text().contains("secret") && !reply.text().contains("SECRET"), "{path}: {reply}");
    }
}

#[tokio::test]
async fn the_pages_files_vendor_dist_files_and_symlinks_inside_web_are_served() {
    let (app, _dir) = spawn_on_hostile_web().await;
    for (path, body) in [
        ("/", "<title>map</title>"),
        ("/css/site.css", "body{}"),
        ("/css/alias.css", "body{}"),
        ("/node_modules/leaflet/dist/leaflet.js", "// leaflet"),
        ("/node_modules/leaflet.markercluster/dist/MarkerCluster.css", "/* cluster */"),
    ] {
        let reply = app.get(path).await.expect(200);
        assert!(reply.text().contains(body), "{path}: {reply}");
    }
}

#[tokio::test]
async fn the_real_page_and_its_vendor_files_are_served_but_not_the_packages_other_files() {
    let app = spawn_app().await;
    let page = app.get("/").await.expect(200);
    assert!(page.content_type.starts_with("text/html"), "{page}");
    let leaflet = app.get("/node_modules/leaflet/dist/leaflet.js").await.expect(200);
    assert!(leaflet.content_type.contains("javascript"), "{leaflet}");
    app.get("/node_modules/leaflet/dist/images/marker-icon.png").await.expect(200);
    for path in [
        "/package.json",
        "/package-lock.json",
        "/node_modules/.package-lock.json",
        "/node_modules/leaflet.markercluster/spec/index.html",
        "/node_modules/leaflet/src/Leaflet.js",
    ] {
        app.get(path).await.expect(404);
    }
}

#[tokio::test]
async fn static_files_are_revalidated_with_etag_and_last_modified() {
    let app = spawn_app().await;
    let first = app.get("/app.js").await.expect(200);
    assert_eq!(first.headers["cache-control"], "no-cache", "{first}");
    assert!(first.headers.contains_key("last-modified"), "{first}");
    let etag = first.etag();
    let again = app.send("GET", "/app.js", &[("if-none-match", &etag)], None).await.expect(304);
    assert!(again.body.is_empty());
    let since = first.headers["last-modified"].to_str().unwrap().to_owned();
    app.send("GET", "/app.js", &[("if-modified-since", &since)], None).await.expect(304);
    app.send("GET", "/app.js", &[("if-none-match", "W/\"other\"")], None).await.expect(200);
}

#[tokio::test]
async fn start_up_refuses_a_web_folder_without_its_vendor_files_and_says_how_to_install_them() {
    let dir = tempfile::tempdir().unwrap();
    let web = dir.path().join("web");
    write(&web, "index.html", "<!doctype html>");
    let config = ServeConfig::for_paths(dir.path().join("test.db"), repo_path("data"), web);
    let message = match Application::build(&config).await {
        Ok(_) => panic!("started without web/node_modules"),
        Err(e) => e.to_string(),
    };
    assert!(message.contains("node_modules/leaflet/dist/leaflet.js"), "{message}");
    assert!(message.contains("make web-deps") && message.contains("npm ci"), "{message}");
}
