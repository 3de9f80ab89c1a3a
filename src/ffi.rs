//! The C ABI: see include/photoguard.h.
