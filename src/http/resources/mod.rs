//! One file per resource, each starting with its routes, then its DTOs, then its handlers.

pub(crate) mod accounts; // /api/admin/me and /api/admin/users
pub(crate) mod address; // /api/geocode, /api/reverse, and address= of the provider queries
pub(crate) mod address_import; // /api/admin/imports?source=isj-oaza|isj-gaiku|abr|community-centers
pub(crate) mod api_doc; // /api/openapi: one OpenAPI description of /api and /api/admin
pub(crate) mod center_edits; // /api/admin/community-centers: staff edit the 地域包括支援センター
pub(crate) mod changes; // /api/admin/changes: the numbered change feed
pub(crate) mod community_centers; // /api/community-centers: 地域包括支援センター and 担当区域
pub(crate) mod coverage; // /api/coverage: per grid square, nearest provider and access score
pub(crate) mod districts; // /api/districts
pub(crate) mod history; // a provider's history and the audit log
pub(crate) mod imports; // /api/admin/imports: dry run and commit of official files
pub(crate) mod meta; // /healthz, /readyz, /api/services, /api/about
pub(crate) mod ogc; // OGC API – Features under /ogc
pub(crate) mod population_import; // /api/admin/imports?source=estat-mesh: the population layer
pub(crate) mod provider_accounts; // /api/admin/provider-accounts: 事業所アカウント
pub(crate) mod providers; // the public provider queries
pub(crate) mod staff; // /api/admin/providers: create, update, delete, restore, revert
pub mod static_files; // the pages in web/
pub(crate) mod vacancy; // PATCH …/vacancy and /api/admin/vacancy-reminders: 空き状況
