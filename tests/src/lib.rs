//! Whole-system tests live in `tests/tests/`; shared helpers live here.
