#!/usr/bin/env node
// A stable, executable entry for `npx ifreg-sim`: the build replaces dist/ (and its file modes).
require('../dist/main.js');
