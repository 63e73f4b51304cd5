//! One file per resource, each starting with its routes, then its DTOs, then its handlers.

pub mod accounts; // /api/admin/me and /api/admin/users
pub mod coverage; // /api/coverage: per grid square, nearest provider and access score
pub mod districts; // /api/districts
pub mod history; // per-provider history, revert, the audit log
pub mod imports; // /api/admin/imports: dry run and commit of official files
pub mod meta; // /healthz, /api/services, /api/site
pub mod ogc; // OGC API – Features under /ogc
pub mod providers; // the public provider queries
pub mod staff; // /api/admin/providers: create, update, delete, restore
pub mod static_files; // the pages in web/
