// Placeholder so the library has a source until system/ lands; delete then.
