//! Properties over many generated cases and agreement with reference implementations: the
//! index against brute force, the CRS conversions against PROJ's cs2cs, and fuzzing of every
//! input parser through the real router called in-process (`oneshot`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

/// One module per subject, in tests/properties/.
mod properties {
    mod crs_cs2cs;
    mod hostile_input;
    mod import_fuzz;
    mod index;
    mod vacancy_writes;
}
