//! `tessera token decode|verify|sign`.

mod decode;
mod sign;
mod verify;
mod warnings;

pub(crate) use decode::run as decode;
pub(crate) use sign::run as sign;
pub(crate) use verify::run as verify;
