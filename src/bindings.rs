//! The Apache and APR declarations bindgen generated from `apache/wrapper.h`
//! against the headers `apxs` named (see build.rs).
#![allow(
    non_upper_case_globals,
    non_camel_case_types,
    non_snake_case,
    dead_code,
    unused_imports
)]
#![allow(unnecessary_transmutes, unsafe_op_in_unsafe_fn)]
#![allow(clippy::all, clippy::undocumented_unsafe_blocks)]

include!(concat!(env!("OUT_DIR"), "/apache_bindings.rs"));
