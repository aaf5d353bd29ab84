//! Runs guest code.
