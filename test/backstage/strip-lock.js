'use strict';
// Removes registry host names from package-lock.json ("resolved" URLs): npm ci
// then fetches each package from the registry the user's npm is configured
// with, and checks it against the lock's "integrity".  Run after npm install:
//   node strip-lock.js [package-lock.json]
const fs = require('fs');
const file = process.argv[2] || 'package-lock.json';
const lock = JSON.parse(fs.readFileSync(file, 'utf8'));
for (const p of Object.values(lock.packages || {})) delete p.resolved;
fs.writeFileSync(file, `${JSON.stringify(lock, null, 2)}\n`);
