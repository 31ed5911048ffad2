//! Generated sample documents, deterministic and written at run time (never
//! committed): PDFs for the ETD tests, the `pdf` benchmark and the demo.

pub mod pdf;
