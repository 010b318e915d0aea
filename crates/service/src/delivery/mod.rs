//! Delivery of the notification outbox: signed HTTP webhooks.

pub mod signature;
