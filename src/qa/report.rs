//! `report.html`: the audit as a page people would rather look at than read.
