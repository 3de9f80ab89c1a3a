//! Tests across the guard's parts: the table against a reference model and
//! under concurrency, and every entry point on arbitrary input. Inside
//! `guard/` so that they move with it.

mod concurrency;
mod model;
mod no_panic;
