// Loaded by mocha before any test (see .mocharc.json).
process.setSourceMapsEnabled(true);
