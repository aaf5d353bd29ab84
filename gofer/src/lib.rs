//! The gofer.
