// Placeholder so the library has a source until the devices land; delete when the first device exists.
