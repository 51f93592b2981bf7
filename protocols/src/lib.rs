//! How the gateway talks to printers.
//!
//! - [`mib`] — an ordered set of SNMP bindings, the one input of interpretation.
//! - [`snmprec`] — the snmpsim recording format, read and written.
//! - [`snmp`] — the SNMP client: credentials, fetch plans, polls over UDP.
//! - [`printer`] — Printer-MIB interpretation into a [`printer::PrinterReport`].
//! - [`discovery`] — finding printers: mDNS browsing, SNMP confirmation and sweep.
//! - [`ipp`] — IPP: the message codec and supply attributes, for printers without SNMP.

pub mod discovery;
pub mod ipp;
pub mod mib;
pub mod printer;
pub mod sim;
pub mod snmp;
pub mod snmprec;
