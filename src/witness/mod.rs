//! `specflow witness serve`: an independent witness of specflow's transparency log (issue 18),
//! speaking C2SP tlog-witness. It needs no database: its state is one file per log in a
//! directory ([`state`]), and its one route is `POST /add-checkpoint` ([`server`]).

pub mod server;
pub mod state;
