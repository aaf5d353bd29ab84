//! The Sentry.
