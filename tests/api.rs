//! API tests: every test starts the application in-process through `startup` (the path
//! `serve` runs) on port 0 with a temporary database seeded from data/, and talks HTTP to it;
//! GDAL and PROJ's cs2cs check the OGC API from outside.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

/// One module per resource or concern, in tests/api/.
mod api {
    mod address_import;
    mod addresses;
    mod api_doc;
    mod auth;
    mod center_edits;
    mod changes;
    mod community_centers;
    mod compression;
    mod coverage;
    mod errors;
    mod follow;
    mod gdal;
    mod headers;
    mod history;
    mod hostile;
    mod imports;
    mod integrity;
    mod limits;
    mod meta;
    mod observe;
    mod ogc;
    mod population_import;
    mod providers;
    mod staff;
    mod static_files;
    mod vacancy;
}
