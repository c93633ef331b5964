#!/usr/bin/env node
// Runs the TypeScript entry through tsx so the CLI works from a source checkout without a build step.
require('tsx/cjs');
require('../src/cli/main.ts');
