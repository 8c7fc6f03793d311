//! main() variants for options the golden projects do not use.
