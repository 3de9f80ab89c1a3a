//! The command-line tool (see src/bin/photoguard.rs).
