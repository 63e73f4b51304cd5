//! caremap: find care providers and home-medical clinics near a place or inside a district.

pub mod domain;
pub mod catalog;
pub mod index;
pub mod store;
